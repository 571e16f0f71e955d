//! Metering: reads `exchange.usage` and stores each billable request once. Records are taken in batches; a
//! batch is one database transaction (request ids already stored are skipped), and its offsets are committed only
//! after that transaction, so a crash at any point replays the batch and the replay stores nothing twice. The next
//! batch is read and decoded while the previous one is being stored. A
//! record that cannot be read goes to `exchange.usage.dlq` before its offset is committed.
//!
//! Only delivered DDP exchanges are billable, and the gateway writes a usage record for those alone: a refused
//! request, or one the provider failed, never reaches billing. A usage record is not its own evidence, though:
//! each row is stored with its verdict under [`crate::reconciliation`] (billable, pending, or held), and only
//! reconciled rows are invoiced.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use koprik_kafka::consumer::next_batch;
use koprik_kafka::offsets::commit_offsets;
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::OwnedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::{decode, Producer};
use koprik_proto::events::UsageRecord;
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::FieldError;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::MeteringConfig;
use crate::deliveries::ReconciliationMetrics;
use crate::reconciliation::Evidence;
use crate::repository::{Repository, UsageRow};

/// Labels: `outcome` = stored, duplicate, dead_lettered.
pub type OutcomeLabels = Vec<(&'static str, &'static str)>;

/// What metering counts.
#[derive(Clone, Default)]
pub struct MeteringMetrics {
    /// Usage records read, by outcome.
    pub records: Family<OutcomeLabels, Counter>,
    /// Batches written.
    pub batches: Counter,
    /// What the reconciliation verdicts on stored rows count (shared with [`crate::deliveries`]).
    pub reconciliation: ReconciliationMetrics,
}

impl MeteringMetrics {
    fn count(&self, outcome: &'static str, n: u64) {
        self.records.get_or_create(&vec![("outcome", outcome)]).inc_by(n);
    }
}

/// A usage record as billing needs it; the error names the field.
pub fn validate(record: &UsageRecord) -> Result<UsageRow, FieldError> {
    if record.request_id.is_empty() || record.request_id.len() > 64 {
        return Err(FieldError::new("request_id", "must be 1-64 characters"));
    }
    let account: MemberId = koprik_proto::field::required(record.account.as_ref(), "account")?;
    let consumer: SubsystemId = koprik_proto::field::required(record.consumer.as_ref(), "consumer")?;
    if *consumer.member() != account {
        return Err(FieldError::new("consumer", "must be a subsystem of the billed account"));
    }
    let service: ServiceId = koprik_proto::field::required(record.service.as_ref(), "service")?;
    let provider: MemberId = koprik_proto::field::required(record.provider.as_ref(), "provider")?;
    if *service.provider() != provider {
        return Err(FieldError::new("provider", "must be the member providing the service"));
    }
    if record.contract_reference.trim().is_empty() {
        return Err(FieldError::missing("contract_reference"));
    }
    let received_at = record
        .received_at
        .as_ref()
        .and_then(koprik_proto::time::datetime)
        .ok_or_else(|| FieldError::missing("received_at"))?;
    Ok(UsageRow {
        request_id: record.request_id.clone(),
        account: account.to_string(),
        consumer: consumer.to_string(),
        contract_reference: record.contract_reference.clone(),
        service: service.to_string(),
        provider: provider.to_string(),
        received_at,
        gateway: record.gateway.clone(),
    })
}

/// A batch read and decoded, waiting to be stored: its rows and the offsets to commit once they are.
struct Decoded {
    rows: Vec<UsageRow>,
    offsets: BTreeMap<(String, i32), i64>,
    /// One span per record, in the trace of the call that produced it, open until the record is stored.
    traces: Vec<(tracing::Span, Option<String>)>,
}

/// Reads `exchange.usage` until `shutdown`. Reading and decoding the next batch overlaps storing the previous
/// one: the reader hands batches to one writer through a one-slot channel, and the writer stores them in order
/// and commits each batch's offsets after its transaction.
pub async fn run(
    consumer: StreamConsumer,
    repository: Repository,
    producer: Producer,
    config: MeteringConfig,
    evidence: Evidence,
    metrics: MeteringMetrics,
    shutdown: CancellationToken,
) {
    let consumer = Arc::new(consumer);
    let (batches, mut to_store) = tokio::sync::mpsc::channel::<Decoded>(1);
    let writer = {
        let (consumer, metrics, shutdown) = (Arc::clone(&consumer), metrics.clone(), shutdown.clone());
        tokio::spawn(async move {
            while let Some(batch) = to_store.recv().await {
                // One span for the batch's transaction, linked to every call it bills.
                let span = tracing::info_span!(
                    "billing.store_usage",
                    otel.name = "billing.store_usage",
                    records = batch.rows.len()
                );
                for (_, traceparent) in &batch.traces {
                    koprik_runtime::trace_context::link_to(&span, traceparent.as_deref());
                }
                if !store(&batch.rows, &repository, &evidence, &metrics, &shutdown).instrument(span).await {
                    // Shutting down with the batch not stored: its offsets stay uncommitted; it is read again.
                    return;
                }
                if let Err(e) = commit_offsets(&consumer, &batch.offsets) {
                    tracing::warn!(error = %e, "cannot commit usage offsets; the batch is read again after a restart (stored once)");
                }
                metrics.batches.inc();
            }
        })
    };
    while let Some(batch) = next_batch(&consumer, config.batch_size, config.batch_linger, &shutdown).await {
        let Some(decoded) = decode_batch(&batch, &producer, &metrics, &shutdown).await else { break };
        if batches.send(decoded).await.is_err() {
            break;
        }
    }
    drop(batches);
    if let Err(e) = writer.await {
        tracing::error!(error = %e, "the usage writer failed");
    }
}

