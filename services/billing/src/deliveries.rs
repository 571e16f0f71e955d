//! Deliveries: reads `exchange.audit` and keeps the requests whose answer reached the consumer, the evidence a
//! usage record needs to be billed ([`crate::reconciliation`]); and the reconciliation loop, which judges again
//! what still waits. Records are taken in batches, each one database transaction (a request id stored before is
//! ignored: at least once in, exactly once stored), offsets committed after it. Audit records of other outcomes
//! and steps are passed over; one that cannot be read, or a delivering one without its request id, consumer or
//! service, goes to `exchange.audit.dlq` before its offset is committed.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use koprik_kafka::consumer::next_batch;
use koprik_kafka::offsets::commit_offsets;
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::OwnedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::{decode, Producer};
use koprik_proto::events::{AuditRecord, AuditStep};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::FieldError;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use tokio_util::sync::CancellationToken;

use crate::config::ReconciliationConfig;
use crate::reconciliation::{delivers_answer, Evidence, HOLD_CODES};
use crate::repository::{DeliveredRow, Judged, Repository};

/// Labels of one dimension, e.g. `reason` = no_delivered_audit.
pub type Labels = Vec<(&'static str, &'static str)>;

/// What reconciliation counts.
#[derive(Clone, Default)]
pub struct ReconciliationMetrics {
    /// Audit records read, by outcome: delivered (stored), duplicate, other (not a delivered answer),
    /// dead_lettered.
    pub audit_records: Family<Labels, Counter>,
    /// Usage held, by reason (`no_delivered_audit`, `account_mismatch`, `audit_mismatch`).
    pub held: Family<Labels, Counter>,
    /// Usage that became billable after it was stored (its audit record or contract came later).
    pub reconciled: Counter,
    /// Usage waiting for its audit record or contract, as of the loop's last round.
    pub pending: Gauge,
}

impl ReconciliationMetrics {
    /// Every reason at zero, so that an alert can watch the series before the first hold.
    pub fn new() -> Self {
        let metrics = Self::default();
        for code in HOLD_CODES {
            drop(metrics.held.get_or_create(&vec![("reason", code)]));
        }
        metrics
    }

    /// Counts what a store or a round did.
    pub fn count(&self, judged: &Judged) {
        for (code, n) in &judged.held {
            self.held.get_or_create(&vec![("reason", *code)]).inc_by(*n);
        }
        self.reconciled.inc_by(judged.reconciled);
    }

    fn audit(&self, outcome: &'static str, n: u64) {
        if n > 0 {
            self.audit_records.get_or_create(&vec![("outcome", outcome)]).inc_by(n);
        }
    }

    /// Registers the metrics.
    pub fn register(&self, registry: &mut prometheus_client::registry::Registry) {
        registry.register(
            "audit_records",
            "Audit records read from exchange.audit, by outcome",
            self.audit_records.clone(),
        );
        registry.register("usage_held", "Usage records held and never billed, by reason", self.held.clone());
        registry.register(
            "usage_reconciled",
            "Usage records that became billable after they were stored (their audit record or contract came later)",
            self.reconciled.clone(),
        );
        registry.register(
            "usage_pending",
            "Usage records waiting for their delivered audit record or their contract",
            self.pending.clone(),
        );
    }
}

/// The delivered exchange an audit record proves, None when it proves none; the error names the field.
pub fn delivered(record: &AuditRecord) -> Result<Option<DeliveredRow>, FieldError> {
    if !delivers_answer(record.outcome, record.step) {
        return Ok(None);
    }
    if record.request_id.is_empty() || record.request_id.len() > 64 {
        return Err(FieldError::new("request_id", "must be 1-64 characters"));
    }
    let consumer: SubsystemId = koprik_proto::field::required(record.consumer.as_ref(), "consumer")?;
    let service: ServiceId = koprik_proto::field::required(record.service.as_ref(), "service")?;
    let delivered_at = record
        .completed_at
        .as_ref()
        .or(record.received_at.as_ref())
        .and_then(koprik_proto::time::datetime)
        .ok_or_else(|| FieldError::missing("completed_at"))?;
    let step = AuditStep::try_from(record.step).unwrap_or(AuditStep::Unspecified);
    Ok(Some(DeliveredRow {
        request_id: record.request_id.clone(),
        consumer: consumer.to_string(),
        service: service.to_string(),
        step: step.as_str_name().to_owned(),
        gateway: record.gateway.clone(),
        delivered_at,
    }))
}

