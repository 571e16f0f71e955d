//! The gateway: the consumers' only entry to the exchange. Behind the platform's authorization guard (only
//! registered, unrevoked consumer certificates reach it), it identifies the calling subsystem, validates the
//! request, checks access against its cache of the registry, forwards the request to the provider's request
//! topic, waits for the correlated reply on its own reply topic, and records every outcome on `exchange.audit`.
//! It never logs payloads.
//!
//! # Layout
//! - [`config`]: the typed configuration.
//! - [`identity`]: who is calling: the consumer subsystem of the certificate the authorization guard admitted.
//! - [`call`]: a consumer's request, validated; [`mandatory_content`]: its REG-2 p. 14 particulars.
//! - [`request_signature`], [`answer_signature`]: the officer's and the adapter's signatures.
//! - [`replay`]: a signed request is accepted once, across replicas.
//! - [`access`]: the access rule and the TI ceiling on requests and answers; [`maintenance_window`]: announced
//!   technical works.
//! - [`cache`]: the registry cache built from `registry.events`.
//! - [`feeds`]: the registry feed and the reply feed.
//! - [`pending`]: calls waiting for replies.
//! - [`exchange`]: one exchange from receipt to audit, and the checks Call and Submit share.
//! - [`request_quota`]: the declared monthly maximum of requests (A1 Ap2, A2 Ap2).
//! - [`asynchronous`]: Submit and Get; answers stored, deadlines escalated.
//! - [`answer_deadline`]: the legal deadline of a submitted request's answer (REG-2 p. 17).
//! - [`submitted`]: submitted requests in the gateway database.
//! - [`sweep`]: the periodic escalation and purge of submitted requests.
//! - [`migration`], [`store`]: the gateway database's schema and entities.
//! - [`audit`]: audit records.
//! - [`audit_chain`]: this replica's audit hash chain.
//! - [`usage`]: usage records of delivered DDP exchanges.
//! - [`grpc`]: the `koprik.exchange.v1.Exchange` service (translation only).
//! - [`error`], [`metrics`].

pub mod access;
pub mod answer_deadline;
pub mod answer_signature;
pub mod asynchronous;
pub mod audit;
pub mod audit_chain;
pub mod cache;
pub mod call;
pub mod config;
pub mod error;
pub mod exchange;
pub mod feeds;
pub mod grpc;
pub mod identity;
pub mod maintenance_window;
pub mod mandatory_content;
pub mod metrics;
pub mod migration;
pub mod pending;
pub mod replay;
pub mod request_quota;
pub mod request_signature;
pub mod store;
pub mod submitted;
pub mod sweep;
pub mod usage;

use std::sync::Arc;

use anyhow::Context;
use koprik_kafka::consumer::{group_consumer, tail, tail_from, Start};
use koprik_kafka::topics::{
    exchange_replies, TopicSpec, ASYNC_REPLY_RETENTION, AUDIT_RETENTION, EXCHANGE_AUDIT, EXCHANGE_REPLIES_ASYNC,
    EXCHANGE_USAGE, REGISTRY_EVENTS, REPLY_RETENTION, USAGE_RETENTION,
};
use koprik_kafka::Producer;
use koprik_proto::exchange::exchange_server::ExchangeServer;
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{db, grpc as server, CancellationToken};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

pub use config::GatewayConfig;

pub use koprik_runtime::main_support::Listeners;

/// Opens the gateway database and migrates it. Replicas share the database and may start together: when two
/// migrate at once one fails (the schema is already being created), so a failed migration is retried a few times,
/// by which time the other's is done and there is nothing left to apply.
async fn open_database(config: &GatewayConfig) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let mut attempt = 1;
    loop {
        match db::connect_and_migrate::<migration::Migrator>(&config.database).await {
            Ok(database) => return Ok(database),
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, attempt, "database migration failed; retrying (another replica migrating?)");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                attempt += 1;
            }
            Err(e) => {
                return Err(e).with_context(|| format!("opening database {}", db::redacted(&config.database.url)))
            }
        }
    }
}

