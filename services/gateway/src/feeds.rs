//! The streams the gateway reads: `registry.events` into the cache and its own reply topic into the waiting
//! calls (no consumer group: every replica reads all of both), and `exchange.replies.async` into the database
//! (one consumer group: each answer to a submitted request is stored by one replica).

use std::sync::Arc;

use koprik_kafka::consumer::{commit, Tail};
use koprik_kafka::decode;
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::BorrowedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_proto::events::{ExchangeReply, RegistryEvent};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::cache::RegistryCache;
use crate::exchange::Exchange;
use crate::metrics::GatewayMetrics;
use crate::pending::Pending;

/// The next record of `consumer`, or `None` once `shutdown` is cancelled; read errors are logged and retried.
async fn next_record<'a>(
    consumer: &'a StreamConsumer,
    topic: &str,
    shutdown: &CancellationToken,
) -> Option<BorrowedMessage<'a>> {
    loop {
        let record = tokio::select! {
            () = shutdown.cancelled() => return None,
            record = consumer.recv() => record,
        };
        match record {
            Ok(record) => return Some(record),
            Err(e) => {
                tracing::warn!(error = %e, topic, "cannot read the topic");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}

/// Applies `registry.events` to the cache from the beginning, and sets `ready` once everything that was on the
/// topic at start-up has been applied. A record the gateway cannot read is logged and skipped: the registry is
/// the only producer, so it means a version mismatch an operator must see.
pub async fn registry(
    tail: Tail,
    cache: Arc<RegistryCache>,
    ready: watch::Sender<bool>,
    metrics: GatewayMetrics,
    shutdown: CancellationToken,
) {
    let Tail { consumer, mut catch_up } = tail;
    let mut services_with_provider_metrics = 0;
    if catch_up.done() {
        tracing::info!("registry.events is empty; registry cache ready");
        ready.send_replace(true);
    }
    while let Some(record) = next_record(&consumer, "registry.events", &shutdown).await {
        match decode::<RegistryEvent>(&record) {
            Ok(received) => match received.value.entity.as_ref().map(|e| cache.apply(e)) {
                Some(Ok(_)) => {
                    metrics.registry_events.inc();
                }
                Some(Err(e)) => {
                    metrics.registry_events_rejected.inc();
                    tracing::error!(key = %received.key, offset = received.offset, error = %e, "registry event not applied");
                }
                None => {
                    metrics.registry_events_rejected.inc();
                    tracing::error!(key = %received.key, offset = received.offset, "registry event without entity");
                }
            },
            Err(e) => {
                metrics.registry_events_rejected.inc();
                tracing::error!(error = %e, "registry event not decodable");
            }
        }
        cache.certificates().freshness().applied(record.partition(), record.offset());
        let (services, subsystems, grants) = cache.sizes();
        metrics.cached_entries(services, subsystems, grants);
        if !*ready.borrow() && catch_up.observe(record.partition(), record.offset()) {
            tracing::info!(services, subsystems, grants, "registry cache caught up");
            ready.send_replace(true);
        }
        // Once caught up (not per record while catching up), and again whenever the set of services changes size.
        if *ready.borrow() && services != services_with_provider_metrics {
            metrics.known_providers(cache.providers());
            services_with_provider_metrics = services;
        }
    }
}

/// Hands each reply on this instance's reply topic to the call waiting for it.
pub async fn replies(tail: Tail, pending: Arc<Pending>, metrics: GatewayMetrics, shutdown: CancellationToken) {
    while let Some(record) = next_record(&tail.consumer, "the reply topic", &shutdown).await {
        match decode::<ExchangeReply>(&record) {
            Ok(received) => {
                let request_id = received.value.request_id.clone();
                if !pending.resolve(received.value) {
                    metrics.unclaimed_replies.inc();
                    tracing::info!(request_id = %request_id, "reply arrived after its call ended");
                }
            }
            Err(e) => tracing::error!(error = %e, "reply not decodable"),
        }
    }
}

/// Stores the answers to submitted requests from `exchange.replies.async`, read by every replica in one consumer
/// group so each answer is stored once. The offset is committed only after the answer is stored and audited;
/// a database error leaves it uncommitted and the record is read again.
pub async fn async_replies(consumer: StreamConsumer, exchange: Arc<Exchange>, shutdown: CancellationToken) {
    while let Some(record) = next_record(&consumer, "exchange.replies.async", &shutdown).await {
        match decode::<ExchangeReply>(&record) {
            Ok(received) => {
                if let Err(e) = exchange.store_answer(&received.value, received.headers.traceparent.as_deref()).await {
                    tracing::warn!(request_id = %received.value.request_id, error = %e, "answer not stored; read again");
                    // Retrying the record in hand keeps the order and needs no seek.
                    let mut backoff = std::time::Duration::from_millis(200);
                    loop {
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(backoff) => {}
                        }
                        match exchange.store_answer(&received.value, received.headers.traceparent.as_deref()).await {
                            Ok(()) => break,
                            Err(e) => tracing::warn!(error = %e, "answer still not stored"),
                        }
                        backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "answer not decodable; skipped"),
        }
        if let Err(e) = commit(&consumer, &record) {
            tracing::warn!(error = %e, "cannot commit an answer's offset; it may be read again (stored once)");
        }
    }
}
