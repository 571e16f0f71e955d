//! One exchange, from receipt to audit: identify the caller, validate the request, check access, forward it to
//! the provider's request topic, wait for the correlated reply, and record the outcome on `exchange.audit`
//! before anything is returned. No outcome leaves the gateway unaudited, and no DDP answer leaves it unbilled: the
//! usage record is acknowledged first, then the audit record, then the answer is returned.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use koprik_authz::Access;
use koprik_kafka::topics::exchange_requests;
use koprik_kafka::Producer;
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{AuditStep, ExchangeReply, ExchangeRequest};
use koprik_proto::exchange::{CallRequest, CallResponse};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::time::timestamp;
use sea_orm::TransactionTrait;
use tracing::Instrument;

use crate::audit::{self, Auditor, CallFacts};
use crate::cache::{CachedGrant, RegistryCache};
use crate::call::Call;
use crate::error::GatewayError;
use crate::identity;
use crate::metrics::GatewayMetrics;
use crate::pending::Pending;
use crate::usage::{self, UsageWriter};
use crate::{
    access, answer_signature, maintenance_window, mandatory_content, replay, request_quota, request_signature,
};

/// How long before the caller's own deadline the gateway gives up, so its answer arrives first.
pub const CLIENT_DEADLINE_MARGIN: Duration = Duration::from_millis(50);

/// A call as the gRPC layer hands it over.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Who the authorization guard admitted: a registered consumer certificate.
    pub access: Access,
    /// The caller's own gRPC deadline, if it set one.
    pub client_timeout: Option<Duration>,
    /// The caller's W3C trace context, if sent.
    pub traceparent: Option<String>,
    /// The request itself.
    pub request: CallRequest,
}

/// The result of a call, with the request id the consumer can quote.
#[derive(Debug)]
pub struct Finished {
    /// The platform's id for this exchange.
    pub request_id: String,
    /// The answer, or why there is none.
    pub result: Result<CallResponse, GatewayError>,
}

/// The exchange engine shared by all calls.
pub struct Exchange {
    /// This gateway instance's name.
    pub instance: String,
    /// Where providers' adapters send replies for this instance.
    pub reply_topic: String,
    /// The longest a call waits.
    pub call_timeout: Duration,
    /// The largest payload accepted.
    pub max_payload: usize,
    /// The longest the audit write may take (the broker's delivery timeout).
    pub audit_timeout: Duration,
    /// The registry cache.
    pub cache: Arc<RegistryCache>,
    /// Calls waiting for replies.
    pub pending: Arc<Pending>,
    /// Produces requests.
    pub producer: Producer,
    /// Writes the audit trail.
    pub auditor: Auditor,
    /// Writes usage records of delivered DDP exchanges.
    pub usage: UsageWriter,
    /// What is counted.
    pub metrics: GatewayMetrics,
    /// The gateway database: request counts and submitted requests.
    pub db: sea_orm::DatabaseConnection,
    /// Submitted requests: answer retention and the test deadline override.
    pub asynchronous: crate::config::AsynchronousConfig,
    /// How old an officer's signature may be on arrival; also how long an accepted one is remembered.
    pub signed_request_max_age: chrono::Duration,
}

/// The facts known on receipt of `request`: a new request id and the legal time of receipt.
pub(crate) fn received(request: &CallRequest) -> CallFacts {
    CallFacts {
        request_id: uuid::Uuid::now_v7().to_string(),
        // Microseconds: what PostgreSQL keeps, so a submitted request reads back with the instant it was given.
        received_at: Utc::now().trunc_subsecs(6),
        // The rest is filled in as the checks pass: the audit keeps only well-formed item codes, never arbitrary
        // input.
        request_sha256: audit::sha256_hex(&request.payload),
        ..CallFacts::default()
    }
}

/// A request that passed every check before forwarding: who asks, and what.
pub(crate) struct Admitted {
    /// The calling subsystem.
    pub consumer: SubsystemId,
    /// The validated request.
    pub call: Call,
    /// The grant as authorised: its platform and contract decide the usage record.
    pub grant: Option<CachedGrant>,
}