/// Runs the gateway until `shutdown` is cancelled. It starts answering only once its registry cache has caught
/// up with `registry.events`, so it never refuses a call for lack of knowledge.
pub async fn run(config: GatewayConfig, listeners: Listeners, shutdown: CancellationToken) -> anyhow::Result<()> {
    let database = open_database(&config).await?;
    let reply_topic = exchange_replies(&config.instance);
    koprik_kafka::admin::ensure_topics(
        &config.kafka,
        &[
            TopicSpec::compacted(REGISTRY_EVENTS),
            TopicSpec::retained(EXCHANGE_AUDIT, AUDIT_RETENTION),
            TopicSpec::retained(EXCHANGE_USAGE, USAGE_RETENTION),
            TopicSpec::retained(&reply_topic, REPLY_RETENTION),
            TopicSpec::retained(EXCHANGE_REPLIES_ASYNC, ASYNC_REPLY_RETENTION),
        ],
    )
    .await?;
    let client_id = format!("koprik-gateway.{}", config.instance);
    let producer = Producer::new(&config.kafka, &client_id)?;
    producer.connect().await?;
    // Before serving: every record of this replica must link to its last one on the topic.
    let chain = audit_chain::Chain::resume(producer.clone(), &config.kafka, &config.instance).await?;
    let metrics = Metrics::new("gateway");
    let gateway_metrics = metrics::GatewayMetrics::register(&metrics);
    let metrics_task = tokio::spawn(metrics.clone().serve(listeners.metrics, shutdown.clone()));

    // The feeds outlive the gRPC server: calls still in flight at shutdown need their replies and their audit
    // records, so the feeds stop only after every exchange task has finished.
    let feeds_stop = CancellationToken::new();
    let cache = Arc::new(cache::RegistryCache::new(config.authz.max_staleness));
    let pending = Arc::new(pending::Pending::default());
    let (ready_tx, mut ready) = watch::channel(false);
    let registry_tail = tail(&config.kafka, &client_id, REGISTRY_EVENTS).await?;
    // How current the certificates are: the guard refuses every call once they were last current too long ago.
    let certificates_probe = koprik_authz::feed::probe(
        Arc::clone(&registry_tail.consumer),
        cache.certificates(),
        config.authz.probe_interval,
        feeds_stop.clone(),
    );
    let registry_feed = tokio::spawn(feeds::registry(
        registry_tail,
        Arc::clone(&cache),
        ready_tx,
        gateway_metrics.clone(),
        feeds_stop.clone(),
    ));
    let reply_feed = tokio::spawn(feeds::replies(
        tail_from(&config.kafka, &client_id, &reply_topic, Start::End).await?,
        Arc::clone(&pending),
        gateway_metrics.clone(),
        feeds_stop.clone(),
    ));
    tokio::select! {
        caught_up = ready.wait_for(|ready| *ready) => { caught_up?; }
        () = shutdown.cancelled() => {}
    }
    koprik_authz::feed::wait_current(&cache.certificates(), &config.authz, &shutdown).await;

    let exchange = Arc::new(exchange::Exchange {
        instance: config.instance.clone(),
        reply_topic,
        call_timeout: config.call_timeout,
        max_payload: config.max_payload_bytes,
        audit_timeout: config.kafka.delivery_timeout,
        cache,
        pending,
        producer: producer.clone(),
        auditor: audit::Auditor::new(chain),
        usage: usage::UsageWriter::new(producer.clone()),
        metrics: gateway_metrics,
        db: database,
        asynchronous: config.asynchronous.clone(),
        signed_request_max_age: chrono::Duration::from_std(config.signed_request_max_age)
            .context("signed_request_max_age")?,
    });
    // Answers to submitted requests and the deadline sweep need the cache (and the calendar in it) caught up too.
    let lag = metrics.register(koprik_kafka::lag::ConsumerLag::register);
    lag.watch(&config.kafka, &config.asynchronous.group, &[EXCHANGE_REPLIES_ASYNC], shutdown.clone())?;
    koprik_runtime::db_metrics::register(&metrics, &exchange.db);
    let async_feed = tokio::spawn(feeds::async_replies(
        group_consumer(&config.kafka, &config.asynchronous.group, &[EXCHANGE_REPLIES_ASYNC])?,
        Arc::clone(&exchange),
        feeds_stop.clone(),
    ));
    let sweep = tokio::spawn(sweep::run(Arc::clone(&exchange), config.asynchronous.sweep_interval, feeds_stop.clone()));
    let guard = metrics.register(|registry| {
        exchange.cache.certificates().freshness().register(registry);
        koprik_authz::Guard::new(exchange.cache.certificates() as Arc<dyn koprik_authz::Directory>, registry)
            .limit_peers(config.authz.refused_calls.clone())
    });
    let (router, health) = server::router_with_health(&config.grpc, &metrics, guard)?;
    health.set_serving::<ExchangeServer<grpc::ExchangeApi>>().await;
    tracing::info!(grpc = %listeners.grpc.local_addr()?, instance = %config.instance, "gateway serving");
    let exchanges = TaskTracker::new();
    let api = ExchangeServer::new(grpc::ExchangeApi::new(exchange, exchanges.clone()));
    let served = server::serve(router.add_service(api), listeners.grpc, metrics.readiness(), shutdown.clone()).await;

    shutdown.cancel();
    exchanges.close();
    exchanges.wait().await;
    feeds_stop.cancel();
    served?;
    registry_feed.await?;
    certificates_probe.await?;
    reply_feed.await?;
    async_feed.await?;
    sweep.await?;
    metrics_task.await??;
    producer.flush(std::time::Duration::from_secs(5));
    tracing::info!("gateway stopped");
    Ok(())
}
