//! The registry: Ko'prik's system of record for participants (organisations), their information systems
//! (subsystems), the web services they offer with their data items, and access grants. Every change is published
//! on `registry.events`, from which the gateway and the other services build their caches.
//!
//! Every caller of its gRPC API is identified by its TLS client certificate, which the registry itself records
//! (`Certificates`), and may call only what the authorization policy (`crates/authz`) allows its role.
//!
//! # Layout
//! - [`config`]: the typed configuration.
//! - [`domain`]: the rules: what a valid entity is, which roles and status changes are allowed.
//! - [`repository`]: transactional reads and writes; each change with its outbox event.
//! - [`events`]: the `registry.events` records and the outbox writes.
//! - [`heartbeat`]: the registry's heartbeat through the outbox, which tells every other service that no change the
//!   registry committed (a revocation, say) is stuck on its way to them.
//! - [`grpc`]: the registry's gRPC services (translation, and the reach checks of the authorization policy).
//! - [`directory`]: the certificates the authorization guard checks callers against, read from the registry's
//!   own table.
//! - [`bootstrap`]: registering the first operators' certificates from a file at start-up.
//! - [`public_http`]: the open HTTP export of the public-services registry and the web-service catalogue.
//! - [`error`]: the error type and its mapping to gRPC statuses.
//! - [`migration`], [`store`]: schema and sea-orm entities.

pub mod automatic_access;
pub mod bootstrap;
pub use koprik_calendar as calendar;
pub mod config;
pub mod directory;
pub mod domain;
pub mod error;
pub mod events;
pub mod grpc;
pub mod heartbeat;
pub mod migration;
pub mod public_http;
pub mod repository;
pub mod store;

use std::sync::Arc;

use anyhow::Context;
use koprik_kafka::topics::{dead_letters, TopicSpec, BILLING_ACCOUNT_STATUS, REGISTRY_EVENTS};
use koprik_kafka::Producer;
use koprik_proto::registry::announcements_server::AnnouncementsServer;
use koprik_proto::registry::certificates_server::CertificatesServer;
use koprik_proto::registry::onboarding_server::OnboardingServer;
use koprik_proto::registry::public_services_server::PublicServicesServer;
use koprik_proto::registry::registry_server::RegistryServer;
use koprik_proto::registry::signing_keys_server::SigningKeysServer;
use koprik_proto::registry::working_calendar_server::WorkingCalendarServer;
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{db, grpc as server, CancellationToken};
use tokio::net::TcpListener;

pub use config::RegistryConfig;
use domain::client_certificate::PlatformCa;

pub use koprik_runtime::main_support::Listeners;

/// The sockets the registry serves on, bound by the caller (port 0 in tests): the shared gRPC and metrics
/// listeners plus the public HTTP export, which only the registry has.
pub struct RegistryListeners {
    /// The gRPC server (API, health, reflection).
    pub grpc: TcpListener,
    /// `GET /metrics`.
    pub metrics: TcpListener,
    /// `GET /public/v1/...`.
    pub public_http: TcpListener,
}

impl RegistryListeners {
    /// The shared listeners plus the public HTTP listener bound at `public_http.listen`.
    pub async fn bind(config: &RegistryConfig, shared: Listeners) -> Result<Self, koprik_runtime::config::ConfigError> {
        let public_http = koprik_runtime::main_support::bind(config.public_http.listen, "public_http.listen").await?;
        Ok(Self { grpc: shared.grpc, metrics: shared.metrics, public_http })
    }
}

/// The platform CA of `grpc.tls.client_ca`: registered certificates must be issued by it.
fn platform_ca(config: &RegistryConfig) -> anyhow::Result<PlatformCa> {
    let path = config.grpc.tls.client_ca.as_ref().context(
        "grpc.tls.client_ca is required: the registry identifies callers by certificates of the platform CA",
    )?;
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("grpc.tls.client_ca: cannot read {}", path.display()))?;
    PlatformCa::from_pem(&pem).map_err(|e| anyhow::anyhow!("grpc.tls.client_ca {}: {e}", path.display()))
}

