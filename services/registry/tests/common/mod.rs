//! What the registry's integration tests share: a registry on a real database and a real Tansu broker, and
//! builders for the participants every workflow starts from.

#![allow(dead_code)]

use std::time::Duration;

use koprik_proto::common;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::{
    CreateOrganizationRequest, CreateServiceRequest, CreateSubsystemRequest, DataClassification, DataItem,
    InformationSystemForm, OfficialNotice, Organization, OrganizationRole, OrganizationType, Service, Subsystem,
    SystemUser,
};
use koprik_proto::tonic::transport::Channel;
use koprik_registry::config::{AccessConfig, OutboxConfig, PublicHttpConfig};
use koprik_registry::{run, RegistryConfig, RegistryListeners};
use koprik_runtime::config::{GrpcServerConfig, MetricsConfig};
use koprik_runtime::CancellationToken;
use koprik_testkit::{Broker, TestDatabase};
use tokio::net::TcpListener;

/// A running registry.
pub struct Harness {
    /// A channel to its gRPC server, for any of its services' clients.
    pub channel: Channel,
    /// The `Registry` client.
    pub client: RegistryClient<Channel>,
    pub broker: Broker,
    pub metrics: std::net::SocketAddr,
    /// The public HTTP export.
    pub public_http: std::net::SocketAddr,
    pub db: TestDatabase,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts a registry on a fresh database and broker; contract expiry is swept every 200 ms.
pub async fn start() -> Harness {
    koprik_testkit::init_logs();
    let broker = Broker::start().await;
    let db = TestDatabase::create().await;
    let grpc = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let metrics = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let public_http = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let (grpc_addr, metrics_addr) = (grpc.local_addr().expect("addr"), metrics.local_addr().expect("addr"));
    let public_addr = public_http.local_addr().expect("addr");
    let config = RegistryConfig {
        grpc: GrpcServerConfig::plain(grpc_addr),
        metrics: MetricsConfig { listen: metrics_addr },
        database: db.config(),
        kafka: broker.kafka_config(),
        outbox: OutboxConfig { poll_interval: Duration::from_millis(200), batch_size: 100 },
        access: AccessConfig { expiry_sweep_interval: Duration::from_millis(200), ..RegistryConfig::default().access },
        public_http: PublicHttpConfig { listen: public_addr },
        ..RegistryConfig::default()
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(config, RegistryListeners { grpc, metrics, public_http }, shutdown.clone()));
    let channel = connect(grpc_addr).await;
    let client = RegistryClient::new(channel.clone());
    Harness { client, channel, broker, metrics: metrics_addr, public_http: public_addr, db, shutdown, task }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    for _ in 0..200 {
        if let Ok(channel) = Channel::from_shared(format!("http://{addr}")).expect("uri").connect().await {
            return channel;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the registry did not start on {addr}");
}

/// Stops the registry and checks it stopped cleanly.
pub async fn stop(h: Harness) {
    h.shutdown.cancel();
    h.task.await.expect("registry task").expect("registry stopped cleanly");
}

pub fn member(class: &str, code: &str) -> common::MemberId {
    common::MemberId { instance: "UZ".into(), member_class: class.into(), member_code: code.into() }
}

pub fn subsystem_id(class: &str, code: &str, subsystem: &str) -> common::SubsystemId {
    common::SubsystemId { member: Some(member(class, code)), subsystem_code: subsystem.into() }
}

pub fn service_id(code: &str) -> common::ServiceId {
    common::ServiceId {
        subsystem: Some(subsystem_id("GOV", PROVIDER, "civil-registry")),
        service_code: code.into(),
        version: "v1".into(),
    }
}

/// The provider's STIR.
pub const PROVIDER: &str = "201122919";
/// A state body consuming on the IIP.
pub const STATE_CONSUMER: &str = "200935935";
/// A bank consuming on the DDP.
pub const BANK: &str = "207028220";

/// The IIP consumer's information system.
pub fn state_system() -> common::SubsystemId {
    subsystem_id("GOV", STATE_CONSUMER, "tax-inspection")
}

/// The DDP consumer's information system.
pub fn bank_system() -> common::SubsystemId {
    subsystem_id("COM", BANK, "loan-origination")
}

/// The person service: ordinary, personal, bank-secret and state-secret items.
pub fn person_service() -> common::ServiceId {
    service_id("person-by-pinfl")
}

/// A complete application-form part for an information system.
pub fn system_form() -> InformationSystemForm {
    InformationSystemForm {
        purpose: "Verify applicants' identity".into(),
        tasks: "Identity checks for public services".into(),
        support_email: "support@example.uz".into(),
        responsible_phone: "+998 71 200 00 00".into(),
        services_description: "No services offered".into(),
        data_composition: "Applicant records".into(),
        network_address: "10.10.0.5:8443".into(),
        operating_hours_per_day: 24,
        users: vec![SystemUser {
            full_name: "Aziz Karimov".into(),
            position: "Chief specialist".into(),
            appointment_order: "No. 112-k of 2026-02-01".into(),
        }],
    }
}

async fn organization(h: &mut Harness, id: common::MemberId, kind: OrganizationType, roles: &[OrganizationRole]) {
    let organization = Organization {
        name: format!("Organisation {}", id.member_code),
        id: Some(id),
        r#type: kind as i32,
        roles: roles.iter().map(|r| *r as i32).collect(),
        meta: None,
    };
    h.client
        .create_organization(CreateOrganizationRequest { organization: Some(organization) })
        .await
        .expect("organisation created");
}

async fn subsystem(h: &mut Harness, id: common::SubsystemId, form: Option<InformationSystemForm>) {
    let subsystem = Subsystem { id: Some(id), name: "An information system".into(), form, ..Default::default() };
    h.client.create_subsystem(CreateSubsystemRequest { subsystem: Some(subsystem) }).await.expect("subsystem created");
}

/// The provider with the person service, a state IIP consumer and a bank DDP consumer, each consumer with a
/// registered information system carrying its application-form fields.
pub async fn seed(h: &mut Harness) {
    organization(h, member("GOV", PROVIDER), OrganizationType::StateBody, &[OrganizationRole::Provider]).await;
    organization(h, member("GOV", STATE_CONSUMER), OrganizationType::StateBody, &[OrganizationRole::IipConsumer]).await;
    organization(h, member("COM", BANK), OrganizationType::Commercial, &[OrganizationRole::DdpConsumer]).await;
    subsystem(h, subsystem_id("GOV", PROVIDER, "civil-registry"), None).await;
    subsystem(h, state_system(), Some(system_form())).await;
    subsystem(h, bank_system(), Some(system_form())).await;
    let items = [
        ("surname", DataClassification::Personal),
        ("region", DataClassification::Ordinary),
        ("account_balance", DataClassification::BankSecret),
        ("clearance", DataClassification::StateSecret),
    ];
    let service = Service {
        id: Some(person_service()),
        name: "Person by PINFL".into(),
        data_items: items
            .iter()
            .map(|(code, class)| DataItem { code: (*code).into(), name: (*code).into(), classification: *class as i32 })
            .collect(),
        ..Default::default()
    };
    h.client.create_service(CreateServiceRequest { service: Some(service) }).await.expect("service created");
}

/// An official notice.
pub fn notice() -> OfficialNotice {
    OfficialNotice { number: "01-12/345".into(), issued_on: "2026-11-20".into(), signed_by: "A. Karimov".into() }
}