impl Exchange {
    /// Runs one call to the end, audit included.
    pub async fn call(&self, incoming: Incoming) -> Finished {
        let started = Instant::now();
        let mut facts = received(&incoming.request);
        let span = exchange_span("exchange.call", &facts);
        let traceparent = koprik_runtime::trace_context::pass_on(&span, incoming.traceparent.as_deref());
        async {
            let result = self.exchange(&mut facts, &incoming, &traceparent).await;
            let result = self.conclude(started, &facts, result, Step::CALL, &traceparent).await;
            Finished { request_id: facts.request_id, result }
        }
        .instrument(span)
        .await
    }

    async fn exchange(
        &self,
        facts: &mut CallFacts,
        incoming: &Incoming,
        traceparent: &str,
    ) -> Result<CallResponse, GatewayError> {
        let Admitted { consumer, call, grant } = self.admit(facts, incoming).await?;

        // A caller's own deadline is enforced by the gRPC server from arrival; answering a little before it means
        // the caller gets this gateway's DEADLINE_EXCEEDED, with its request id, rather than a bare cancellation.
        let timeout = incoming
            .client_timeout
            .map_or(self.call_timeout, |t| t.saturating_sub(CLIENT_DEADLINE_MARGIN).min(self.call_timeout));
        let started = Instant::now();
        let deadline = facts.received_at + timeout;
        let timed_out =
            || GatewayError::TimedOut { service: call.service.to_string(), waited_ms: started.elapsed().as_millis() };
        let request = ExchangeRequest {
            deadline: Some(timestamp(deadline)),
            reply_topic: self.reply_topic.clone(),
            ..forwarded(facts, &consumer, &call, &incoming.request)
        };
        // Registered before sending, so that even an instant reply finds this call.
        let mut waiter = self.pending.register(&facts.request_id);
        self.forward(&request, &call.service, timeout, traceparent).await?;
        let remaining = timeout.saturating_sub(started.elapsed());
        let reply = match tokio::time::timeout(remaining, &mut waiter.reply).await {
            Ok(Ok(reply)) => reply,
            _ => return Err(timed_out()),
        };
        if reply.service.as_ref() != request.service.as_ref() {
            tracing::error!(request_id = %facts.request_id, "reply names another service than the request");
            return Err(GatewayError::Platform("the provider's adapter answered for another service".into()));
        }
        let response = deliver(&self.cache, &call, facts, reply)?;
        if let Some(grant) = grant {
            self.record_usage(facts, &consumer, &grant, traceparent).await?;
        }
        Ok(response)
    }

    /// Every check before anything is forwarded, the same for Call and Submit: the caller's subsystem (its
    /// certificate, admitted by the authorization guard), the request's form, its REG-2 p. 14 particulars and the
    /// officer's signature, the public service, the access rule (which also resolves an empty item list to the
    /// grant's permitted items), announced technical works, and last the acceptance: the signed request is
    /// recorded as accepted (once: [`crate::replay`]) and counted against the declared monthly maximum, both or
    /// neither.
    pub(crate) async fn admit(&self, facts: &mut CallFacts, incoming: &Incoming) -> Result<Admitted, GatewayError> {
        facts.certificate_serial = incoming.access.certificate_serial().to_owned();
        let caller = identity::identify(&incoming.access, &self.cache)?;
        let consumer = caller.subsystem;
        facts.consumer = Some(consumer.clone());
        let mut call = Call::validate(&incoming.request, self.max_payload)?;
        facts.service = Some(call.service.clone());
        facts.data_items = call.data_items.clone();
        let particulars = mandatory_content::validate(
            incoming.request.particulars.as_ref(),
            &consumer,
            &call.service,
            facts.received_at,
            self.signed_request_max_age,
        )?;
        facts.public_service_number = particulars.public_service_number;
        facts.applicant_request_ref = particulars.applicant_request_ref.clone();
        let signature = request_signature::verify(&self.cache, &consumer, &incoming.request, &particulars)?;
        facts.officer_key_id = signature.key_id;
        mandatory_content::check_public_service(&self.cache, particulars.public_service_number)?;
        // From here on the request asks for what it may have: its own items, or its grant's when it named none.
        call.data_items = access::authorize(&self.cache, &consumer, &call)?;
        facts.data_items = call.data_items.clone();
        maintenance_window::check(&self.cache, &call.service, facts.received_at)?;
        let grant = self.cache.grant(&consumer, &call.service);
        let acceptance = replay::Acceptance {
            digest: signature.digest,
            request_id: facts.request_id.clone(),
            consumer: consumer.to_string(),
            accepted_at: facts.received_at,
            expires_at: replay::expires_at(particulars.signed_at, self.signed_request_max_age),
        };
        let max = grant.as_ref().map_or(0, |grant| grant.max_requests_per_month);
        self.record_acceptance(&acceptance, &consumer, &call.service, max, facts.received_at).await?;
        Ok(Admitted { consumer, call, grant })
    }

