//! Submitted (asynchronous) requests, item 7 of issue 4: Submit runs the same checks as Call, stores the request
//! (never its payload) with its legal deadline, forwards it with replies to `exchange.replies.async`, and returns
//! at once; the answer is stored when it arrives (on any replica) and read with Get by the submitting subsystem
//! only. A request whose deadline passes is escalated once and stays open (REG-2 p. 17): it is never refused
//! for being late.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use koprik_kafka::topics::EXCHANGE_REPLIES_ASYNC;
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{AuditOutcome, AuditStep, ExchangeReply, ExchangeRequest, FailureKind, ProviderFailure};
use koprik_proto::exchange::{GetResponse, SubmitResponse};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::time::timestamp;
use koprik_proto::FieldError;
use koprik_runtime::trace_context::child_traceparent;
use tracing::Instrument;

use crate::access;
use crate::answer_deadline;
use crate::answer_signature;
use crate::audit;
use crate::error::GatewayError;
use koprik_authz::{Access, Owner};

use crate::exchange::{forwarded, received, Admitted, Exchange, Incoming, Step};
use crate::identity;
use crate::submitted::{self, NewRequest};

/// How many overdue requests one sweep escalates at most (the next sweep takes the rest).
const SWEEP_BATCH: u64 = 500;

/// The result of a Submit, with the request id the consumer can quote.
#[derive(Debug)]
pub struct Submitted {
    /// The platform's id for this request.
    pub request_id: String,
    /// The receipt, or why the request was not accepted.
    pub result: Result<SubmitResponse, GatewayError>,
}

impl Exchange {
    /// Accepts one asynchronous request: checked, stored, forwarded and audited (step SUBMITTED) before the id
    /// and the deadline are returned.
    pub async fn submit(&self, incoming: Incoming) -> Submitted {
        let started = Instant::now();
        let mut facts = received(&incoming.request);
        let span = crate::exchange::exchange_span("exchange.submit", &facts);
        let traceparent = koprik_runtime::trace_context::pass_on(&span, incoming.traceparent.as_deref());
        async {
            let mut deadline = None;
            let result = self.accept(&mut facts, &incoming, &traceparent, &mut deadline).await;
            let step = Step { audit_step: AuditStep::Submitted, deadline };
            let result = self.conclude(started, &facts, result, step, &traceparent).await;
            Submitted { request_id: facts.request_id, result }
        }
        .instrument(span)
        .await
    }

    async fn accept(
        &self,
        facts: &mut audit::CallFacts,
        incoming: &Incoming,
        traceparent: &str,
        deadline: &mut Option<DateTime<Utc>>,
    ) -> Result<SubmitResponse, GatewayError> {
        let Admitted { consumer, call, .. } = self.admit(facts, incoming).await?;
        let archive = self.cache.service(&call.service).is_some_and(|s| s.archive);
        let due = answer_deadline::due(
            &self.cache.calendar(),
            facts.received_at,
            archive,
            self.asynchronous.deadline_override,
        )?;
        *deadline = due;
        // Stored before forwarding, so that even an instant answer finds its request.
        let stored = NewRequest {
            request_id: facts.request_id.clone(),
            consumer: consumer.to_string(),
            service: call.service.to_string(),
            provider: call.service.provider().to_string(),
            data_items: call.data_items.clone(),
            request_sha256: facts.request_sha256.clone(),
            received_at: facts.received_at,
            deadline: due,
        };
        submitted::insert(&self.db, stored).await.map_err(|e| {
            tracing::error!(request_id = %facts.request_id, error = %e, "submitted request not stored");
            GatewayError::Platform("the request could not be stored; try again".into())
        })?;
        let request = ExchangeRequest {
            deadline: due.map(timestamp),
            reply_topic: EXCHANGE_REPLIES_ASYNC.to_owned(),
            asynchronous: true,
            ..forwarded(facts, &consumer, &call, &incoming.request)
        };
        if let Err(e) = self.forward(&request, &call.service, self.call_timeout, traceparent).await {
            // Nothing went out: forget the request rather than leave it pending for an answer that cannot come.
            if let Err(db) = submitted::forget(&self.db, &facts.request_id).await {
                tracing::error!(request_id = %facts.request_id, error = %db, "unforwarded request not removed");
            }
            return Err(e);
        }
        Ok(SubmitResponse {
            request_id: facts.request_id.clone(),
            received_at: Some(timestamp(facts.received_at)),
            deadline: due.map(timestamp),
        })
    }

