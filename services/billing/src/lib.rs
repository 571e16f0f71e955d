//! Ko'prik billing: companies pay per request for state data obtained through the Digital Data Platform (R516
//! §4b-c, A2 §25-26). Billing meters `exchange.usage` (each request once, billed only when `exchange.audit` says
//! its answer was delivered and its account is its contract's), prices it by the consumer's contract
//! (tiers in percent of the base calculation amount), issues numbered invoices, records payments, distributes
//! paid revenue in a double-entry ledger, and publishes contract, invoice, payment and account-status events.
//! Every call is authorized by the platform's policy ([`koprik_authz`]): the caller is its client certificate,
//! checked against the registry's certificates as `registry.events` carries them.
//!
//! # Layout
//! - The rules, one module each: [`billing_period`] (monthly, Tashkent), [`base_amount`] (the effective-dated
//!   BCA), [`tariff`] (tiers within 0.1-2 %), [`money`] (tiyin and the one rounding rule), [`rating`] (requests to
//!   priced lines), [`invoice_number`] (14 digits, gap-free), [`late_payment`] (due dates, overdue),
//!   [`revenue_distribution`] (25/25/10/10/rest), [`ledger`] (balanced transactions).
//! - [`reconciliation`]: the rule that a usage record is billed only with a DELIVERED audit record of its request
//!   and under its own account's contract; otherwise it waits or is held.
//! - [`metering`]: the `exchange.usage` consumer; [`deliveries`]: the `exchange.audit` consumer and the
//!   reconciliation loop; [`invoicing`]: the issuing and overdue loop.
//! - [`repository`] over [`store`] (tables) and [`migration`]; [`events`] written to the outbox.
//! - [`grpc`]: the API, each handler checking what the caller reaches; [`rendering`]: the printable invoice;
//!   [`config`], [`error`].

pub mod base_amount;
pub mod billing_period;
pub mod config;
pub mod deliveries;
pub mod error;
pub mod events;
pub mod figures;
pub mod grpc;
pub mod invoice_number;
pub mod invoicing;
pub mod late_payment;
pub mod ledger;
pub mod metering;
pub mod migration;
pub mod money;
pub mod rating;
pub mod reconciliation;
pub mod rendering;
pub mod repository;
pub mod revenue_distribution;
pub mod store;
pub mod tariff;

use std::sync::Arc;

use anyhow::Context as _;
use koprik_kafka::consumer::group_consumer;
use koprik_kafka::topics::{
    dead_letters, TopicSpec, AUDIT_RETENTION, BILLING_ACCOUNT_STATUS, BILLING_CONTRACTS, BILLING_INVOICES,
    BILLING_PAYMENTS, EXCHANGE_AUDIT, EXCHANGE_USAGE, USAGE_RETENTION,
};
use koprik_kafka::Producer;
use koprik_proto::billing::base_amounts_server::BaseAmountsServer;
use koprik_proto::billing::contracts_server::ContractsServer;
use koprik_proto::billing::invoices_server::InvoicesServer;
use koprik_proto::billing::payments_server::PaymentsServer;
use koprik_proto::billing::revenue_server::RevenueServer;
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{db, grpc as server, CancellationToken};

pub use crate::config::BillingConfig;
pub use koprik_runtime::main_support::Listeners;

