//! What the portal's integration tests share: the portal on a real database and a real Tansu broker, its gRPC
//! clients, a direct repository over the same database, and builders for a supplier, a data set and a version.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

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
use koprik_testkit::{Broker, TestDatabase};
use tokio::net::TcpListener;

/// A running portal.
pub struct Harness {
    pub channel: Channel,
    pub broker: Broker,
    pub db: TestDatabase,
    pub http: std::net::SocketAddr,
    pub metrics: std::net::SocketAddr,
    pub storage: tempfile::TempDir,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts the portal on a fresh database, broker and version store, with fast loops and the platform's own data
/// sets off (their tests turn them on).
pub async fn start() -> Harness {
    start_with(|_| {}).await
}

/// Starts the portal with a configuration adjusted by `adjust`.
pub async fn start_with(adjust: impl FnOnce(&mut OpendataConfig)) -> Harness {
    koprik_testkit::init_logs();
    let broker = Broker::start().await;
    let db = TestDatabase::create().await;
    let storage = tempfile::tempdir().expect("storage dir");
    let grpc = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let metrics = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let http = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let (grpc_addr, metrics_addr, http_addr) =
        (grpc.local_addr().expect("addr"), metrics.local_addr().expect("addr"), http.local_addr().expect("addr"));
    let defaults = OpendataConfig::default();
    let mut config = OpendataConfig {
        grpc: GrpcServerConfig::plain(grpc_addr),
        metrics: MetricsConfig { listen: metrics_addr },
        database: db.config(),
        kafka: broker.kafka_config(),
        outbox: OutboxConfig { poll_interval: Duration::from_millis(100), batch_size: 100 },
        storage: StorageConfig { dir: storage.path().to_owned(), ..defaults.storage.clone() },
        feedback: FeedbackConfig { check_interval: Duration::from_millis(200), ..defaults.feedback.clone() },
        platform: PlatformConfig { enabled: false, ..defaults.platform.clone() },
        ..defaults
    };
    config.http.listen = http_addr;
    config.http.public_url = format!("http://{http_addr}");
    adjust(&mut config);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_with_http(config, Listeners { grpc, metrics }, http, shutdown.clone()));
    let channel = connect(grpc_addr).await;
    Harness { channel, broker, db, http: http_addr, metrics: metrics_addr, storage, shutdown, task: Some(task) }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    for _ in 0..400 {
        if let Ok(channel) = Channel::from_shared(format!("http://{addr}")).expect("uri").connect().await {
            return channel;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("opendata did not start on {addr}");
}

impl Harness {
    /// Stops the portal and checks it stopped cleanly.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("opendata task").expect("opendata stopped cleanly");
        }
    }

    pub fn suppliers(&self) -> SuppliersClient<Channel> {
        SuppliersClient::new(self.channel.clone())
    }
    pub fn datasets(&self) -> DatasetsClient<Channel> {
        DatasetsClient::new(self.channel.clone())
    }
    pub fn feedback(&self) -> FeedbackClient<Channel> {
        FeedbackClient::new(self.channel.clone())
    }
    pub fn api_keys(&self) -> ApiKeysClient<Channel> {
        ApiKeysClient::new(self.channel.clone())
    }

    /// A repository over the portal's database (its relay wake-ups go nowhere; the portal's relay polls).
    pub async fn repository(&self) -> Repository {
        let db = koprik_runtime::db::connect(&self.db.config()).await.expect("database");
        Repository::new(db, Arc::new(tokio::sync::Notify::new()))
    }

    /// Registers the statistics agency as supplier `stat`.
    pub async fn register_statistics_agency(&self) -> Supplier {
        self.suppliers()
            .register_supplier(RegisterSupplierRequest { supplier: Some(statistics_agency()) })
            .await
            .expect("supplier registered")
            .into_inner()
    }

    /// Creates data set `name` of `stat` with the population structure.
    pub async fn create_population_dataset(&self, name: &str, frequency: UpdateFrequency) {
        self.datasets()
            .create_dataset(CreateDatasetRequest { passport: Some(passport(name, "stat", frequency)) })
            .await
            .expect("data set created");
        self.datasets()
            .define_structure(DefineStructureRequest { dataset: name.into(), fields: population_fields() })
            .await
            .expect("structure defined");
    }

    /// Publishes `csv` as the next version of `dataset`, in chunks of 7 bytes to exercise reassembly.
    pub async fn publish(&self, dataset: &str, structure_version: u32, csv: &str) -> Result<Version, Status> {
        let mut parts = vec![PublishVersionRequest {
            part: Some(Part::Header(PublishVersionHeader {
                dataset: dataset.into(),
                structure_version,
                change_note: "test figures".into(),
            })),
        }];
        parts.extend(csv.as_bytes().chunks(7).map(|c| PublishVersionRequest { part: Some(Part::Chunk(c.to_vec())) }));
        self.datasets().publish_version(futures::stream::iter(parts)).await.map(|r| r.into_inner())
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
