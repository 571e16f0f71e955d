//! What the portal's integration tests share: the portal on a real database and a real Tansu broker, serving mTLS
//! with certificates from a test CA that the tests make known the way the registry does (on `registry.events`, beside
//! the registry's heartbeats, without which the portal refuses every gRPC call),
//! gRPC clients per identity (operator, auditor, suppliers, consumer companies), billing's contracts published the
//! way billing publishes them (`billing.contracts`), a direct repository over the same database, and builders for a
//! supplier, a data set and a version.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use koprik_authz::AuthzConfig;
use koprik_kafka::topics::BILLING_CONTRACTS;
use koprik_kafka::Producer;
use koprik_opendata::config::{FeedbackConfig, OutboxConfig, PlatformConfig, StorageConfig};
use koprik_opendata::repository::Repository;
use koprik_opendata::{run_with_http, Listeners, OpendataConfig};
use koprik_proto::common::MemberId;
use koprik_proto::opendata::api_keys_client::ApiKeysClient;
use koprik_proto::opendata::datasets_client::DatasetsClient;
use koprik_proto::opendata::feedback_client::FeedbackClient;
use koprik_proto::opendata::suppliers_client::SuppliersClient;
use koprik_proto::opendata::{
    publish_version_request::Part, CreateDatasetRequest, DefineStructureRequest, Field, FieldType, Passport,
    PublishVersionHeader, PublishVersionRequest, RegisterSupplierRequest, ResponsiblePerson, Supplier, Text,
    UpdateFrequency, Version,
};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::Status;
use koprik_runtime::config::{GrpcServerConfig, MetricsConfig};
use koprik_runtime::CancellationToken;
use koprik_testkit::{Broker, RegistryHeartbeats, TestDatabase, TestPki};
use tokio::net::TcpListener;

/// Who calls the portal in the tests, as certificate identities (`<role>:<principal>`).
/// A person of the operator: registers suppliers, forwards proposals, issues any key.
pub const OPERATOR: &str = "operator:a.karimov";
/// An inspector: reads.
pub const AUDITOR: &str = "auditor:s.rahimova";
/// The statistics agency (`stat`, member UZ/GOV/201122919) as a supplier.
pub const STAT: &str = "supplier:UZ/GOV/201122919";
/// The labour ministry (`mehnat`, member UZ/GOV/201122920) as a supplier.
pub const MEHNAT: &str = "supplier:UZ/GOV/201122920";
/// A company's analytics system: commercial API use under its company's contract.
pub const COMPANY: &str = "consumer:UZ/COM/207028220/analytics";
/// The company's subsystem id, the holder of its keys.
pub const COMPANY_SYSTEM: &str = "UZ/COM/207028220/analytics";
/// The company's member id, the account of its contract.
pub const COMPANY_ACCOUNT: &str = "UZ/COM/207028220";
/// Another company's system.
pub const RIVAL: &str = "consumer:UZ/COM/207028221/scoring";
/// The other company's member id.
pub const RIVAL_ACCOUNT: &str = "UZ/COM/207028221";

/// Everyone the tests call as; each has a registered certificate unless a test says otherwise.
pub const IDENTITIES: [&str; 6] = [OPERATOR, AUDITOR, STAT, MEHNAT, COMPANY, RIVAL];

/// How a test wants the portal started.
pub struct Setup {
    /// More identities whose certificates are registered (published) before the portal starts.
    pub more_identities: Vec<String>,
    /// Publish the certificate records and the registry's heartbeats at all (false: `registry.events` never exists,
    /// so the portal can never know whether a certificate is revoked).
    pub publish: bool,
    /// The authorization settings.
    pub authz: AuthzConfig,
}

impl Default for Setup {
    fn default() -> Self {
        Self { more_identities: Vec::new(), publish: true, authz: AuthzConfig::default() }
    }
}