    /// Records the request as accepted and counts it against `max`, in one transaction: a second use of the same
    /// signed request is refused naming the first request id, and a request over the maximum is neither counted
    /// nor recorded (it may be sent again next month, if its signature is still young enough).
    async fn record_acceptance(
        &self,
        acceptance: &replay::Acceptance,
        consumer: &SubsystemId,
        service: &ServiceId,
        max: u32,
        at: chrono::DateTime<Utc>,
    ) -> Result<(), GatewayError> {
        let failed = |e: sea_orm::DbErr| {
            tracing::error!(request_id = %acceptance.request_id, error = %e, "request not recorded as accepted");
            GatewayError::Platform("the request could not be recorded as accepted; try again".into())
        };
        let first = if max == 0 {
            // No quota: one statement, no transaction (the hot path of most exchanges).
            replay::record(&self.db, acceptance).await.map_err(failed)?
        } else {
            let transaction = self.db.begin().await.map_err(failed)?;
            let first = replay::record(&transaction, acceptance).await.map_err(failed)?;
            let counted =
                if first { request_quota::take(&transaction, consumer, service, max, at).await } else { Ok(()) };
            match counted {
                Ok(()) if first => transaction.commit().await.map_err(failed)?,
                // A second use, or a request over the maximum: neither recorded nor counted. Rolled back here, not
                // on drop, so the connection is free for the lookup below (on SQLite the transaction holds the
                // only one).
                _ => transaction.rollback().await.map_err(failed)?,
            }
            counted?;
            first
        };
        if first {
            return Ok(());
        }
        let first_request_id =
            replay::first_request_id(&self.db, &acceptance.digest, &acceptance.consumer).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "first request id of a replayed request not read");
                None
            });
        tracing::warn!(
            request_id = %acceptance.request_id,
            first_request_id = first_request_id.as_deref().unwrap_or_default(),
            consumer = %consumer,
            "signed request used again; refused"
        );
        Err(replay::replayed(first_request_id.as_deref()))
    }

    /// DDP: writes the usage record of a delivered exchange and waits for its acknowledgement; a write that fails
    /// fails the call, so nothing is delivered unbilled.
    async fn record_usage(
        &self,
        facts: &CallFacts,
        consumer: &SubsystemId,
        grant: &CachedGrant,
        traceparent: &str,
    ) -> Result<(), GatewayError> {
        let Some(service) = facts.service.as_ref() else { return Ok(()) };
        let Some(record) = usage::record(
            &self.instance,
            &facts.request_id,
            consumer,
            service,
            grant,
            &facts.data_items,
            facts.received_at,
        ) else {
            return Ok(());
        };
        // Its own span, so billing's metering of this record hangs under the record in the call's trace.
        let span =
            tracing::info_span!("usage.record", otel.name = "usage.record", koprik.request_id = %facts.request_id);
        let traceparent = koprik_runtime::trace_context::pass_on(&span, Some(traceparent));
        let write = self.usage.write(consumer, &record, &traceparent).instrument(span);
        let written = tokio::time::timeout(self.audit_timeout, write).await;
        let failure = match written {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("not acknowledged within {:?}", self.audit_timeout),
        };
        self.metrics.usage_failures.inc();
        tracing::error!(request_id = %facts.request_id, error = %failure, "usage record not written; the call fails");
        Err(GatewayError::Platform(
            "the exchange could not be recorded for billing, so nothing was delivered; try again".into(),
        ))
    }

    /// Produces `request` on the provider's request topic, bounded by `timeout`.
    pub(crate) async fn forward(
        &self,
        request: &ExchangeRequest,
        service: &ServiceId,
        timeout: Duration,
        traceparent: &str,
    ) -> Result<(), GatewayError> {
        let topic = exchange_requests(service.provider().member_code());
        let event_id = uuid::Uuid::now_v7().to_string();
        let publish = self.producer.publish(&topic, &request.request_id, request, &event_id, Some(traceparent));
        let published = match tokio::time::timeout(timeout, publish).await {
            Ok(result) => result.map(|_| ()).map_err(|e| e.to_string()),
            Err(_) => Err(format!("the broker did not acknowledge within {timeout:?}")),
        };
        published.map_err(|e| {
            tracing::error!(request_id = %request.request_id, error = %e, "request not forwarded");
            GatewayError::Platform(format!(
                "the request could not be forwarded to the provider of {service}; try again later"
            ))
        })
    }

    /// Records the outcome of a Call or Submit on `exchange.audit` before anything is returned (a result that
    /// cannot be audited becomes a platform error), counts it and logs it.
    pub(crate) async fn conclude<T>(
        &self,
        started: Instant,
        facts: &CallFacts,
        mut result: Result<T, GatewayError>,
        step: Step,
        traceparent: &str,
    ) -> Result<T, GatewayError> {
        let summary = result.as_ref().map(|_| ()).map_err(Clone::clone);
        let mut record = audit::record(&self.instance, facts, &summary);
        record.step = step.audit_step as i32;
        record.deadline = step.deadline.map(timestamp);
        // Bounded like any produce: a broker that does not acknowledge fails the call instead of holding it.
        let written = tokio::time::timeout(self.audit_timeout, self.auditor.write(&record, traceparent)).await;
        let failure = match written {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("not acknowledged within {:?}", self.audit_timeout)),
        };
        if let Some(e) = failure {
            self.metrics.audit_failures.inc();
            tracing::error!(request_id = %facts.request_id, error = %e, "audit record not written; the call fails");
            result = Err(GatewayError::Platform(
                "the exchange could not be recorded in the audit trail, so nothing was delivered; try again".into(),
            ));
        }
        let outcome = audit::outcome(&result.as_ref().map(|_| ()).map_err(Clone::clone));
        let label = outcome.as_str_name().trim_start_matches("AUDIT_OUTCOME_").to_ascii_lowercase();
        record_on_span(&tracing::Span::current(), facts, &label);
        let counter = if step.audit_step == AuditStep::Submitted { &self.metrics.submits } else { &self.metrics.calls };
        let parties = metric_parties(&self.cache, facts);
        let provider = parties.provider.clone();
        counter
            .get_or_create(&[
                ("consumer", parties.consumer),
                ("provider", parties.provider),
                ("service", parties.service),
                ("outcome", outcome_label(&label).to_owned()),
            ])
            .inc();
        if let Err(e) = &result {
            self.metrics.not_delivered(e.reason());
        }
        self.metrics.call_seconds.get_or_create(&[("provider", provider)]).observe(started.elapsed().as_secs_f64());
        tracing::info!(
            request_id = %facts.request_id,
            consumer = facts.consumer.as_ref().map(ToString::to_string).unwrap_or_default(),
            service = facts.service.as_ref().map(ToString::to_string).unwrap_or_default(),
            step = step.audit_step.as_str_name(),
            outcome = %label,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "exchange finished"
        );
        result
    }
}

