//! The request loop: read requests, ask the backend for several at once, produce each reply, then commit.
//!
//! Every request read ends in exactly one of: a reply (data or a provider failure), a skip (its deadline passed:
//! nobody waits any more), or a dead letter (it cannot be decoded or has no valid reply topic). Up to
//! `max_in_flight` requests are in work at once, so one slow backend call does not hold up the others; a
//! partition's offset is committed only up to its oldest request still in work ([`InFlight`]), so a crash replays
//! every unfinished request. Replies are keyed by request id and the gateway ignores a second one.
//!
//! The backend is asked for exactly the data items the request names, and an answer is relayed only when it
//! declares the items it carries, all of them asked for ([`crate::released_items`]); the declared items are signed
//! with the answer.
//!
//! A submitted (asynchronous) request is never skipped: its deadline is the legal one (REG-2 p. 17), a late
//! answer is still delivered (the lateness is counted against the provider), and an archive service's request
//! has no deadline at all.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use koprik_kafka::offsets::{commit_offsets, InFlight};
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::OwnedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::topics::is_exchange_replies;
use koprik_kafka::{decode, Producer};
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{ExchangeReply, ExchangeRequest, FailureKind, ProviderAnswer, ProviderFailure};
use koprik_proto::ids::{MemberId, ServiceId};
use koprik_proto::provider::HandleRequest;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::answer_signing::AnswerSigner;
use crate::backend::{Backend, BackendFailure};
use crate::metrics::AdapterMetrics;
use crate::released_items;

/// The longest the backend may take for one submitted (asynchronous) request; a backend that takes longer
/// answers UNAVAILABLE and the consumer may submit again.
pub const ASYNC_BACKEND_TIMEOUT: Duration = Duration::from_secs(60);

/// Processes one provider's requests.
pub struct Worker {
    signer: Arc<AnswerSigner>,
    provider: MemberId,
    backend: Arc<dyn Backend>,
    producer: Producer,
    metrics: AdapterMetrics,
}

impl Worker {
    /// A worker answering for `provider` from `backend`.
    pub fn new(
        provider: MemberId,
        backend: Arc<dyn Backend>,
        signer: Arc<AnswerSigner>,
        producer: Producer,
        metrics: AdapterMetrics,
    ) -> Self {
        Self { signer, provider, backend, producer, metrics }
    }