/// A running portal.
pub struct Harness {
    pub broker: Broker,
    pub db: TestDatabase,
    pub pki: TestPki,
    pub grpc: std::net::SocketAddr,
    pub http: std::net::SocketAddr,
    pub metrics: std::net::SocketAddr,
    pub storage: tempfile::TempDir,
    /// The registry's heartbeats, while they beat (as long as the test has not stopped them).
    heartbeats: Option<RegistryHeartbeats>,
    channels: BTreeMap<String, Channel>,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts the portal on a fresh database, broker and version store, with fast loops and the platform's own data
/// sets off (their tests turn them on), every identity of [`IDENTITIES`] registered.
pub async fn start() -> Harness {
    start_with(Setup::default()).await
}

/// Starts the portal as `setup` says.
pub async fn start_with(setup: Setup) -> Harness {
    koprik_testkit::init_logs();
    let broker = Broker::start().await;
    let db = TestDatabase::create().await;
    let pki = TestPki::new();
    if setup.publish {
        let mut records: Vec<_> = IDENTITIES.iter().map(|identity| pki.record(identity)).collect();
        records.extend(setup.more_identities.iter().map(|identity| pki.record(identity)));
        koprik_testkit::publish_certificates(&broker.kafka_config(), &records).await;
    }
    let heartbeats = if setup.publish { Some(RegistryHeartbeats::start(&broker.kafka_config()).await) } else { None };
    let storage = tempfile::tempdir().expect("storage dir");
    let grpc = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let metrics = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let http = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let (grpc_addr, metrics_addr, http_addr) =
        (grpc.local_addr().expect("addr"), metrics.local_addr().expect("addr"), http.local_addr().expect("addr"));
    let defaults = OpendataConfig::default();
    let mut config = OpendataConfig {
        grpc: GrpcServerConfig { listen: grpc_addr, tls: pki.server_tls() },
        metrics: MetricsConfig { listen: metrics_addr },
        database: db.config(),
        kafka: broker.kafka_config(),
        outbox: OutboxConfig { poll_interval: Duration::from_millis(100), batch_size: 100 },
        storage: StorageConfig { dir: storage.path().to_owned(), ..defaults.storage.clone() },
        feedback: FeedbackConfig { check_interval: Duration::from_millis(200), ..defaults.feedback.clone() },
        platform: PlatformConfig { enabled: false, ..defaults.platform.clone() },
        authz: setup.authz,
        ..defaults
    };
    config.http.listen = http_addr;
    config.http.public_url = format!("http://{http_addr}");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_with_http(config, Listeners { grpc, metrics }, http, shutdown.clone()));
    let mut channels = BTreeMap::new();
    for identity in IDENTITIES {
        channels.insert(identity.to_owned(), pki.channel(grpc_addr, Some(identity)).await);
    }
    Harness {
        broker,
        db,
        pki,
        grpc: grpc_addr,
        http: http_addr,
        metrics: metrics_addr,
        storage,
        heartbeats,
        channels,
        shutdown,
        task: Some(task),
    }
}