/// Which step an audit record is about, and the deadline it states.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    /// CALL, SUBMITTED, ANSWERED or ESCALATED.
    pub audit_step: AuditStep,
    /// The legal deadline of a submitted request's answer.
    pub deadline: Option<chrono::DateTime<Utc>>,
}

impl Step {
    /// A synchronous call.
    pub const CALL: Self = Self { audit_step: AuditStep::Call, deadline: None };
}

/// The request as forwarded to the provider, without the reply routing (topic, deadline, asynchronous).
pub(crate) fn forwarded(
    facts: &CallFacts,
    consumer: &SubsystemId,
    call: &Call,
    request: &CallRequest,
) -> ExchangeRequest {
    ExchangeRequest {
        request_id: facts.request_id.clone(),
        consumer: Some(consumer.into()),
        service: Some((&call.service).into()),
        applicants: request.applicants.clone(),
        data_items: call.data_items.clone(),
        payload: request.payload.clone(),
        content_type: request.content_type.clone(),
        received_at: Some(timestamp(facts.received_at)),
        particulars: request.particulars.clone(),
        ..Default::default()
    }
}

/// The consumer's response for a reply; an answer is delivered only once its adapter signature verifies and the
/// data items it declares are among those `call` asked for.
fn deliver(
    cache: &RegistryCache,
    call: &Call,
    facts: &mut CallFacts,
    reply: ExchangeReply,
) -> Result<CallResponse, GatewayError> {
    match reply.outcome {
        Some(Outcome::Answer(answer)) => {
            facts.provider_key_id =
                answer_signature::verify(cache, &facts.request_id, &call.service, &answer, reply.answered_at.as_ref())?;
            if let Err(refused) = access::check_released(&call.data_items, &answer.data_items) {
                // Codes, never data: the refusal does not name them, the operators need them.
                tracing::warn!(
                    request_id = %facts.request_id,
                    asked = ?call.data_items,
                    declared = ?answer.data_items,
                    "answer outside the data items asked for refused"
                );
                return Err(refused);
            }
            facts.released_items = answer.data_items;
            facts.response_sha256 = audit::sha256_hex(&answer.payload);
            Ok(CallResponse {
                request_id: facts.request_id.clone(),
                payload: answer.payload,
                content_type: answer.content_type,
                received_at: Some(timestamp(facts.received_at)),
                answered_at: reply.answered_at,
            })
        }
        Some(Outcome::Failure(failure)) => {
            Err(GatewayError::Provider { kind: failure.kind(), message: failure.message })
        }
        None => Err(GatewayError::Platform("the provider's adapter sent an empty reply".into())),
    }
}

