//! What billing's integration tests share: billing on a real database and a real Tansu broker, serving mTLS with
//! certificates from a test CA that the tests make known the way the registry does (on `registry.events`, beside
//! the registry's heartbeats, without which billing refuses every call), a client per identity (operator, auditor, the consumer company, a rival company, payment channels), usage records
//! produced the way the gateway produces them (the usage record, then the DELIVERED audit record of the same
//! request), and contract and BCA builders.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use koprik_authz::AuthzConfig;
use koprik_billing::config::{InvoicingConfig, MeteringConfig, OutboxConfig, ReconciliationConfig};
use koprik_billing::{run, BillingConfig, Listeners};
use koprik_kafka::topics::{EXCHANGE_AUDIT, EXCHANGE_USAGE};
use koprik_kafka::Producer;
use koprik_proto::billing::base_amounts_client::BaseAmountsClient;
use koprik_proto::billing::contracts_client::ContractsClient;
use koprik_proto::billing::invoices_client::InvoicesClient;
use koprik_proto::billing::payments_client::PaymentsClient;
use koprik_proto::billing::revenue_client::RevenueClient;
use koprik_proto::billing::{
    Contract, CreateContractRequest, GetInvoiceRequest, Invoice, IssueInvoicesRequest, RecordPaymentRequest,
    SetBaseAmountRequest, Tariff, Tier, TierMode,
};
use koprik_proto::events::{AuditRecord, UsageRecord};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::tonic::transport::Channel;
use koprik_runtime::config::{GrpcServerConfig, MetricsConfig};
use koprik_runtime::CancellationToken;
use koprik_testkit::{Broker, RegistryHeartbeats, TestDatabase, TestPki};
use tokio::net::TcpListener;

#[path = "delivered_audit.rs"]
mod delivered;
pub use delivered::delivered_audit;

/// The DDP consumer (a bank) and its system.
pub const ACCOUNT: &str = "UZ/COM/207028220";
pub const CONSUMER: &str = "UZ/COM/207028220/kyc-check";
/// Another company, with its own system.
pub const RIVAL_ACCOUNT: &str = "UZ/COM/207028221";
/// The civil registry's person service.
pub const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
/// The tax committee's company service.
pub const OTHER_SERVICE: &str = "UZ/GOV/200935935/tax-registry/company-by-stir/v1";
/// The contract.
pub const CONTRACT: &str = "DDP-2026-0042";
/// 375 000 soʻm.
pub const BCA: i64 = 37_500_000;

/// Who calls billing in the tests, as certificate identities (`<role>:<principal>`).
/// A person of the operator: base amounts, contracts, issuing, voiding, refunds.
pub const OPERATOR: &str = "operator:a.karimov";
/// A finance inspector: reads everything.
pub const AUDITOR: &str = "auditor:s.rahimova";
/// The consumer company's system: reads its own contracts, invoices and account.
pub const COMPANY: &str = "consumer:UZ/COM/207028220/kyc-check";
/// Another company's system.
pub const RIVAL: &str = "consumer:UZ/COM/207028221/scoring";
/// The payment channel "test-bank": records payments under its name.
pub const BANK: &str = "payment-channel:test-bank";
/// Another payment channel.
pub const OTHER_BANK: &str = "payment-channel:other-bank";

/// Everyone the tests call as; each has a registered certificate unless a test says otherwise.
pub const IDENTITIES: [&str; 6] = [OPERATOR, AUDITOR, COMPANY, RIVAL, BANK, OTHER_BANK];

/// How a test wants billing started.
pub struct Setup {
    /// More identities whose certificates are registered (published) before billing starts.
    pub more_identities: Vec<String>,
    /// Publish the certificate records and the registry's heartbeats at all (false: `registry.events` never exists,
    /// so billing can never know whether a certificate is revoked).
    pub publish: bool,
    /// The authorization settings.
    pub authz: AuthzConfig,
    /// A database the test prepared (default: a fresh one).
    pub db: Option<TestDatabase>,
    /// How long usage waits for its audit record before it is held (default: an hour, as deployed).
    pub grace: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            more_identities: Vec::new(),
            publish: true,
            authz: AuthzConfig::default(),
            db: None,
            grace: BillingConfig::default().reconciliation.grace,
        }
    }
}