    /// The state of a submitted request, for the subsystem that submitted it only: anyone else is refused
    /// (PERMISSION_DENIED, the policy's reach `own`).
    pub async fn get(&self, access: &Access, request_id: &str) -> Result<GetResponse, GatewayError> {
        identity::identify(access, &self.cache)?;
        if uuid::Uuid::parse_str(request_id).is_err() {
            return Err(FieldError::new("request_id", "must be a request id (a UUID) returned by Submit").into());
        }
        let row = submitted::find(&self.db, request_id).await.map_err(|e| {
            tracing::error!(request_id, error = %e, "submitted request not read");
            GatewayError::Platform("the request could not be read; try again".into())
        })?;
        let row = row.ok_or_else(|| GatewayError::NotFound(format!("there is no submitted request {request_id}")))?;
        let submitter: SubsystemId = row.consumer_id.parse().map_err(|e| {
            tracing::error!(request_id, error = %e, "stored consumer id is invalid");
            GatewayError::Platform("the request could not be read".into())
        })?;
        access
            .require(Owner::Subsystem(&submitter), "submitted requests")
            .map_err(|refused| GatewayError::Refused(refused.message().to_owned()))?;
        Ok(submitted::response(row))
    }

    /// Stores the answer to a submitted request and audits it (step ANSWERED). An answer whose adapter signature
    /// does not verify, or that releases data items not requested (or declares none), is stored as the provider's
    /// failure, never as data. A delivered DDP answer is billed (its usage record is written before the audit
    /// record). A duplicate or unknown reply changes nothing. Errors are the database's: the reply must then be
    /// read again.
    pub async fn store_answer(&self, reply: &ExchangeReply, traceparent: Option<&str>) -> Result<(), sea_orm::DbErr> {
        let Some(service) = reply.service.as_ref().and_then(|s| ServiceId::try_from(s).ok()) else {
            tracing::error!(request_id = %reply.request_id, "answer without a valid service; dropped");
            return Ok(());
        };
        // What was asked for (as forwarded): an answer may release nothing else.
        let Some(asked) =
            submitted::find(&self.db, &reply.request_id).await?.map(|row| submitted::facts(&row).data_items)
        else {
            self.metrics.unclaimed_replies.inc();
            tracing::info!(request_id = %reply.request_id, "answer for no submitted request; ignored");
            return Ok(());
        };
        let mut reply = reply.clone();
        let mut provider_key_id = String::new();
        let mut released_items = Vec::new();
        if let Some(Outcome::Answer(answer)) = &reply.outcome {
            let accepted =
                answer_signature::verify(&self.cache, &reply.request_id, &service, answer, reply.answered_at.as_ref())
                    .and_then(|key_id| access::check_released(&asked, &answer.data_items).map(|()| key_id));
            match accepted {
                Ok(key_id) => {
                    provider_key_id = key_id;
                    released_items = answer.data_items.clone();
                }
                Err(refusal) => {
                    tracing::warn!(
                        request_id = %reply.request_id,
                        asked = ?asked,
                        declared = ?answer.data_items,
                        error = %refusal,
                        "answer not accepted"
                    );
                    reply.outcome = Some(Outcome::Failure(ProviderFailure {
                        kind: FailureKind::Unavailable as i32,
                        message: refusal.to_string(),
                    }));
                }
            }
        }
        let reply = &reply;
        let Some(row) =
            submitted::answer(&self.db, reply, &service, self.asynchronous.answer_retention, Utc::now()).await?
        else {
            self.metrics.unclaimed_replies.inc();
            tracing::info!(request_id = %reply.request_id, "answer for no pending submitted request; ignored");
            return Ok(());
        };
        let (_, result) = submitted::settle(reply.outcome.as_ref());
        let mut facts = submitted::facts(&row);
        facts.provider_key_id = provider_key_id;
        facts.released_items = released_items;
        if result.is_ok() {
            self.bill_answer(&facts, traceparent).await;
        }
        let mut record = audit::record(&self.instance, &facts, &result);
        record.step = AuditStep::Answered as i32;
        record.deadline = row.deadline.map(timestamp);
        self.audit_until_written(&record, &child_traceparent(traceparent)).await;
        tracing::info!(request_id = %row.request_id, state = %row.state, escalated = row.escalated_at.is_some(), "answer stored");
        Ok(())
    }