/// Runs billing until `shutdown` is cancelled: migrates the database, ensures its topics, starts the outbox
/// relay, metering, the audit consumer and the reconciliation loop, the invoicing loop, the metrics endpoint, the
/// certificate feed the authorization guard checks callers against, and (once that feed has caught up, or
/// `authz.startup_wait` has passed) the gRPC server.
pub async fn run(config: BillingConfig, listeners: Listeners, shutdown: CancellationToken) -> anyhow::Result<()> {
    let db = db::connect_and_migrate::<migration::Migrator>(&config.database)
        .await
        .with_context(|| format!("opening database {}", db::redacted(&config.database.url)))?;
    koprik_kafka::admin::ensure_topics(
        &config.kafka,
        &[
            TopicSpec::retained(EXCHANGE_USAGE, USAGE_RETENTION),
            TopicSpec::plain(dead_letters(EXCHANGE_USAGE)),
            TopicSpec::retained(EXCHANGE_AUDIT, AUDIT_RETENTION),
            TopicSpec::plain(dead_letters(EXCHANGE_AUDIT)),
            TopicSpec::plain(BILLING_INVOICES),
            TopicSpec::plain(BILLING_PAYMENTS),
            TopicSpec::compacted(BILLING_ACCOUNT_STATUS),
            TopicSpec::compacted(BILLING_CONTRACTS),
        ],
    )
    .await?;
    let producer = Producer::new(&config.kafka, "koprik-billing")?;
    producer.connect().await?;

    let metrics = Metrics::new("billing");
    koprik_runtime::db_metrics::register(&metrics, &db);
    let relay_metrics = koprik_outbox::RelayMetrics::default();
    relay_metrics.register(&metrics, "Billing events");
    let reconciliation_metrics = deliveries::ReconciliationMetrics::new();
    let metering_metrics =
        metering::MeteringMetrics { reconciliation: reconciliation_metrics.clone(), ..Default::default() };
    let figures = figures::BillingFigures::register(&metrics);
    metrics.register(|registry| {
        registry.register(
            "usage_records",
            "Usage records read from exchange.usage, by outcome",
            metering_metrics.records.clone(),
        );
        registry.register("usage_batches", "Usage batches stored", metering_metrics.batches.clone());
    });
    metrics.register(|registry| reconciliation_metrics.register(registry));

    // The relay stops only after everything else, so the last committed changes are published too.
    let relay = koprik_outbox::relay::Relay::start(db.clone(), producer.clone(), config.outbox.clone(), relay_metrics);
    let metrics_task = tokio::spawn(metrics.clone().serve(listeners.metrics, shutdown.clone()));
    let repository = repository::Repository::new(db.clone(), Arc::clone(&relay.wake));

    let consumer = group_consumer(&config.kafka, &config.metering.group, &[EXCHANGE_USAGE])?;
    let lag = metrics.register(koprik_kafka::lag::ConsumerLag::register);
    lag.watch(&config.kafka, &config.metering.group, &[EXCHANGE_USAGE], shutdown.clone())?;
    let metering_task = tokio::spawn(metering::run(
        consumer,
        repository.clone(),
        producer.clone(),
        config.metering.clone(),
        reconciliation::Evidence::from_config(&config.reconciliation),
        metering_metrics,
        shutdown.clone(),
    ));
    // The evidence of delivery: exchange.audit, in its own group, and the loop judging what still waits.
    let audit_consumer = group_consumer(&config.kafka, &config.reconciliation.group, &[EXCHANGE_AUDIT])?;
    lag.watch(&config.kafka, &config.reconciliation.group, &[EXCHANGE_AUDIT], shutdown.clone())?;
    let deliveries_task = tokio::spawn(deliveries::run(
        audit_consumer,
        repository.clone(),
        producer.clone(),
        config.reconciliation.clone(),
        reconciliation_metrics.clone(),
        shutdown.clone(),
    ));
    let reconciling_task = tokio::spawn(deliveries::reconcile_loop(
        repository.clone(),
        config.reconciliation.clone(),
        reconciliation_metrics,
        shutdown.clone(),
    ));
    let invoicing_task =
        tokio::spawn(invoicing::run(repository.clone(), config.invoicing.clone(), figures, shutdown.clone()));

    // Who may call: certificates as the registry records them, learned from registry.events. Calls are refused
    // UNAVAILABLE until the feed has read what the topic held, so wait for that before serving.
    let (guard, certificates, certificates_task) = metrics.register(|registry| {
        koprik_authz::feed::guard(
            &config.kafka,
            "koprik-billing-certificates",
            &config.authz,
            registry,
            shutdown.clone(),
        )
    });
    koprik_authz::feed::wait_current(&certificates, &config.authz, &shutdown).await;

    let (router, health) = server::router_with_health(&config.grpc, &metrics, guard)?;
    health.set_serving::<InvoicesServer<grpc::invoices::InvoicesApi>>().await;
    health.set_serving::<PaymentsServer<grpc::payments::PaymentsApi>>().await;
    tracing::info!(
        grpc = %listeners.grpc.local_addr()?,
        database = %db::redacted(&config.database.url),
        "billing serving"
    );
    let router = router
        .add_service(BaseAmountsServer::new(grpc::base_amounts::BaseAmountsApi::new(repository.clone())))
        .add_service(ContractsServer::new(grpc::contracts::ContractsApi::new(repository.clone())))
        .add_service(InvoicesServer::new(grpc::invoices::InvoicesApi::new(repository.clone(), config.issuer.clone())))
        .add_service(PaymentsServer::new(grpc::payments::PaymentsApi::new(repository.clone())))
        .add_service(RevenueServer::new(grpc::revenue::RevenueApi::new(repository)));
    let served = server::serve(router, listeners.grpc, metrics.readiness(), shutdown.clone()).await;

    shutdown.cancel();
    metering_task.await?;
    deliveries_task.await?;
    reconciling_task.await?;
    invoicing_task.await?;
    certificates_task.await?;
    relay.stop().await?;
    served?;
    metrics_task.await??;
    producer.flush(std::time::Duration::from_secs(5));
    tracing::info!("billing stopped");
    Ok(())
}