/// The parties of an exchange as metric labels: only members and services the registry knows, `unknown` for
/// anything else, so that no caller can grow the label sets (a well-formed made-up service id creates no series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetricParties {
    /// The consumer's member, when its subsystem is registered.
    pub consumer: String,
    /// The service's provider member, when the service is registered.
    pub provider: String,
    /// The service, when registered.
    pub service: String,
}

/// The metric labels of `facts`' parties, as far as `cache` knows them.
pub(crate) fn metric_parties(cache: &RegistryCache, facts: &CallFacts) -> MetricParties {
    const UNKNOWN: &str = "unknown";
    let consumer = facts
        .consumer
        .as_ref()
        .filter(|consumer| cache.has_subsystem(consumer))
        .map_or_else(|| UNKNOWN.to_owned(), |consumer| consumer.member().to_string());
    let service = facts.service.as_ref().filter(|service| cache.service(service).is_some());
    MetricParties {
        consumer,
        provider: service.map_or_else(|| UNKNOWN.to_owned(), |service| service.provider().to_string()),
        service: service.map_or_else(|| UNKNOWN.to_owned(), ToString::to_string),
    }
}

/// The span of one exchange (call or submit): who, what and how it ended, filled in as they become known. Never
/// the payload or any personal data.
pub(crate) fn exchange_span(name: &'static str, facts: &CallFacts) -> tracing::Span {
    tracing::info_span!(
        "exchange",
        otel.name = name,
        koprik.request_id = %facts.request_id,
        koprik.consumer = tracing::field::Empty,
        koprik.provider = tracing::field::Empty,
        koprik.service = tracing::field::Empty,
        koprik.outcome = tracing::field::Empty,
    )
}