/// A running billing service.
pub struct Harness {
    pub broker: Broker,
    pub db: TestDatabase,
    pub pki: TestPki,
    pub producer: Producer,
    pub metrics: std::net::SocketAddr,
    pub grpc: std::net::SocketAddr,
    /// The registry's heartbeats, while they beat (as long as the test has not stopped them).
    heartbeats: Option<RegistryHeartbeats>,
    authz: AuthzConfig,
    grace: Duration,
    channels: BTreeMap<String, Channel>,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts billing on a fresh database and broker, every identity of [`IDENTITIES`] registered. Invoices are
/// issued only when a test asks (the loop's grace is a year), and metering writes small batches.
pub async fn start() -> Harness {
    start_with(Setup::default()).await
}

/// Starts billing as `setup` says.
pub async fn start_with(setup: Setup) -> Harness {
    koprik_testkit::init_logs();
    let broker = Broker::start().await;
    let db = match setup.db {
        Some(db) => db,
        None => TestDatabase::create().await,
    };
    let pki = TestPki::new();
    if setup.publish {
        let mut records: Vec<_> = IDENTITIES.iter().map(|identity| pki.record(identity)).collect();
        records.extend(setup.more_identities.iter().map(|identity| pki.record(identity)));
        koprik_testkit::publish_certificates(&broker.kafka_config(), &records).await;
    }
    let heartbeats = if setup.publish { Some(RegistryHeartbeats::start(&broker.kafka_config()).await) } else { None };
    let producer = Producer::new(&broker.kafka_config(), "usage-test").expect("producer");
    let mut h = Harness {
        broker,
        db,
        pki,
        producer,
        metrics: "127.0.0.1:1".parse().expect("addr"),
        grpc: "127.0.0.1:1".parse().expect("addr"),
        heartbeats,
        authz: setup.authz,
        grace: setup.grace,
        channels: BTreeMap::new(),
        shutdown: CancellationToken::new(),
        task: None,
    };
    h.launch().await;
    h
}

impl Harness {
    fn config(&self, grpc: std::net::SocketAddr, metrics: std::net::SocketAddr) -> BillingConfig {
        BillingConfig {
            grpc: GrpcServerConfig { listen: grpc, tls: self.pki.server_tls() },
            metrics: MetricsConfig { listen: metrics },
            database: self.db.config(),
            kafka: self.broker.kafka_config(),
            outbox: OutboxConfig { poll_interval: Duration::from_millis(100), batch_size: 100 },
            metering: MeteringConfig {
                batch_size: 50,
                batch_linger: Duration::from_millis(10),
                ..BillingConfig::default().metering
            },
            invoicing: InvoicingConfig {
                grace: Duration::from_secs(365 * 24 * 3600),
                interval: Duration::from_millis(200),
            },
            reconciliation: ReconciliationConfig {
                batch_size: 50,
                batch_linger: Duration::from_millis(10),
                grace: self.grace,
                interval: Duration::from_millis(100),
                ..BillingConfig::default().reconciliation
            },
            authz: self.authz.clone(),
            ..BillingConfig::default()
        }
    }

    async fn launch(&mut self) {
        let grpc = TcpListener::bind("127.0.0.1:0").await.expect("port");
        let metrics = TcpListener::bind("127.0.0.1:0").await.expect("port");
        let (grpc_addr, metrics_addr) = (grpc.local_addr().expect("addr"), metrics.local_addr().expect("addr"));
        let config = self.config(grpc_addr, metrics_addr);
        self.shutdown = CancellationToken::new();
        self.task = Some(tokio::spawn(run(config, Listeners { grpc, metrics }, self.shutdown.clone())));
        self.grpc = grpc_addr;
        self.metrics = metrics_addr;
        self.channels.clear();
        for identity in IDENTITIES {
            let channel = self.pki.channel(grpc_addr, Some(identity)).await;
            self.channels.insert(identity.to_owned(), channel);
        }
    }

    /// Kills billing without a graceful shutdown (the task is aborted wherever it is), then starts it again on the
    /// same database and broker.
    pub async fn crash_and_restart(&mut self) {
        self.crash().await;
        self.launch().await;
    }

    /// Kills billing without a graceful shutdown.
    pub async fn crash(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Stops billing and checks it stopped cleanly.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("billing task").expect("billing stopped cleanly");
        }
    }

    /// The connection presenting `identity`'s certificate (one of [`IDENTITIES`]).
    pub fn channel(&self, identity: &str) -> Channel {
        self.channels.get(identity).unwrap_or_else(|| panic!("no connection as {identity}")).clone()
    }

    /// A connection without a client certificate.
    pub async fn anonymous(&self) -> Channel {
        self.pki.channel(self.grpc, None).await
    }

