//! Keeping a [`MemoryDirectory`] current from `registry.events`: every replica of a service reads the whole topic
//! from the beginning (no consumer group), applies each certificate record, and probes the topic's high watermarks
//! every `authz.probe_interval` to know up to when it had applied everything. Other entities are skipped; a record
//! that cannot be read is logged and skipped (the registry is the only producer).

use std::sync::Arc;
use std::time::{Duration, Instant};

use koprik_kafka::consumer::{partition_watermarks, tail, Tail};
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_kafka::KafkaConfig;
use koprik_proto::events::registry_event::Entity;
use koprik_proto::events::RegistryEvent;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::AuthzConfig;
use crate::directory::MemoryDirectory;
use crate::Guard;

/// The guard of a service that learns certificates from `registry.events` (every service but the registry): an
/// empty [`MemoryDirectory`], the task following the topic into it, and a [`Guard`] checking against it, its
/// refusals counted in `registry`. Wait for `directory.freshness().wait_current(config.startup_wait)` before
/// serving, so the first calls are not refused as unavailable.
pub fn guard(
    kafka: &KafkaConfig,
    client_id: &str,
    config: &AuthzConfig,
    registry: &mut prometheus_client::registry::Registry,
    shutdown: CancellationToken,
) -> (Guard, Arc<MemoryDirectory>, JoinHandle<()>) {
    let directory = Arc::new(MemoryDirectory::new(config.max_staleness));
    directory.freshness().register(registry);
    let task = follow(kafka.clone(), client_id.to_owned(), Arc::clone(&directory), config.clone(), shutdown);
    let guard = Guard::new(Arc::clone(&directory) as Arc<dyn crate::Directory>, registry)
        .limit_peers(config.refused_calls.clone());
    (guard, directory, task)
}

/// Waits until `directory` has been current once (at most `config.startup_wait`, or until `shutdown`), so that a
/// starting service does not refuse its first calls as unavailable; logs a warning when the wait runs out (the
/// service then serves anyway, refusing calls until the feed catches up).
pub async fn wait_current(directory: &MemoryDirectory, config: &AuthzConfig, shutdown: &CancellationToken) {
    let current = tokio::select! {
        current = directory.freshness().wait_current(config.startup_wait) => current,
        () = shutdown.cancelled() => true,
    };
    if !current {
        tracing::warn!(
            waited = ?config.startup_wait,
            "registry certificates not read completely yet; calls are refused as unavailable until they are"
        );
    }
}

/// Follows `registry.events` into `directory` until `shutdown`; `client_id` names the service in broker logs.
/// While the topic does not exist yet (the registry has not started), it retries every second, and the directory
/// stays not current, so calls are refused as unavailable.
pub fn follow(
    kafka: KafkaConfig,
    client_id: String,
    directory: Arc<MemoryDirectory>,
    config: AuthzConfig,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(Tail { consumer, .. }) = open(&kafka, &client_id, &shutdown).await else {
            return;
        };
        let probe = probe(Arc::clone(&consumer), Arc::clone(&directory), config.probe_interval, shutdown.clone());
        apply(&consumer, &directory, &shutdown).await;
        let _ = probe.await;
    })
}

async fn open(kafka: &KafkaConfig, client_id: &str, shutdown: &CancellationToken) -> Option<Tail> {
    let mut warned = false;
    loop {
        match tail(kafka, client_id, REGISTRY_EVENTS).await {
            Ok(tail) => return Some(tail),
            Err(e) => {
                if !warned {
                    tracing::warn!(error = %e, "cannot read registry.events yet; certificate checks refuse calls until it can");
                    warned = true;
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn apply(consumer: &StreamConsumer, directory: &MemoryDirectory, shutdown: &CancellationToken) {
    loop {
        let record = tokio::select! {
            () = shutdown.cancelled() => return,
            record = consumer.recv() => record,
        };
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read registry.events");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        match koprik_kafka::decode::<RegistryEvent>(&record) {
            Ok(received) => match &received.value.entity {
                Some(Entity::Certificate(certificate)) => {
                    if let Err(e) = directory.apply(certificate) {
                        tracing::error!(key = %received.key, offset = received.offset, error = %e, "certificate record not readable; the certificate is refused");
                    }
                }
                Some(Entity::Heartbeat(heartbeat)) => apply_heartbeat(directory, heartbeat),
                _ => {}
            },
            Err(e) => tracing::error!(error = %e, "registry event not decodable"),
        }
        directory.freshness().applied(record.partition(), record.offset());
    }
}

/// Records a registry heartbeat; one without a readable time is ignored (and logged).
pub fn apply_heartbeat(directory: &MemoryDirectory, heartbeat: &koprik_proto::events::RegistryHeartbeat) {
    match heartbeat.at.as_ref().and_then(koprik_proto::time::datetime) {
        Some(at) => directory.freshness().heartbeat(at),
        None => tracing::error!("registry heartbeat without a time"),
    }
}

/// Every `interval`, compares the topic's high watermarks with what `directory` has applied (the gateway, which
/// reads `registry.events` for more than certificates, runs this beside its own reader).
pub fn probe(
    consumer: Arc<StreamConsumer>,
    directory: Arc<MemoryDirectory>,
    interval: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let probed_at = Instant::now();
            match partition_watermarks(&consumer, REGISTRY_EVENTS).await {
                Ok(marks) => {
                    directory.freshness().observe(&marks, probed_at);
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the high watermarks of registry.events"),
            }
            directory.freshness().publish_age();
        }
    })
}
