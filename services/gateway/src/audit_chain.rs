//! This replica's audit hash chain: the link (next sequence, previous hash) every record gets, handed out and
//! enqueued in one critical section so the partition holds the chain in sequence order, and how the chain is
//! continued from the topic at start-up and after a failed write (DESIGN "Security": audit records are
//! hash-chained so that removing or altering one is detectable).
//!
//! Failed writes: the call whose record failed fails (exchange.rs). The chain is then marked stale; the next
//! write waits until no record of the chain is in flight, reads the chain's tail back from the topic, and links to
//! the last record the broker actually stored. A record that was lost is thus never silently linked over; if the
//! broker kept a later record but lost an earlier one (which the idempotent producer is built to prevent), the
//! hole is on the topic, logged here and named by `koprik audit verify`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use koprik_kafka::consumer::{read_range, watermarks};
use koprik_kafka::topics::EXCHANGE_AUDIT;
use koprik_kafka::{KafkaConfig, KafkaError, Producer, RecordHeaders};
use koprik_proto::audit_chain::link_hash;
use koprik_proto::events::AuditRecord;
use koprik_proto::prost::{Message, Name};

/// How many records at the end of a partition are read first when looking for the chain's last record; the window
/// grows fourfold until the record or the start of the partition is found.
const FIRST_WINDOW: i64 = 256;

/// Where the chain stands: what the next record's link is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// The next record's sequence.
    pub next_sequence: u64,
    /// The hex SHA-256 of the last stored record's value (empty for a new chain).
    pub previous_sha256: String,
}

/// One replica's chain.
pub struct Chain {
    /// The chain id: the gateway instance. Also the record key, so the chain stays in one partition.
    id: String,
    producer: Producer,
    kafka: KafkaConfig,
    /// A `tokio` mutex: the critical section is synchronous (link, encode, enqueue) except when the chain must
    /// be re-read from the topic, which awaits while later writers queue behind it in order.
    link: tokio::sync::Mutex<Link>,
    /// Set when a write failed: the next writer re-reads the chain's tail before linking.
    stale: AtomicBool,
    /// Records enqueued and not yet acknowledged or failed.
    in_flight: AtomicUsize,
    /// How long a record may take to be acknowledged (the producer's delivery timeout).
    delivery_timeout: Duration,
}

impl Chain {
    /// The chain `id`, continued from its last record on `exchange.audit`.
    pub async fn resume(producer: Producer, kafka: &KafkaConfig, id: &str) -> Result<Arc<Self>, KafkaError> {
        let started = Instant::now();
        let (link, read) = find_tail(kafka, id).await?;
        tracing::info!(
            chain = %id,
            next_sequence = link.next_sequence,
            records_read = read,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "audit chain resumed"
        );
        Ok(Arc::new(Self {
            id: id.to_owned(),
            producer,
            kafka: kafka.clone(),
            link: tokio::sync::Mutex::new(link),
            stale: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            delivery_timeout: kafka.delivery_timeout,
        }))
    }

    /// The chain id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Links `record` into the chain and writes it; resolves once the broker has acknowledged it.
    pub async fn append(self: &Arc<Self>, record: &AuditRecord, traceparent: &str) -> Result<(), KafkaError> {
        let delivery = {
            let mut link = self.link.lock().await;
            if self.stale.load(Ordering::Acquire) {
                self.relink(&mut link).await?;
            }
            let record = AuditRecord {
                chain: self.id.clone(),
                sequence: link.next_sequence,
                previous_sha256: link.previous_sha256.clone(),
                ..record.clone()
            };
            let value = record.encode_to_vec();
            let headers = RecordHeaders {
                event_id: Some(record.event_id.clone()),
                event_type: Some(AuditRecord::full_name()),
                traceparent: Some(traceparent.to_owned()),
            };
            let delivery = self.producer.enqueue_encoded(EXCHANGE_AUDIT, &self.id, &value, &headers)?;
            self.in_flight.fetch_add(1, Ordering::AcqRel);
            link.next_sequence += 1;
            link.previous_sha256 = link_hash(&value);
            delivery
        };
        // Awaited in its own task so the outcome is recorded even if the caller stops waiting.
        let chain = Arc::clone(self);
        let outcome = tokio::spawn(async move {
            let outcome = delivery.await;
            if outcome.is_err() {
                chain.stale.store(true, Ordering::Release);
            }
            chain.in_flight.fetch_sub(1, Ordering::AcqRel);
            outcome
        });
        match outcome.await {
            Ok(delivered) => delivered.map(|_| ()),
            Err(e) => Err(KafkaError::Join(e)),
        }
    }

    /// After a failed write: waits for the records still in flight, then links to the last stored record.
    async fn relink(&self, link: &mut Link) -> Result<(), KafkaError> {
        let deadline = Instant::now() + self.delivery_timeout + Duration::from_secs(1);
        while self.in_flight.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (stored, _) = find_tail(&self.kafka, &self.id).await?;
        if stored.next_sequence != link.next_sequence {
            tracing::warn!(
                chain = %self.id,
                stored_next = stored.next_sequence,
                written_next = link.next_sequence,
                "audit records were not stored; the chain continues from the last stored record"
            );
        }
        *link = stored;
        self.stale.store(false, Ordering::Release);
        Ok(())
    }
}

/// The link after the last record of chain `id` on `exchange.audit`, and how many records were read to find it.
///
/// Cost: the end of each partition is read backwards in growing windows (256, 1024, ... records) until a record
/// of the chain is found, so a restart reads about the records written since this replica's last one; a chain
/// never written before reads every partition whole.
pub async fn find_tail(kafka: &KafkaConfig, id: &str) -> Result<(Link, u64), KafkaError> {
    let client_id = format!("koprik-gateway.{id}.audit-chain");
    let mut best: Option<(i32, Link)> = None;
    let mut read = 0u64;
    for (partition, low, high) in watermarks(kafka, &client_id, EXCHANGE_AUDIT).await? {
        let mut end = high;
        let mut window = FIRST_WINDOW;
        while end > low {
            let from = (end - window).max(low);
            let mut last: Option<Link> = None;
            read_range(kafka, &client_id, EXCHANGE_AUDIT, partition, from, end, |record| {
                read += 1;
                if let Ok(audit) = AuditRecord::decode(record.value.as_slice()) {
                    if audit.chain == id {
                        last =
                            Some(Link { next_sequence: audit.sequence + 1, previous_sha256: link_hash(&record.value) });
                    }
                }
            })
            .await?;
            if let Some(link) = last {
                if let Some((other, _)) = &best {
                    tracing::error!(chain = %id, partition, other, "audit chain found in two partitions");
                }
                if best.as_ref().is_none_or(|(_, b)| link.next_sequence > b.next_sequence) {
                    best = Some((partition, link));
                }
                break;
            }
            end = from;
            window = window.saturating_mul(4);
        }
    }
    Ok((best.map(|(_, link)| link).unwrap_or_default(), read))
}