    /// A new connection presenting `identity`'s certificate (for identities beyond [`IDENTITIES`]).
    pub async fn connect(&self, identity: &str) -> Channel {
        self.pki.channel(self.grpc, Some(identity)).await
    }

    pub fn base_amounts(&self, identity: &str) -> BaseAmountsClient<Channel> {
        BaseAmountsClient::new(self.channel(identity))
    }
    pub fn contracts(&self, identity: &str) -> ContractsClient<Channel> {
        ContractsClient::new(self.channel(identity))
    }
    pub fn invoices(&self, identity: &str) -> InvoicesClient<Channel> {
        InvoicesClient::new(self.channel(identity))
    }
    pub fn payments(&self, identity: &str) -> PaymentsClient<Channel> {
        PaymentsClient::new(self.channel(identity))
    }
    pub fn revenue(&self, identity: &str) -> RevenueClient<Channel> {
        RevenueClient::new(self.channel(identity))
    }

    /// Publishes the registry's record of `identity`'s certificate revoked, as the registry does on revocation.
    pub async fn revoke(&self, identity: &str) {
        koprik_testkit::publish_certificates(&self.broker.kafka_config(), &[self.pki.revoked(identity, "key lost")])
            .await;
    }

    /// Stops the registry's heartbeats, as when the registry is down or its relay is wedged (the broker stays up).
    pub fn stop_heartbeats(&mut self) {
        self.heartbeats = None;
    }

    /// Starts the registry's heartbeats again; the first is on `registry.events` when this returns.
    pub async fn resume_heartbeats(&mut self) {
        self.heartbeats = Some(RegistryHeartbeats::start(&self.broker.kafka_config()).await);
    }

    /// Kills the broker billing uses (a fresh one, unknown to billing, takes its place in the harness).
    pub async fn kill_broker(&mut self) {
        drop(std::mem::replace(&mut self.broker, Broker::start().await));
    }

    /// Records a BCA, as the operator.
    pub async fn set_bca(&self, effective_from: &str, amount_tiyin: i64) {
        self.base_amounts(OPERATOR)
            .set_base_amount(SetBaseAmountRequest {
                effective_from: effective_from.into(),
                amount_tiyin,
                decree: format!("test decree for {effective_from}"),
            })
            .await
            .expect("BCA recorded");
    }

    /// Records `CONTRACT` for `ACCOUNT` with `tiers`, valid through 2030, due 10 days after each month, as the
    /// operator.
    pub async fn contract(&self, mode: TierMode, tiers: &[(u64, u32)]) -> Contract {
        self.contracts(OPERATOR)
            .create_contract(contract_request(CONTRACT, mode, tiers))
            .await
            .expect("contract recorded")
            .into_inner()
    }

    /// Produces usage records as the gateway does for delivered DDP exchanges: each usage record on
    /// `exchange.usage` (keyed by account), then the DELIVERED audit record of its request on `exchange.audit`.
    pub async fn produce(&self, records: &[UsageRecord]) {
        self.produce_usage_only(records).await;
        let audits: Vec<AuditRecord> = records.iter().map(delivered_audit).collect();
        self.produce_audit(&audits).await;
    }

    /// Produces usage records alone, with no audit record: what a forger who can write to `exchange.usage` does.
    pub async fn produce_usage_only(&self, records: &[UsageRecord]) {
        for record in records {
            self.producer
                .publish(EXCHANGE_USAGE, ACCOUNT, record, &record.event_id, None)
                .await
                .expect("usage record produced");
        }
    }

    /// Produces audit records on `exchange.audit` as the gateway does (keyed by its chain).
    pub async fn produce_audit(&self, records: &[AuditRecord]) {
        for record in records {
            self.producer
                .publish(EXCHANGE_AUDIT, &record.chain, record, &record.event_id, None)
                .await
                .expect("audit record produced");
        }
    }