    /// DDP: the usage record of an answered submitted request, retried until the broker takes it (the answer is
    /// stored already, so its bill must not be lost; billing counts a request id once).
    async fn bill_answer(&self, facts: &audit::CallFacts, traceparent: Option<&str>) {
        let (Some(consumer), Some(service)) = (facts.consumer.as_ref(), facts.service.as_ref()) else { return };
        let Some(grant) = self.cache.grant(consumer, service) else { return };
        let Some(record) = crate::usage::record(
            &self.instance,
            &facts.request_id,
            consumer,
            service,
            &grant,
            &facts.data_items,
            facts.received_at,
        ) else {
            return;
        };
        let traceparent = child_traceparent(traceparent);
        let mut backoff = Duration::from_millis(100);
        loop {
            match tokio::time::timeout(self.audit_timeout, self.usage.write(consumer, &record, &traceparent)).await {
                Ok(Ok(())) => return,
                _ => {
                    self.metrics.usage_failures.inc();
                    tracing::error!(request_id = %facts.request_id, "usage record not written; retrying");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Escalates every pending request past its deadline that no replica escalated yet: audited (step ESCALATED)
    /// and counted against the provider. The request stays PENDING. Returns how many this replica escalated.
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> Result<usize, sea_orm::DbErr> {
        let mut escalated = 0;
        for row in submitted::overdue(&self.db, now, SWEEP_BATCH).await? {
            if !submitted::escalate(&self.db, &row.request_id, now).await? {
                continue;
            }
            escalated += 1;
            self.metrics.deadline_breaches.get_or_create(&vec![("provider", row.provider.clone())]).inc();
            let deadline = row.deadline.map(|d| d.to_rfc3339()).unwrap_or_default();
            let mut record = audit::record(&self.instance, &submitted::facts(&row), &Ok(()));
            record.step = AuditStep::Escalated as i32;
            record.outcome = AuditOutcome::TimedOut as i32;
            record.status_code = koprik_proto::tonic::Code::DeadlineExceeded as i32;
            record.reason = format!(
                "no answer by the legal deadline {deadline} (REG-2 p. 17): escalated to the operator and counted \
                 against the provider; the request stays open"
            );
            record.deadline = row.deadline.map(timestamp);
            self.audit_until_written(&record, &child_traceparent(None)).await;
            tracing::warn!(request_id = %row.request_id, provider = %row.provider, %deadline, "deadline passed; escalated");
        }
        Ok(escalated)
    }

    /// Reads this month's request counts into the quota-use metrics, with each grant's declared maximum (counts
    /// whose grant is gone or no longer declares one are left out). Every replica reports the same shared figures.
    pub async fn report_quota_use(&self, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
        let counts = crate::request_quota::counts_in_month(&self.db, now).await?;
        let rows = counts.into_iter().filter_map(|(consumer, service, used)| {
            let grant = self.cache.grant(&consumer.parse().ok()?, &service.parse().ok()?)?;
            let max = i64::from(grant.max_requests_per_month);
            (max > 0).then_some((consumer, service, used, max))
        });
        self.metrics.quota_use(rows);
        Ok(())
    }

    /// Deletes the answers whose retention ended. Returns how many.
    pub async fn purge_answers(&self, now: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
        submitted::purge(&self.db, now).await
    }

    /// Writes an audit record of a step that already happened, retrying until the broker takes it: the step is
    /// recorded in the database, so its audit record must not be lost either.
    async fn audit_until_written(&self, record: &koprik_proto::events::AuditRecord, traceparent: &str) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match tokio::time::timeout(self.audit_timeout, self.auditor.write(record, traceparent)).await {
                Ok(Ok(())) => return,
                Ok(Err(e)) => {
                    tracing::error!(request_id = %record.request_id, error = %e, "audit record not written; retrying")
                }
                Err(_) => tracing::error!(request_id = %record.request_id, "audit record not acknowledged; retrying"),
            }
            self.metrics.audit_failures.inc();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}
