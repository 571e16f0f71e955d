//! Running the portal: the database, the version store, the outbox relay, the background loops (overdue updates,
//! platform data, billing's contracts), the certificate feed the gRPC API's authorization guard checks callers
//! against, the public HTTP API and the gRPC API, started together and stopped in order.

use std::sync::Arc;

use anyhow::Context as _;
use koprik_kafka::topics::{
    TopicSpec, BILLING_CONTRACTS, EXCHANGE_AUDIT, EXCHANGE_USAGE, OPENDATA_NOTIFICATIONS, REGISTRY_EVENTS,
    USAGE_RETENTION,
};
use koprik_kafka::Producer;
use koprik_proto::opendata::api_keys_server::ApiKeysServer;
use koprik_proto::opendata::datasets_server::DatasetsServer;
use koprik_proto::opendata::feedback_server::FeedbackServer;
use koprik_proto::opendata::suppliers_server::SuppliersServer;
use koprik_runtime::main_support::{bind, Listeners};
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{db, grpc as server, CancellationToken};
use tokio::net::TcpListener;

use crate::config::OpendataConfig;
use crate::grpc;
use crate::overdue_updates::{self, OverdueGauges};
use crate::publishing::Publisher;
use crate::repository::Repository;
use crate::version_store::VersionStore;
use crate::wire::Links;

/// Runs the portal until `shutdown` is cancelled, binding the public HTTP listener from the configuration.
pub async fn run(config: OpendataConfig, listeners: Listeners, shutdown: CancellationToken) -> anyhow::Result<()> {
    let http = bind(config.http.listen, "http.listen").await?;
    run_with_http(config, listeners, http, shutdown).await
}

/// Runs the portal until `shutdown` is cancelled on listeners bound by the caller (tests bind port 0).
pub async fn run_with_http(
    config: OpendataConfig,
    listeners: Listeners,
    http: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let db = db::connect_and_migrate::<crate::migration::Migrator>(&config.database)
        .await
        .with_context(|| format!("opening database {}", db::redacted(&config.database.url)))?;
    let store = VersionStore::open(&config.storage.dir)
        .with_context(|| format!("opening the version store {}", config.storage.dir.display()))?;
    // billing.contracts is billing's; created here too (with its specification) so that a portal started before
    // billing gets its partitions assigned at once.
    koprik_kafka::admin::ensure_topics(
        &config.kafka,
        &[
            TopicSpec::plain(OPENDATA_NOTIFICATIONS),
            TopicSpec::retained(EXCHANGE_USAGE, USAGE_RETENTION),
            TopicSpec::compacted(BILLING_CONTRACTS),
        ],
    )
    .await?;
    let producer = Producer::new(&config.kafka, "koprik-opendata")?;
    producer.connect().await?;

    let metrics = Metrics::new("opendata");
    koprik_runtime::db_metrics::register(&metrics, &db);
    let relay_metrics = koprik_outbox::RelayMetrics::default();
    relay_metrics.register(&metrics, "Notifications and usage records");
    let gauges = OverdueGauges::default();
    metrics.register(|registry| {
        registry.register("datasets_overdue", "Data sets whose update is overdue", gauges.datasets.clone());
        registry.register(
            "proposals_overdue",
            "Proposals not forwarded to a supplier within one day",
            gauges.proposals.clone(),
        );
    });

    let relay = koprik_outbox::relay::Relay::start(db.clone(), producer.clone(), config.outbox.clone(), relay_metrics);
    let metrics_task = tokio::spawn(metrics.clone().serve(listeners.metrics, shutdown.clone()));
    let repository = Repository::new(db.clone(), Arc::clone(&relay.wake));
    let publisher = Publisher::new(repository.clone(), store);
    let links = Links::new(&config.http.public_url);

    let overdue_task = tokio::spawn(overdue_updates::run(
        repository.clone(),
        config.feedback.check_interval,
        gauges,
        shutdown.clone(),
    ));

    let lag = metrics.register(koprik_kafka::lag::ConsumerLag::register);
    lag.watch(&config.kafka, &config.contracts.group, &[BILLING_CONTRACTS], shutdown.clone())?;
    if config.platform.enabled {
        lag.watch(&config.kafka, &config.platform.registry_group, &[REGISTRY_EVENTS], shutdown.clone())?;
        lag.watch(&config.kafka, &config.platform.audit_group, &[EXCHANGE_AUDIT], shutdown.clone())?;
    }
    let platform_task = tokio::spawn(crate::platform_data::run(
        repository.clone(),
        publisher.clone(),
        config.kafka.clone(),
        config.platform.clone(),
        shutdown.clone(),
    ));

    let contracts_task = tokio::spawn(crate::contracts::run(
        repository.clone(),
        config.kafka.clone(),
        config.contracts.group.clone(),
        shutdown.clone(),
    ));

    // Who may call the gRPC API: certificates as the registry records them, learned from registry.events. Calls
    // are refused UNAVAILABLE until the feed has read what the topic held, so wait for that before serving.
    let (guard, certificates, certificates_task) = metrics.register(|registry| {
        koprik_authz::feed::guard(
            &config.kafka,
            "koprik-opendata-certificates",
            &config.authz,
            registry,
            shutdown.clone(),
        )
    });
    koprik_authz::feed::wait_current(&certificates, &config.authz, &shutdown).await;

    let (router, health) = server::router_with_health(&config.grpc, &metrics, guard)?;
    health.set_serving::<DatasetsServer<grpc::datasets::DatasetsApi>>().await;
    tracing::info!(
        grpc = %listeners.grpc.local_addr()?,
        http = %http.local_addr()?,
        database = %db::redacted(&config.database.url),
        "opendata serving"
    );
    let router = router
        .add_service(SuppliersServer::new(grpc::suppliers::SuppliersApi::new(repository.clone())))
        .add_service(DatasetsServer::new(grpc::datasets::DatasetsApi::new(
            repository.clone(),
            publisher.clone(),
            links.clone(),
            config.storage.max_version_bytes,
        )))
        .add_service(FeedbackServer::new(grpc::feedback::FeedbackApi::new(repository.clone())))
        .add_service(ApiKeysServer::new(grpc::api_keys::ApiKeysApi::new(repository.clone())));
    let state = crate::http::HttpState {
        demand: crate::http::DemandMetrics::register(&metrics),
        repository: repository.clone(),
        publisher: publisher.clone(),
        links: links.clone(),
        access: config.access.clone(),
        feedback: config.feedback.clone(),
        replica: std::env::var("HOSTNAME").unwrap_or_else(|_| "opendata".into()).into(),
        conversions: Arc::new(tokio::sync::Semaphore::new(config.http.max_conversions)),
    };
    // With the peer address, so that anonymous clients are rate-limited one by one.
    let app = crate::http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let http_task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { axum::serve(http, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await }
    });
    let served = server::serve(router, listeners.grpc, metrics.readiness(), shutdown.clone()).await;

    shutdown.cancel();
    http_task.await??;
    overdue_task.await?;
    platform_task.await??;
    contracts_task.await??;
    certificates_task.await?;
    relay.stop().await?;
    served?;
    metrics_task.await??;
    producer.flush(std::time::Duration::from_secs(5));
    tracing::info!("opendata stopped");
    Ok(())
}