impl Harness {
    /// The connection presenting `identity`'s certificate (one of [`IDENTITIES`]).
    pub fn channel(&self, identity: &str) -> Channel {
        self.channels.get(identity).unwrap_or_else(|| panic!("no connection as {identity}")).clone()
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

    /// Kills the broker the portal uses (a fresh one, unknown to the portal, takes its place in the harness).
    pub async fn kill_broker(&mut self) {
        drop(std::mem::replace(&mut self.broker, Broker::start().await));
    }

    /// Kills the portal without a graceful shutdown.
    pub async fn crash(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Publishes contract `reference` of `account`, valid from `from` through `until`, on `billing.contracts` as
    /// billing does, and waits until the portal has stored it.
    pub async fn billing_contract(&self, reference: &str, account: &str, from: &str, until: &str) {
        let member: koprik_proto::ids::MemberId = account.parse().expect("member id");
        let event_id = uuid::Uuid::now_v7().to_string();
        let event = koprik_proto::events::ContractEvent {
            event_id: event_id.clone(),
            contract: Some(koprik_proto::billing::Contract {
                reference: reference.into(),
                account: Some((&member).into()),
                valid_from: from.into(),
                valid_until: until.into(),
                currency: "UZS".into(),
                ..Default::default()
            }),
            occurred_at: Some(koprik_proto::time::timestamp(chrono::Utc::now())),
        };
        let producer = Producer::new(&self.broker.kafka_config(), "test-billing").expect("producer");
        producer.publish(BILLING_CONTRACTS, reference, &event, &event_id, None).await.expect("contract published");
        let repository = self.repository().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let stored = repository.contract(reference).await.expect("read");
            if stored.is_some_and(|c| c.event_id == event_id) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the portal never stored contract {reference}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the portal and checks it stopped cleanly.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("opendata task").expect("opendata stopped cleanly");
        }
    }

    pub fn suppliers(&self, identity: &str) -> SuppliersClient<Channel> {
        SuppliersClient::new(self.channel(identity))
    }
    pub fn datasets(&self, identity: &str) -> DatasetsClient<Channel> {
        DatasetsClient::new(self.channel(identity))
    }
    pub fn feedback(&self, identity: &str) -> FeedbackClient<Channel> {
        FeedbackClient::new(self.channel(identity))
    }
    pub fn api_keys(&self, identity: &str) -> ApiKeysClient<Channel> {
        ApiKeysClient::new(self.channel(identity))
    }

    /// A repository over the portal's database (its relay wake-ups go nowhere; the portal's relay polls).
    pub async fn repository(&self) -> Repository {
        let db = koprik_runtime::db::connect(&self.db.config()).await.expect("database");
        Repository::new(db, Arc::new(tokio::sync::Notify::new()))
    }

    /// Registers the statistics agency as supplier `stat`, as the operator.
    pub async fn register_statistics_agency(&self) -> Supplier {
        self.register(statistics_agency()).await
    }

    /// Registers the labour ministry as supplier `mehnat`, as the operator.
    pub async fn register_labour_ministry(&self) -> Supplier {
        self.register(labour_ministry()).await
    }

    async fn register(&self, supplier: Supplier) -> Supplier {
        self.suppliers(OPERATOR)
            .register_supplier(RegisterSupplierRequest { supplier: Some(supplier) })
            .await
            .expect("supplier registered")
            .into_inner()
    }

    /// Creates data set `name` of `stat` with the population structure, as the agency.
    pub async fn create_population_dataset(&self, name: &str, frequency: UpdateFrequency) {
        self.datasets(STAT)
            .create_dataset(CreateDatasetRequest { passport: Some(passport(name, "stat", frequency)) })
            .await
            .expect("data set created");
        self.datasets(STAT)
            .define_structure(DefineStructureRequest { dataset: name.into(), fields: population_fields() })
            .await
            .expect("structure defined");
    }

    /// Publishes `csv` as the next version of `dataset` as the agency, in chunks of 7 bytes to exercise
    /// reassembly.
    pub async fn publish(&self, dataset: &str, structure_version: u32, csv: &str) -> Result<Version, Status> {
        self.publish_as(STAT, dataset, structure_version, csv).await
    }

    /// Publishes `csv` as the next version of `dataset` as `identity`.
    pub async fn publish_as(
        &self,
        identity: &str,
        dataset: &str,
        structure_version: u32,
        csv: &str,
    ) -> Result<Version, Status> {
        let mut parts = vec![PublishVersionRequest {
            part: Some(Part::Header(PublishVersionHeader {
                dataset: dataset.into(),
                structure_version,
                change_note: "test figures".into(),
            })),
        }];
        parts.extend(csv.as_bytes().chunks(7).map(|c| PublishVersionRequest { part: Some(Part::Chunk(c.to_vec())) }));
        self.datasets(identity).publish_version(futures::stream::iter(parts)).await.map(|r| r.into_inner())
    }
}

pub fn text(uz: &str, ru: &str, en: &str) -> Option<Text> {
    Some(Text { uz: uz.into(), ru: ru.into(), en: en.into() })
}

/// The statistics agency as a supplier.
pub fn statistics_agency() -> Supplier {
    Supplier {
        member: Some(MemberId { instance: "UZ".into(), member_class: "GOV".into(), member_code: "201122919".into() }),
        name: "stat".into(),
        title: text("Statistika agentligi", "Агентство статистики", "Statistics Agency"),
        domain: "stat.uz".into(),
        responsible: Some(ResponsiblePerson {
            full_name: "Karimov Aziz".into(),
            position: "Bo'lim boshlig'i".into(),
            phone: "+998712391234".into(),
            email: "opendata@stat.uz".into(),
        }),
        registered_at: None,
    }
}

/// The labour ministry as a supplier.
pub fn labour_ministry() -> Supplier {
    Supplier {
        member: Some(MemberId { instance: "UZ".into(), member_class: "GOV".into(), member_code: "201122920".into() }),
        name: "mehnat".into(),
        title: text("Bandlik vazirligi", "Министерство занятости", "Ministry of Employment"),
        domain: "mehnat.uz".into(),
        responsible: Some(ResponsiblePerson {
            full_name: "Rashidova Dilnoza".into(),
            position: "Bo'lim boshlig'i".into(),
            phone: "+998712391235".into(),
            email: "opendata@mehnat.uz".into(),
        }),
        registered_at: None,
    }
}

/// A complete passport.
pub fn passport(name: &str, supplier: &str, frequency: UpdateFrequency) -> Passport {
    Passport {
        name: name.into(),
        supplier: supplier.into(),
        title: text("Aholi soni", "Численность населения", "Population"),
        description: text("Viloyatlar kesimida", "По регионам", "By region"),
        composition: text("Viloyat, yil, aholi soni", "", ""),
        methodology: text("Joriy hisob", "", ""),
        update_frequency: frequency.into(),
        unit: "ming kishi".into(),
        related_links: vec!["https://stat.uz".into()],
        keywords_uz: vec!["aholi".into(), "demografiya".into()],
        keywords_ru: vec!["население".into()],
        keywords_en: vec!["population".into()],
        license_id: String::new(),
    }
}

pub fn field(name: &str, kind: FieldType, required: bool) -> Field {
    Field {
        name: name.into(),
        r#type: kind.into(),
        required,
        title: text(name, name, name),
        description: None,
        unit: String::new(),
    }
}

/// region, year, population.
pub fn population_fields() -> Vec<Field> {
    vec![
        field("region", FieldType::String, true),
        field("year", FieldType::Integer, true),
        field("population", FieldType::Decimal, false),
    ]
}

pub const POPULATION_CSV: &str =
    "region,year,population\nToshkent shahri,2025,3095.5\n\"Samarqand, viloyat\",2025,4200.1\nXorazm,2025,\n";