    /// Reads and answers requests, up to `max_in_flight` at once, until `shutdown`; then lets the requests in work
    /// finish (a synchronous one is bounded by its deadline) and commits what they finished.
    pub async fn run(self, consumer: StreamConsumer, max_in_flight: usize, shutdown: CancellationToken) {
        let worker = Arc::new(self);
        let mut in_flight = InFlight::new();
        let mut tasks: JoinSet<Finished> = JoinSet::new();
        loop {
            let room = tasks.len() < max_in_flight.max(1);
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(joined) = tasks.join_next() => worker.finished(&consumer, &mut in_flight, joined),
                record = consumer.recv(), if room => match record {
                    Ok(record) => {
                        let record = record.detach();
                        in_flight.start(record.topic(), record.partition(), record.offset());
                        worker.metrics.in_flight.set(in_flight.len() as i64);
                        let (worker, shutdown) = (Arc::clone(&worker), shutdown.clone());
                        tasks.spawn(async move {
                            let done = worker.process(&record, &shutdown).await;
                            Finished { topic: record.topic().to_owned(), partition: record.partition(), offset: record.offset(), done }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the request topic");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                },
            }
        }
        while let Some(joined) = tasks.join_next().await {
            worker.finished(&consumer, &mut in_flight, joined);
        }
    }

    /// Commits what a finished request allows. A request left unfinished (shutdown interrupted it) stays open, so
    /// its offset is never committed and the next start reads it again.
    fn finished(&self, consumer: &StreamConsumer, in_flight: &mut InFlight, joined: Result<Finished, JoinError>) {
        let finished = match joined {
            Ok(finished) => finished,
            Err(e) => {
                tracing::error!(error = %e, "a request task failed; its offset stays uncommitted");
                return;
            }
        };
        if !finished.done {
            return;
        }
        if let Some(next) = in_flight.finish(&finished.topic, finished.partition, finished.offset) {
            let offsets = BTreeMap::from([((finished.topic, finished.partition), next)]);
            if let Err(e) = commit_offsets(consumer, &offsets) {
                tracing::warn!(error = %e, "cannot commit; the request may be answered again after a restart");
            }
        }
        self.metrics.in_flight.set(in_flight.len() as i64);
    }

    /// Deals with one record; false when it could not be (shutdown while dead-lettering) and must not be committed.
    async fn process(&self, record: &OwnedMessage, shutdown: &CancellationToken) -> bool {
        let received = match decode::<ExchangeRequest>(record) {
            Ok(received) => received,
            Err(e) => return self.dead_letter(record, &e.to_string(), shutdown).await,
        };
        let request = received.value;
        let deadline = request.deadline.as_ref().and_then(koprik_proto::time::datetime);
        if deadline.is_none() && !request.asynchronous {
            return self.dead_letter(record, "the request has no valid deadline", shutdown).await;
        }
        if request.request_id.is_empty() || !is_exchange_replies(&request.reply_topic) {
            let reason = "the request has no request id or no exchange.replies.* reply topic";
            return self.dead_letter(record, reason, shutdown).await;
        }
        let remaining = match deadline.map(|d| (d - Utc::now()).to_std()) {
            // Asynchronous: answered however late (the gateway escalates a missed deadline, it does not give up).
            _ if request.asynchronous => ASYNC_BACKEND_TIMEOUT,
            Some(Ok(remaining)) => remaining,
            _ => {
                tracing::info!(request_id = %request.request_id, "request expired before it was read; nobody waits for it");
                self.metrics.count("expired");
                return true;
            }
        };

        let span = tracing::info_span!(
            "adapter.request",
            otel.name = "adapter.request",
            koprik.request_id = %request.request_id,
            koprik.outcome = tracing::field::Empty,
        );
        koprik_runtime::trace_context::continue_from(&span, received.headers.traceparent.as_deref());
        let traceparent = koprik_runtime::trace_context::pass_on(&span, received.headers.traceparent.as_deref());
        self.answer_and_reply(&request, remaining, deadline, &traceparent, shutdown).instrument(span).await
    }

    /// Asks the backend and sends the (signed) answer or the failure back on the reply topic.
    async fn answer_and_reply(
        &self,
        request: &ExchangeRequest,
        remaining: Duration,
        deadline: Option<chrono::DateTime<Utc>>,
        traceparent: &str,
        shutdown: &CancellationToken,
    ) -> bool {
        let (outcome, label) = self.answer(request, remaining).await;
        tracing::Span::current().record("koprik.outcome", label);
        self.metrics.count(label);
        let answered_at = koprik_proto::time::timestamp(Utc::now());
        let mut outcome = outcome;
        if let Outcome::Answer(answer) = &mut outcome {
            self.signer.sign(&request.request_id, request.service.as_ref(), answer, &answered_at);
        }
        let reply = ExchangeReply {
            request_id: request.request_id.clone(),
            service: request.service.clone(),
            answered_at: Some(answered_at),
            outcome: Some(outcome),
        };
        self.send_reply(request, &reply, deadline, traceparent, shutdown).await
    }

    /// Asks the backend, bounded by the time the consumer still waits, for exactly the data items the request names
    /// (never none), and lets out only an answer within them ([`released_items`]). Returns the outcome and its
    /// metric label.
    async fn answer(&self, request: &ExchangeRequest, remaining: Duration) -> (Outcome, &'static str) {
        let service = request.service.as_ref().map(ServiceId::try_from).transpose().ok().flatten();
        if service.as_ref().is_none_or(|s| *s.provider() != self.provider) {
            return failure(BackendFailure::new(
                FailureKind::UnknownService,
                format!("this adapter answers only for services of {}", self.provider),
            ));
        }
        let asked = match released_items::asked(&request.data_items) {
            Ok(asked) => asked,
            Err(refused) => return failure(refused),
        };
        let handle = HandleRequest {
            request_id: request.request_id.clone(),
            consumer: request.consumer.clone(),
            service: request.service.clone(),
            applicants: request.applicants.clone(),
            data_items: asked.to_vec(),
            payload: request.payload.clone(),
            content_type: request.content_type.clone(),
            received_at: request.received_at,
            deadline: request.deadline,
            particulars: request.particulars.clone(),
        };
        let started = Instant::now();
        let result = tokio::time::timeout(remaining, self.backend.handle(handle)).await;
        self.metrics.backend_seconds.observe(started.elapsed().as_secs_f64());
        match result {
            Ok(Ok(response)) => match released_items::check(asked, &response.data_items) {
                Ok(()) => (
                    Outcome::Answer(ProviderAnswer {
                        payload: response.payload,
                        content_type: response.content_type,
                        signature: None,
                        data_items: response.data_items,
                    }),
                    "answered",
                ),
                Err(refused) => {
                    // Codes, never data: the provider's operators need them to find the fault.
                    tracing::warn!(
                        request_id = %request.request_id,
                        asked = ?asked,
                        declared = ?response.data_items,
                        reason = %refused.message,
                        "answer outside the data items asked for refused"
                    );
                    (failure(refused).0, "answer_refused")
                }
            },
            Ok(Err(e)) => failure(e),
            Err(_) => failure(BackendFailure::new(
                FailureKind::Unavailable,
                "the provider's information system did not answer in time",
            )),
        }
    }

    /// Produces the reply, retrying while the consumer still waits (a submitted request's consumer always does:
    /// its reply is retried until it is out or shutdown interrupts, and then the request is read again). False
    /// when the request must not be committed.
    async fn send_reply(
        &self,
        request: &ExchangeRequest,
        reply: &ExchangeReply,
        deadline: Option<chrono::DateTime<Utc>>,
        traceparent: &str,
        shutdown: &CancellationToken,
    ) -> bool {
        let event_id = uuid::Uuid::now_v7().to_string();
        loop {
            let sent = self
                .producer
                .publish(&request.reply_topic, &request.request_id, reply, &event_id, Some(traceparent))
                .await;
            match sent {
                Ok(_) => {
                    tracing::debug!(request_id = %request.request_id, "reply produced");
                    return true;
                }
                Err(e) if request.asynchronous => {
                    tracing::warn!(request_id = %request.request_id, error = %e, "cannot produce the answer, retrying");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                        () = shutdown.cancelled() => return false,
                    }
                }
                Err(e) if deadline.is_some_and(|d| Utc::now() < d) => {
                    tracing::warn!(request_id = %request.request_id, error = %e, "cannot produce the reply, retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    tracing::error!(request_id = %request.request_id, error = %e, "reply lost: the consumer stopped waiting");
                    return true;
                }
            }
        }
    }

    /// Copies the record to the dead-letter topic, retrying until it is there. False only when shutdown
    /// interrupted the retries.
    async fn dead_letter(&self, record: &OwnedMessage, reason: &str, shutdown: &CancellationToken) -> bool {
        let done = self.producer.dead_letter_retrying(record, reason, shutdown.cancelled()).await;
        if done {
            self.metrics.count("dead_lettered");
        }
        done
    }
}

/// A request task's end: where its record is, and whether it was dealt with (false: shutdown interrupted it).
struct Finished {
    topic: String,
    partition: i32,
    offset: i64,
    done: bool,
}

/// The failure outcome and its metric label.
fn failure(e: BackendFailure) -> (Outcome, &'static str) {
    let label = outcome_label(e.kind);
    (Outcome::Failure(ProviderFailure { kind: e.kind as i32, message: e.message }), label)
}

fn outcome_label(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::NotFound => "not_found",
        FailureKind::InvalidRequest => "invalid_request",
        FailureKind::Refused => "refused",
        FailureKind::Unavailable => "unavailable",
        FailureKind::UnknownService => "unknown_service",
        FailureKind::Internal | FailureKind::Unspecified => "internal",
    }
}