/// Runs the registry until `shutdown` is cancelled: migrates the database, registers the bootstrap operators,
/// ensures `registry.events`, starts the outbox relay with the heartbeat, the metrics endpoint, the public HTTP
/// export and the gRPC server, whose every call is authorized against the registry's own certificates.
pub async fn run(
    config: RegistryConfig,
    listeners: RegistryListeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let ca = Arc::new(platform_ca(&config)?);
    let bootstrap = config.bootstrap_operator.as_deref().map(|path| bootstrap::read(path, &ca)).transpose()?;
    let db = db::connect_and_migrate::<migration::Migrator>(&config.database)
        .await
        .with_context(|| format!("opening database {}", db::redacted(&config.database.url)))?;
    if let Some(registrations) = bootstrap {
        // Before anything else runs: the events go to the outbox, which the relay publishes once started.
        let repository = repository::Repository::new(db.clone(), Arc::new(tokio::sync::Notify::new()));
        let registered = bootstrap::register(&repository, registrations).await?;
        tracing::info!(registered, "bootstrap operators checked");
    }
    koprik_kafka::admin::ensure_topics(
        &config.kafka,
        &[
            TopicSpec::compacted(REGISTRY_EVENTS),
            TopicSpec::compacted(BILLING_ACCOUNT_STATUS),
            TopicSpec::plain(dead_letters(BILLING_ACCOUNT_STATUS)),
        ],
    )
    .await?;
    let producer = Producer::new(&config.kafka, "koprik-registry")?;
    producer.connect().await?;

    let metrics = Metrics::new("registry");
    koprik_runtime::db_metrics::register(&metrics, &db);
    let relay_metrics = koprik_outbox::RelayMetrics::default();
    relay_metrics.register(&metrics, "Registry events");

    // The relay stops only after the server has drained, so the last committed changes are published too.
    let relay = koprik_outbox::relay::Relay::start(db.clone(), producer.clone(), config.outbox.clone(), relay_metrics);
    let metrics_task = tokio::spawn(metrics.clone().serve(listeners.metrics, shutdown.clone()));

    let repository = repository::Repository::new(db, Arc::clone(&relay.wake));
    let heartbeat = tokio::spawn(heartbeat::beat(repository.clone(), config.heartbeat_interval, shutdown.clone()));
    let public_addr = listeners.public_http.local_addr()?;
    let public_task = tokio::spawn(public_http::serve(repository.clone(), listeners.public_http, shutdown.clone()));

    let directory = Arc::new(directory::RegistryDirectory::new(repository.clone()));
    let guard = metrics.register(|registry| koprik_authz::Guard::new(directory, registry));
    let (router, health) = server::router_with_health(&config.grpc, &metrics, guard)?;
    let api = RegistryServer::new(grpc::RegistryApi::new(repository.clone()));
    let onboarding = OnboardingServer::new(grpc::onboarding::OnboardingApi::new(repository.clone()));
    let announcements = AnnouncementsServer::new(grpc::announcements::AnnouncementsApi::new(repository.clone()));
    let calendar = WorkingCalendarServer::new(grpc::calendar::CalendarApi::new(repository.clone()));
    let signing_keys = SigningKeysServer::new(grpc::signing_keys::SigningKeysApi::new(repository.clone()));
    let certificates = CertificatesServer::new(grpc::certificates::CertificatesApi::new(repository.clone(), ca));
    let lag = metrics.register(koprik_kafka::lag::ConsumerLag::register);
    lag.watch(&config.kafka, &config.access.account_status_group, &[BILLING_ACCOUNT_STATUS], shutdown.clone())?;
    let account_status = tokio::spawn(automatic_access::follow_account_status(
        config.kafka.clone(),
        config.access.clone(),
        repository.clone(),
        producer.clone(),
        shutdown.clone(),
    ));
    let expiry = tokio::spawn(automatic_access::sweep_expired_contracts(
        repository.clone(),
        config.access.expiry_sweep_interval,
        shutdown.clone(),
    ));
    let public_services = PublicServicesServer::new(grpc::public_services::PublicServicesApi::new(repository));
    health.set_serving::<RegistryServer<grpc::RegistryApi>>().await;
    health.set_serving::<OnboardingServer<grpc::onboarding::OnboardingApi>>().await;
    health.set_serving::<PublicServicesServer<grpc::public_services::PublicServicesApi>>().await;
    health.set_serving::<CertificatesServer<grpc::certificates::CertificatesApi>>().await;
    tracing::info!(
        grpc = %listeners.grpc.local_addr()?,
        public_http = %public_addr,
        database = %db::redacted(&config.database.url),
        "registry serving"
    );
    let router = router
        .add_service(api)
        .add_service(onboarding)
        .add_service(announcements)
        .add_service(calendar)
        .add_service(signing_keys)
        .add_service(certificates)
        .add_service(public_services);
    let served = server::serve(router, listeners.grpc, metrics.readiness(), shutdown.clone()).await;

    shutdown.cancel();
    heartbeat.await?;
    expiry.await?;
    account_status.await??;
    relay.stop().await?;
    served?;
    metrics_task.await??;
    public_task.await??;
    producer.flush(std::time::Duration::from_secs(5));
    tracing::info!("registry stopped");
    Ok(())
}