/// Reads `exchange.audit` until `shutdown`, storing what each batch proves delivered and judging the usage that
/// waited for it.
pub async fn run(
    consumer: StreamConsumer,
    repository: Repository,
    producer: Producer,
    config: ReconciliationConfig,
    metrics: ReconciliationMetrics,
    shutdown: CancellationToken,
) {
    let evidence = Evidence::from_config(&config);
    while let Some(batch) = next_batch(&consumer, config.batch_size, config.batch_linger, &shutdown).await {
        let Some((rows, offsets)) = decode_batch(&batch, &producer, &metrics, &shutdown).await else { return };
        let mut backoff = Duration::from_millis(200);
        loop {
            match repository.record_delivered(&rows, &evidence).await {
                Ok(judged) => {
                    metrics.audit("delivered", judged.inserted);
                    metrics.audit("duplicate", rows.len() as u64 - judged.inserted);
                    metrics.count(&judged);
                    break;
                }
                Err(e) => tracing::warn!(error = %e, retry_in = ?backoff, "cannot store delivered exchanges; retrying"),
            }
            tokio::select! {
                // Shutting down with the batch not stored: its offsets stay uncommitted; it is read again.
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
        if let Err(e) = commit_offsets(&consumer, &offsets) {
            tracing::warn!(error = %e, "cannot commit audit offsets; the batch is read again after a restart");
        }
    }
}

/// Offsets to commit, by topic and partition.
type Offsets = BTreeMap<(String, i32), i64>;

/// Decodes a batch: the delivered exchanges it proves (each request id once) and its offsets. None only when
/// shutdown interrupted a dead-letter write.
async fn decode_batch(
    batch: &[OwnedMessage],
    producer: &Producer,
    metrics: &ReconciliationMetrics,
    shutdown: &CancellationToken,
) -> Option<(Vec<DeliveredRow>, Offsets)> {
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    let mut offsets = BTreeMap::new();
    for record in batch {
        let next = offsets.entry((record.topic().to_owned(), record.partition())).or_insert(0);
        *next = (*next).max(record.offset() + 1);
        let row = decode::<AuditRecord>(record)
            .map_err(|e| e.to_string())
            .and_then(|r| delivered(&r.value).map_err(|e| format!("AuditRecord.{e}")));
        match row {
            Ok(Some(row)) if seen.insert(row.request_id.clone()) => rows.push(row),
            Ok(Some(_)) => metrics.audit("duplicate", 1),
            Ok(None) => metrics.audit("other", 1),
            Err(reason) => {
                if !producer.dead_letter_retrying(record, &reason, shutdown.cancelled()).await {
                    return None;
                }
                metrics.audit("dead_lettered", 1);
            }
        }
    }
    Some((rows, offsets))
}

/// The reconciliation loop: every `interval`, judges what still waits (holding usage whose grace is over), counts
/// what is pending, and prunes delivered exchanges past their retention. Runs until `shutdown`.
pub async fn reconcile_loop(
    repository: Repository,
    config: ReconciliationConfig,
    metrics: ReconciliationMetrics,
    shutdown: CancellationToken,
) {
    let evidence = Evidence::from_config(&config);
    let mut ticks = tokio::time::interval(config.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now = Utc::now();
        match repository.reconcile_pending(now, &evidence).await {
            Ok(judged) => {
                if judged.reconciled > 0 || !judged.held.is_empty() {
                    tracing::info!(reconciled = judged.reconciled, held = ?judged.held, "usage reconciled");
                }
                for (reason, n) in &judged.held {
                    tracing::warn!(reason, held = n, "usage held: not billed (Invoices/ListHeldUsage lists it)");
                }
                metrics.count(&judged);
            }
            Err(e) => tracing::warn!(error = %e, "reconciling usage failed; retrying at the next round"),
        }
        match repository.pending_usage_count().await {
            Ok(pending) => {
                metrics.pending.set(i64::try_from(pending).unwrap_or(i64::MAX));
            }
            Err(e) => tracing::warn!(error = %e, "counting pending usage failed"),
        }
        let before = now - chrono::Duration::from_std(config.delivered_retention).unwrap_or(chrono::Duration::MAX);
        match repository.prune_delivered(before).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "delivered exchanges past their retention pruned"),
            Err(e) => tracing::warn!(error = %e, "pruning delivered exchanges failed; retrying at the next round"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::events::AuditOutcome;

    fn record(outcome: AuditOutcome, step: AuditStep) -> AuditRecord {
        let consumer: SubsystemId = "UZ/COM/207028220/kyc-check".parse().expect("id");
        let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id");
        AuditRecord {
            request_id: "r-1".into(),
            gateway: "gateway-1".into(),
            consumer: Some((&consumer).into()),
            service: Some((&service).into()),
            outcome: outcome as i32,
            step: step as i32,
            completed_at: Some(koprik_proto::time::timestamp(Utc::now())),
            ..Default::default()
        }
    }

    #[test]
    fn a_delivered_answer_becomes_a_row_and_anything_else_is_passed_over() {
        let row = delivered(&record(AuditOutcome::Delivered, AuditStep::Call)).expect("valid").expect("delivered");
        assert_eq!((row.request_id.as_str(), row.step.as_str()), ("r-1", "AUDIT_STEP_CALL"));
        assert_eq!(row.consumer, "UZ/COM/207028220/kyc-check");
        assert!(delivered(&record(AuditOutcome::Delivered, AuditStep::Answered)).expect("valid").is_some());
        assert!(delivered(&record(AuditOutcome::Delivered, AuditStep::Submitted)).expect("valid").is_none());
        assert!(delivered(&record(AuditOutcome::Refused, AuditStep::Call)).expect("valid").is_none());
    }

    #[test]
    fn a_delivered_record_without_its_consumer_names_the_field() {
        let mut broken = record(AuditOutcome::Delivered, AuditStep::Call);
        broken.consumer = None;
        assert_eq!(delivered(&broken).expect_err("invalid").field, "consumer");
        // A refused call may have no consumer at all: it is simply passed over.
        let mut refused = record(AuditOutcome::Refused, AuditStep::Call);
        refused.consumer = None;
        assert!(delivered(&refused).expect("valid").is_none());
    }
}
