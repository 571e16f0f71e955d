//! The outbox relay: publishes committed events in the order they were written (per entity that is the order of
//! its changes, which the revision guard serialises) and deletes each once the broker acknowledged it.
//! At-least-once: a crash between publishing and deleting republishes the event, which consumers absorb because
//! every event carries the entity's whole state and its revision.

use std::sync::Arc;
use std::time::Duration;

use koprik_kafka::{Producer, RecordHeaders};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::OutboxConfig;
use crate::store as outbox;

/// Metrics of the relay.
#[derive(Clone, Default)]
pub struct RelayMetrics {
    /// Events published.
    pub published: Counter,
    /// Failed publish attempts (each is retried).
    pub failures: Counter,
    /// Events waiting in the outbox at the last look.
    pub backlog: Gauge,
}

impl RelayMetrics {
    /// Registers the metrics as `outbox_published`, `outbox_failures` and `outbox_backlog`; `events` names what
    /// is published in their help texts ("Registry events").
    pub fn register(&self, metrics: &koprik_runtime::metrics::Metrics, events: &str) {
        metrics.register(|registry| {
            registry.register("outbox_published", format!("{events} published"), self.published.clone());
            registry.register("outbox_failures", "Failed outbox publish attempts", self.failures.clone());
            registry.register("outbox_backlog", format!("{events} waiting to be published"), self.backlog.clone());
        });
    }
}

/// A running relay: wake it after each commit; stop it last, after everything that writes events.
pub struct Relay {
    /// Notify after a commit that wrote events, so they are published at once.
    pub wake: Arc<Notify>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Starts [`run`] on its own stop token: the relay outlives the service's shutdown signal until [`Relay::stop`],
    /// so changes committed while the service drained are published too.
    pub fn start(db: DatabaseConnection, producer: Producer, config: OutboxConfig, metrics: RelayMetrics) -> Self {
        let (wake, stop) = (Arc::new(Notify::new()), CancellationToken::new());
        let task = tokio::spawn(run(db, producer, Arc::clone(&wake), config, metrics, stop.clone()));
        Self { wake, stop, task }
    }

    /// Publishes what is left and stops.
    pub async fn stop(self) -> Result<(), tokio::task::JoinError> {
        self.stop.cancel();
        self.task.await
    }
}

/// Publishes outbox rows until `shutdown`, waking on `wake` (a commit) or every poll interval. On shutdown it
/// makes one last attempt, so that changes committed while the server drained go out now rather than at the next
/// start.
pub async fn run(
    db: DatabaseConnection,
    producer: Producer,
    wake: Arc<Notify>,
    config: OutboxConfig,
    metrics: RelayMetrics,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match drain(&db, &producer, config.batch_size, &metrics).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => {
                metrics.failures.inc();
                tracing::warn!(error = %e, retry_in = ?backoff, "outbox relay failed, retrying");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shutdown.cancelled() => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(config.poll_interval) => {}
            () = shutdown.cancelled() => break,
        }
    }
    if let Err(e) = drain(&db, &producer, config.batch_size, &metrics).await {
        tracing::warn!(error = %e, "events left in the outbox at shutdown; they are published at the next start");
    }
}

/// Publishes everything in the outbox, oldest first.
async fn drain(
    db: &DatabaseConnection,
    producer: &Producer,
    batch_size: u64,
    metrics: &RelayMetrics,
) -> Result<(), RelayError> {
    loop {
        let backlog = outbox::Entity::find().count(db).await?;
        metrics.backlog.set(i64::try_from(backlog).unwrap_or(i64::MAX));
        let rows = outbox::Entity::find().order_by_asc(outbox::Column::Id).limit(batch_size).all(db).await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in rows {
            let headers = RecordHeaders {
                event_id: Some(row.event_id.clone()),
                event_type: Some(row.event_type.clone()),
                traceparent: row.traceparent.clone(),
            };
            let delivered = producer.publish_encoded(&row.topic, &row.key, &row.payload, headers).await?;
            outbox::Entity::delete_by_id(row.id).exec(db).await?;
            metrics.published.inc();
            tracing::debug!(topic = %row.topic, key = %row.key, offset = delivered.offset, "outbox event published");
        }
    }
}

/// Why a relay round stopped.
#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Kafka(#[from] koprik_kafka::KafkaError),
}