/// Decodes a batch, dead-lettering what cannot be read, and notes its offsets. None only when shutdown
/// interrupted a dead-letter write.
async fn decode_batch(
    batch: &[OwnedMessage],
    producer: &Producer,
    metrics: &MeteringMetrics,
    shutdown: &CancellationToken,
) -> Option<Decoded> {
    let mut rows = Vec::with_capacity(batch.len());
    let mut seen = HashSet::with_capacity(batch.len());
    let mut traces = Vec::with_capacity(batch.len());
    let mut offsets = BTreeMap::new();
    for record in batch {
        let next = offsets.entry((record.topic().to_owned(), record.partition())).or_insert(0);
        *next = (*next).max(record.offset() + 1);
        let row = decode::<UsageRecord>(record).map_err(|e| e.to_string()).and_then(|r| {
            let row = validate(&r.value).map_err(|e| format!("UsageRecord.{e}"))?;
            Ok((row, r.headers.traceparent))
        });
        match row {
            Ok((row, traceparent)) if seen.insert(row.request_id.clone()) => {
                let span = tracing::info_span!(
                    "billing.meter",
                    otel.name = "billing.meter",
                    koprik.request_id = %row.request_id,
                    koprik.consumer = %row.account,
                    koprik.service = %row.service,
                );
                koprik_runtime::trace_context::continue_from(&span, traceparent.as_deref());
                traces.push((span, traceparent));
                rows.push(row);
            }
            Ok(_) => metrics.count("duplicate", 1),
            Err(reason) => {
                if !producer.dead_letter_retrying(record, &reason, shutdown.cancelled()).await {
                    return None;
                }
                metrics.count("dead_lettered", 1);
            }
        }
    }
    Some(Decoded { rows, offsets, traces })
}

/// Stores rows in one transaction, each with its reconciliation verdict, retrying the database until it
/// succeeds. False only when shutdown interrupted it.
async fn store(
    rows: &[UsageRow],
    repository: &Repository,
    evidence: &Evidence,
    metrics: &MeteringMetrics,
    shutdown: &CancellationToken,
) -> bool {
    let mut backoff = Duration::from_millis(200);
    loop {
        match repository.insert_usage(rows, evidence).await {
            Ok(judged) => {
                metrics.count("stored", judged.inserted);
                metrics.count("duplicate", rows.len() as u64 - judged.inserted);
                for (reason, n) in &judged.held {
                    tracing::warn!(
                        reason,
                        held = n,
                        "usage held on arrival: not billed (Invoices/ListHeldUsage lists it)"
                    );
                }
                metrics.reconciliation.count(&judged);
                return true;
            }
            Err(e) => tracing::warn!(error = %e, retry_in = ?backoff, "cannot store usage; retrying"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return false,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> UsageRecord {
        let account: MemberId = "UZ/COM/207028220".parse().expect("id");
        let consumer: SubsystemId = "UZ/COM/207028220/kyc-check".parse().expect("id");
        let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id");
        UsageRecord {
            event_id: "e".into(),
            request_id: "r-1".into(),
            account: Some((&account).into()),
            consumer: Some((&consumer).into()),
            service: Some((&service).into()),
            provider: Some(service.provider().into()),
            contract_reference: "DDP-2026-001".into(),
            received_at: Some(koprik_proto::time::timestamp(chrono::Utc::now())),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_record_becomes_a_row() {
        let row = validate(&record()).expect("valid");
        assert_eq!(row.account, "UZ/COM/207028220");
        assert_eq!(row.provider, "UZ/GOV/201122919");
    }

    #[test]
    fn malformed_records_name_the_field() {
        let mut r = record();
        r.request_id.clear();
        assert_eq!(validate(&r).expect_err("id").field, "request_id");
        let mut r = record();
        r.provider = Some((&"UZ/GOV/200935935".parse::<MemberId>().expect("id")).into());
        assert_eq!(validate(&r).expect_err("provider").field, "provider");
        let mut r = record();
        r.received_at = None;
        assert_eq!(validate(&r).expect_err("time").field, "received_at");
        let mut r = record();
        r.contract_reference = " ".into();
        assert_eq!(validate(&r).expect_err("contract").field, "contract_reference");
    }
}