/// Records the parties and the outcome on the exchange span.
fn record_on_span(span: &tracing::Span, facts: &CallFacts, outcome: &str) {
    if let Some(consumer) = &facts.consumer {
        span.record("koprik.consumer", tracing::field::display(consumer));
    }
    if let Some(service) = &facts.service {
        span.record("koprik.provider", tracing::field::display(service.provider()));
        span.record("koprik.service", tracing::field::display(service));
    }
    span.record("koprik.outcome", outcome);
}

/// A metric label from the audit outcome's name (static, so the label set stays bounded).
fn outcome_label(name: &str) -> &'static str {
    match name {
        "delivered" => "delivered",
        "refused" => "refused",
        "invalid" => "invalid",
        "provider_error" => "provider_error",
        "timed_out" => "timed_out",
        "platform_error" => "platform_error",
        _ => "unspecified",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::events::registry_event::Entity;
    use koprik_proto::registry::{Meta, Service, Subsystem};

    const CONSUMER: &str = "UZ/GOV/200935935/tax-inspection";
    const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";

    fn cache() -> RegistryCache {
        let cache = RegistryCache::default();
        let consumer: SubsystemId = CONSUMER.parse().expect("id");
        let service: ServiceId = SERVICE.parse().expect("id");
        let meta = Some(Meta { revision: 1, ..Meta::default() });
        cache
            .apply(&Entity::Subsystem(Subsystem { id: Some((&consumer).into()), meta, ..Default::default() }))
            .expect("subsystem");
        cache
            .apply(&Entity::Service(Service { id: Some((&service).into()), meta, ..Default::default() }))
            .expect("service");
        cache
    }

    fn facts(consumer: &str, service: &str) -> CallFacts {
        CallFacts {
            consumer: Some(consumer.parse().expect("id")),
            service: Some(service.parse().expect("id")),
            ..CallFacts::default()
        }
    }

    #[test]
    fn known_parties_are_labelled_by_name() {
        let parties = metric_parties(&cache(), &facts(CONSUMER, SERVICE));
        assert_eq!(
            parties,
            MetricParties {
                consumer: "UZ/GOV/200935935".into(),
                provider: "UZ/GOV/201122919".into(),
                service: SERVICE.into(),
            }
        );
    }

    #[test]
    fn made_up_services_and_unregistered_consumers_are_unknown() {
        let cache = cache();
        // A well-formed service id the registry does not have, of a provider it does not know either.
        let made_up = metric_parties(&cache, &facts(CONSUMER, "UZ/GOV/999999999/anything/x-1/v9"));
        assert_eq!((made_up.provider.as_str(), made_up.service.as_str()), ("unknown", "unknown"));
        assert_eq!(made_up.consumer, "UZ/GOV/200935935");
        // A made-up service of a real provider names no provider either: nothing was called.
        let other = metric_parties(&cache, &facts(CONSUMER, "UZ/GOV/201122919/civil-registry/marriages/v1"));
        assert_eq!((other.provider.as_str(), other.service.as_str()), ("unknown", "unknown"));
        let stranger = metric_parties(&cache, &facts("UZ/GOV/300000001/unknown", SERVICE));
        assert_eq!(stranger.consumer, "unknown");
        let nothing = metric_parties(&cache, &CallFacts::default());
        assert_eq!((nothing.consumer.as_str(), nothing.provider.as_str()), ("unknown", "unknown"));
    }
}
