//! The provider adapter: runs next to one provider agency, reads that provider's request topic
//! (`exchange.requests.<member code>`), asks the agency's backend, and produces each reply on the topic the
//! gateway named. The agency opens no port to consumers; only its adapter talks to its backend.
//!
//! # Layout
//! - [`config`]: the typed configuration, with the backend choice.
//! - [`backend`]: the backends: an agency's gRPC `DataProvider`, or the demo civil registry.
//! - [`worker`]: the request loop (read, answer, reply, commit), several requests at once.
//! - [`released_items`]: exactly the items asked for go to the backend, and only an answer within them comes back.
//! - [`answer_signing`]: the adapter's signature on every answer it relays.
//! - [`metrics`]: what it counts.

pub mod answer_signing;
pub mod backend;
pub mod config;
pub mod metrics;
pub mod released_items;
pub mod worker;

use std::sync::Arc;

use koprik_kafka::consumer::group_consumer;
use koprik_kafka::topics::{exchange_requests, TopicSpec, REQUEST_RETENTION};
use koprik_kafka::Producer;
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{grpc as server, CancellationToken};

use crate::backend::civil_registry::CivilRegistry;
use crate::backend::grpc::GrpcBackend;
use crate::backend::Backend;
pub use crate::config::{AdapterConfig, BackendConfig, SigningConfig};

pub use koprik_runtime::main_support::Listeners;

/// The backend the configuration names.
pub fn backend(config: &BackendConfig) -> anyhow::Result<Arc<dyn Backend>> {
    Ok(match config {
        BackendConfig::Grpc { endpoint, tls } => Arc::new(GrpcBackend::new(endpoint, tls)?),
        BackendConfig::DemoCivilRegistry { fixture: Some(path) } => Arc::new(CivilRegistry::from_file(path)?),
        BackendConfig::DemoCivilRegistry { fixture: None } => Arc::new(CivilRegistry::built_in()?),
    })
}

/// Runs the adapter until `shutdown` is cancelled.
pub async fn run(config: AdapterConfig, listeners: Listeners, shutdown: CancellationToken) -> anyhow::Result<()> {
    let provider = config.provider_id()?;
    let backend = backend(&config.backend)?;
    let topic = exchange_requests(provider.member_code());
    let dead_letters = koprik_kafka::topics::dead_letters(&topic);
    let topics =
        [TopicSpec::retained(&topic, REQUEST_RETENTION), TopicSpec::retained(&dead_letters, REQUEST_RETENTION)];
    koprik_kafka::admin::ensure_topics(&config.kafka, &topics).await?;
    let group = format!("koprik-adapter.{}", provider.member_code());
    let consumer = group_consumer(&config.kafka, &group, &[&topic])?;
    let producer = Producer::new(&config.kafka, &group)?;
    producer.connect().await?;

    let metrics = Metrics::new("adapter");
    let adapter_metrics = metrics::AdapterMetrics::register(&metrics);
    let lag = metrics.register(koprik_kafka::lag::ConsumerLag::register);
    lag.watch(&config.kafka, &group, &[&topic], shutdown.clone())?;
    let metrics_task = tokio::spawn(metrics.clone().serve(listeners.metrics, shutdown.clone()));
    let signer = Arc::new(answer_signing::AnswerSigner::from_file(&config.signing.key_file, &config.signing.key_id)?);
    let worker = worker::Worker::new(provider.clone(), backend, signer, producer.clone(), adapter_metrics);
    let mut worker_task = tokio::spawn(worker.run(consumer, config.max_in_flight, shutdown.clone()));

    let (router, health) = server::router_with_health(&config.grpc, &metrics, server::open_guard(&metrics))?;
    health.set_service_status("", koprik_proto::tonic_health::ServingStatus::Serving).await;
    tracing::info!(provider = %provider, topic = %topic, group = %group, "adapter serving");
    // The worker is the adapter: if it stops on its own, the adapter must not look healthy while answering
    // nothing, so it stops too (and its orchestrator restarts it).
    let worker_stopped = tokio::select! {
        served = server::serve(router, listeners.grpc, metrics.readiness(), shutdown.clone()) => { served?; false }
        joined = &mut worker_task => { joined?; true }
    };
    // On shutdown the worker may well stop before the server: only a worker that stopped on its own is an error.
    let worker_stopped_early = worker_stopped && !shutdown.is_cancelled();
    shutdown.cancel();
    if worker_stopped_early {
        anyhow::bail!("the request worker stopped unexpectedly");
    }
    if !worker_stopped {
        worker_task.await?;
    }
    metrics_task.await??;
    producer.flush(std::time::Duration::from_secs(5));
    tracing::info!("adapter stopped");
    Ok(())
}