    /// Waits until `n` distinct requests are stored and none of them waits for its audit record any more.
    pub async fn wait_for_usage(&self, n: u64) {
        use koprik_billing::store::usage_event;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let db = sea_orm::Database::connect(self.db.url()).await.expect("db");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let stored = usage_event::Entity::find().count(&db).await.unwrap_or(0);
            let pending = usage_event::Entity::find()
                .filter(usage_event::Column::Reconciliation.eq(koprik_billing::reconciliation::PENDING))
                .count(&db)
                .await
                .unwrap_or(u64::MAX);
            if stored >= n && pending == 0 {
                assert_eq!(stored, n, "more usage stored than produced");
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {stored} of {n} usage records stored, {pending} pending reconciliation"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The usage row of `request_id`, read from the database directly.
    pub async fn usage_row(&self, request_id: &str) -> Option<koprik_billing::store::usage_event::Model> {
        use sea_orm::EntityTrait;
        let db = sea_orm::Database::connect(self.db.url()).await.expect("db");
        let row = koprik_billing::store::usage_event::Entity::find_by_id(request_id.to_owned())
            .one(&db)
            .await
            .expect("usage read");
        db.close().await.ok();
        row
    }

    /// How many rows the table of `E` holds, read from the database directly (`h.rows::<payment::Entity>()`).
    pub async fn rows<E: sea_orm::EntityTrait<Model: Sync>>(&self) -> u64 {
        use sea_orm::PaginatorTrait;
        let db = sea_orm::Database::connect(self.db.url()).await.expect("db");
        let count = E::find().count(&db).await.expect("counted");
        db.close().await.ok();
        count
    }

    /// Issues the invoices of `period` as the operator and returns `CONTRACT`'s.
    pub async fn issue(&self, period: &str) -> Invoice {
        let issued = self
            .invoices(OPERATOR)
            .issue_invoices(IssueInvoicesRequest { period: period.into() })
            .await
            .expect("invoices issued")
            .into_inner()
            .invoices;
        issued.into_iter().find(|i| i.contract_reference == CONTRACT).expect("the contract's invoice")
    }

    /// The invoice `number`, as the company it bills reads it.
    pub async fn invoice(&self, number: &str) -> Invoice {
        self.invoices(COMPANY)
            .get_invoice(GetInvoiceRequest { number: number.into(), contract_reference: String::new() })
            .await
            .expect("invoice")
            .into_inner()
    }

    /// Pays `amount` through channel "test-bank" (as that channel) under `id`, naming `invoice` when given.
    pub async fn pay(&self, id: &str, amount_tiyin: i64, invoice: &str) -> koprik_proto::billing::Payment {
        self.payments(BANK)
            .record_payment(payment(id, amount_tiyin, invoice))
            .await
            .expect("payment recorded")
            .into_inner()
    }
}

/// `ACCOUNT` on the wire.
pub fn account() -> koprik_proto::common::MemberId {
    (&ACCOUNT.parse::<MemberId>().expect("id")).into()
}

/// A payment report from channel "test-bank".
pub fn payment(id: &str, amount_tiyin: i64, invoice: &str) -> RecordPaymentRequest {
    RecordPaymentRequest {
        channel: "test-bank".into(),
        channel_payment_id: id.into(),
        account: Some(account()),
        amount_tiyin,
        invoice_number: invoice.into(),
        // A channel repeating a report repeats its time too.
        paid_at: Some(koprik_proto::time::timestamp(tashkent("2026-11-20T10:00:00"))),
    }
}

/// A contract request for `ACCOUNT`.
pub fn contract_request(reference: &str, mode: TierMode, tiers: &[(u64, u32)]) -> CreateContractRequest {
    CreateContractRequest {
        reference: reference.into(),
        account: Some(account()),
        valid_from: "2026-01-01".into(),
        valid_until: "2030-12-31".into(),
        tariff: Some(Tariff {
            mode: mode as i32,
            tiers: tiers
                .iter()
                .map(|&(from_request, rate_basis_points)| Tier { from_request, rate_basis_points })
                .collect(),
        }),
        payment_terms_days: 10,
    }
}

/// A usage record of `service` received at `at`.
pub fn usage(request_id: &str, service: &str, at: DateTime<Utc>) -> UsageRecord {
    let service: ServiceId = service.parse().expect("service id");
    let consumer: SubsystemId = CONSUMER.parse().expect("consumer id");
    UsageRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: request_id.into(),
        account: Some(consumer.member().into()),
        consumer: Some((&consumer).into()),
        service: Some((&service).into()),
        provider: Some(service.provider().into()),
        grant_id: "grant-1".into(),
        contract_reference: CONTRACT.into(),
        data_items: vec!["full_name".into()],
        received_at: Some(koprik_proto::time::timestamp(at)),
        answered_at: Some(koprik_proto::time::timestamp(at)),
        gateway: "gateway-1".into(),
    }
}

/// A time in Tashkent, `YYYY-MM-DDTHH:MM:SS`.
pub fn tashkent(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{local}+05:00")).expect("time").with_timezone(&Utc)
}
