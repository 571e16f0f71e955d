//! What the registry's integration tests share: a registry on a real database and a real Tansu broker, serving
//! mTLS with a test CA exactly as in production, its first operator registered from the bootstrap file; clients
//! presenting the certificate of any identity (registered by that operator on first use); and builders for the
//! participants every workflow starts from.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koprik_proto::common;
use koprik_proto::registry::announcements_client::AnnouncementsClient;
use koprik_proto::registry::certificates_client::CertificatesClient;
use koprik_proto::registry::onboarding_client::OnboardingClient;
use koprik_proto::registry::public_services_client::PublicServicesClient;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::signing_keys_client::SigningKeysClient;
use koprik_proto::registry::working_calendar_client::WorkingCalendarClient;
use koprik_proto::registry::{
    price, ClientCertificate, CreateOrganizationRequest, CreateServiceRequest, CreateSubsystemRequest,
    DataClassification, DataItem, DeliveryForm, Document, EServiceKind, Free, InformationSystemForm,
    InteragencyDocument, LocalizedText, NormativeAct, OfficialNotice, Organization, OrganizationRole, OrganizationType,
    Price, PublicServiceContent, RegisterCertificateRequest, Service, ServiceRegulation, ServiceType, Subsystem,
    SystemUser,
};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::Code;
use koprik_registry::config::{AccessConfig, OutboxConfig, PublicHttpConfig};
use koprik_registry::{run, RegistryConfig, RegistryListeners};
use koprik_runtime::config::{GrpcServerConfig, MetricsConfig};
use koprik_runtime::CancellationToken;
use koprik_testkit::{Broker, TestDatabase, TestPki};
use tokio::net::TcpListener;

/// The operator whose certificate the registry registers from its bootstrap file at start-up.
pub const OPERATOR: &str = "operator:a.karimov";

/// A running registry.
pub struct Harness {
    /// The operator's channel (the bootstrap operator), for any of the registry's clients.
    pub channel: Channel,
    /// The operator's `Registry` client.
    pub client: RegistryClient<Channel>,
    /// The gRPC address.
    pub addr: SocketAddr,
    pub broker: Broker,
    pub metrics: SocketAddr,
    /// The public HTTP export.
    pub public_http: SocketAddr,
    pub db: TestDatabase,
    /// The platform CA of this registry and every certificate issued with it.
    pub pki: Arc<TestPki>,
    /// The bootstrap operator file the registry was started with.
    pub bootstrap: PathBuf,
    /// Channels per identity, each identity's certificate registered once.
    channels: Mutex<HashMap<String, Channel>>,
    registered: Mutex<HashSet<String>>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts a registry on a fresh database, broker and CA, with [`OPERATOR`] in its bootstrap file; contract expiry is
/// swept every 200 ms.
pub async fn start() -> Harness {
    koprik_testkit::init_logs();
    let pki = Arc::new(TestPki::new());
    let bootstrap = pki.files(OPERATOR).cert;
    launch(Broker::start().await, TestDatabase::create().await, pki, bootstrap).await
}

/// The configuration of a registry on `db` and `broker`, serving mTLS with `pki`, bootstrapping `bootstrap`.
pub fn config(
    pki: &TestPki,
    db: &TestDatabase,
    broker: &Broker,
    listeners: &RegistryListeners,
    bootstrap: Option<PathBuf>,
) -> RegistryConfig {
    let address = |l: &TcpListener| l.local_addr().expect("a bound listener");
    RegistryConfig {
        bootstrap_operator: bootstrap,
        grpc: GrpcServerConfig { listen: address(&listeners.grpc), tls: pki.server_tls() },
        metrics: MetricsConfig { listen: address(&listeners.metrics) },
        database: db.config(),
        kafka: broker.kafka_config(),
        outbox: OutboxConfig { poll_interval: Duration::from_millis(200), batch_size: 100 },
        access: AccessConfig { expiry_sweep_interval: Duration::from_millis(200), ..RegistryConfig::default().access },
        public_http: PublicHttpConfig { listen: address(&listeners.public_http) },
        ..RegistryConfig::default()
    }
}

/// Listeners on free ports.
pub async fn listeners() -> RegistryListeners {
    let bind = || TcpListener::bind("127.0.0.1:0");
    RegistryListeners {
        grpc: bind().await.expect("port"),
        metrics: bind().await.expect("port"),
        public_http: bind().await.expect("port"),
    }
}

/// Runs a registry on `broker`, `db` and `pki` with the bootstrap file `bootstrap`.
pub async fn launch(broker: Broker, db: TestDatabase, pki: Arc<TestPki>, bootstrap: PathBuf) -> Harness {
    let listeners = listeners().await;
    let config = config(&pki, &db, &broker, &listeners, Some(bootstrap.clone()));
    let (addr, metrics, public_http) = (config.grpc.listen, config.metrics.listen, config.public_http.listen);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(config, listeners, shutdown.clone()));
    let channel = pki.channel(addr, Some(OPERATOR)).await;
    let client = RegistryClient::new(channel.clone());
    let channels = Mutex::new(HashMap::from([(OPERATOR.to_owned(), channel.clone())]));
    let registered = Mutex::new(HashSet::from([OPERATOR.to_owned()]));
    Harness {
        channel,
        client,
        addr,
        broker,
        metrics,
        public_http,
        db,
        pki,
        bootstrap,
        channels,
        registered,
        shutdown,
        task,
    }
}

/// Stops the registry and checks it stopped cleanly.
pub async fn stop(h: Harness) {
    h.shutdown.cancel();
    h.task.await.expect("registry task").expect("registry stopped cleanly");
}

/// Stops the registry and starts it again on the same database, broker and CA with the same bootstrap file.
pub async fn restart(h: Harness) -> Harness {
    let Harness { broker, db, pki, bootstrap, shutdown, task, .. } = h;
    shutdown.cancel();
    task.await.expect("registry task").expect("registry stopped cleanly");
    launch(broker, db, pki, bootstrap).await
}

impl Harness {
    /// Registers `identity`'s certificate as the operator (once; a certificate already registered is fine).
    pub async fn register(&self, identity: &str) -> ClientCertificate {
        let pem = self.pki.files(identity).pem().expect("a readable certificate");
        let registered = CertificatesClient::new(self.channel.clone())
            .register_certificate(RegisterCertificateRequest { pem: pem.clone() })
            .await;
        let record = match registered {
            Ok(record) => record.into_inner(),
            Err(status) if status.code() == Code::AlreadyExists => self.pki.record(identity),
            Err(status) => panic!("registering the certificate of {identity}: {status:?}"),
        };
        self.registered.lock().expect("not poisoned").insert(identity.to_owned());
        record
    }

    /// A channel presenting `identity`'s certificate, registered first if this harness has not yet done so (its
    /// subsystem or organisation must exist by then).
    pub async fn channel_as(&self, identity: &str) -> Channel {
        if let Some(channel) = self.channels.lock().expect("not poisoned").get(identity) {
            return channel.clone();
        }
        if !self.registered.lock().expect("not poisoned").contains(identity) {
            self.register(identity).await;
        }
        let channel = self.pki.channel(self.addr, Some(identity)).await;
        self.channels.lock().expect("not poisoned").insert(identity.to_owned(), channel.clone());
        channel
    }

    /// A channel presenting no certificate.
    pub async fn anonymous(&self) -> Channel {
        self.pki.channel(self.addr, None).await
    }

    /// `Registry` as `identity`.
    pub async fn client_as(&self, identity: &str) -> RegistryClient<Channel> {
        RegistryClient::new(self.channel_as(identity).await)
    }

    /// `Onboarding` as `identity`.
    pub async fn onboarding_as(&self, identity: &str) -> OnboardingClient<Channel> {
        OnboardingClient::new(self.channel_as(identity).await)
    }

    /// `Certificates` as `identity`.
    pub async fn certificates_as(&self, identity: &str) -> CertificatesClient<Channel> {
        CertificatesClient::new(self.channel_as(identity).await)
    }

    /// `SigningKeys` as `identity`.
    pub async fn signing_keys_as(&self, identity: &str) -> SigningKeysClient<Channel> {
        SigningKeysClient::new(self.channel_as(identity).await)
    }

    /// `Announcements` as `identity`.
    pub async fn announcements_as(&self, identity: &str) -> AnnouncementsClient<Channel> {
        AnnouncementsClient::new(self.channel_as(identity).await)
    }

    /// `WorkingCalendar` as `identity`.
    pub async fn calendar_as(&self, identity: &str) -> WorkingCalendarClient<Channel> {
        WorkingCalendarClient::new(self.channel_as(identity).await)
    }

    /// `PublicServices` as `identity`.
    pub async fn public_services_as(&self, identity: &str) -> PublicServicesClient<Channel> {
        PublicServicesClient::new(self.channel_as(identity).await)
    }
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

/// The provider agency's certificate identity.
pub const PROVIDER_IDENTITY: &str = "provider:UZ/GOV/201122919";
/// The IIP consumer system's certificate identity.
pub const STATE_IDENTITY: &str = "consumer:UZ/GOV/200935935/tax-inspection";
/// The DDP consumer system's certificate identity.
pub const BANK_IDENTITY: &str = "consumer:UZ/COM/207028220/loan-origination";

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

/// Registers an organisation as the operator.
pub async fn organization(h: &mut Harness, id: common::MemberId, kind: OrganizationType, roles: &[OrganizationRole]) {
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

/// Registers an information system as the operator.
pub async fn subsystem(h: &mut Harness, id: common::SubsystemId, form: Option<InformationSystemForm>) {
    let subsystem = Subsystem { id: Some(id), name: "An information system".into(), form, ..Default::default() };
    h.client.create_subsystem(CreateSubsystemRequest { subsystem: Some(subsystem) }).await.expect("subsystem created");
}

/// The person service as registered by [`seed`].
pub fn person_service_record() -> Service {
    let items = [
        ("surname", DataClassification::Personal),
        ("region", DataClassification::Ordinary),
        ("account_balance", DataClassification::BankSecret),
        ("clearance", DataClassification::StateSecret),
    ];
    Service {
        id: Some(person_service()),
        name: "Person by PINFL".into(),
        data_items: items
            .iter()
            .map(|(code, class)| DataItem { code: (*code).into(), name: (*code).into(), classification: *class as i32 })
            .collect(),
        ..Default::default()
    }
}

/// The provider with the person service, a state IIP consumer and a bank DDP consumer, each consumer with a
/// registered information system carrying its application-form fields. All registered by the operator.
pub async fn seed(h: &mut Harness) {
    organization(h, member("GOV", PROVIDER), OrganizationType::StateBody, &[OrganizationRole::Provider]).await;
    organization(h, member("GOV", STATE_CONSUMER), OrganizationType::StateBody, &[OrganizationRole::IipConsumer]).await;
    organization(h, member("COM", BANK), OrganizationType::Commercial, &[OrganizationRole::DdpConsumer]).await;
    subsystem(h, subsystem_id("GOV", PROVIDER, "civil-registry"), None).await;
    subsystem(h, state_system(), Some(system_form())).await;
    subsystem(h, bank_system(), Some(system_form())).await;
    h.client
        .create_service(CreateServiceRequest { service: Some(person_service_record()) })
        .await
        .expect("service created");
}

/// An official notice.
pub fn notice() -> OfficialNotice {
    OfficialNotice { number: "01-12/345".into(), issued_on: "2026-11-20".into(), signed_by: "A. Karimov".into() }
}

/// An Uzbek text (the one language every published text needs, REG-1 p. 5).
pub fn localized(uz: &str) -> Option<LocalizedText> {
    Some(LocalizedText { uz: uz.into(), ru: String::new(), en: String::new() })
}

/// A normative act.
pub fn act(title: &str, date: &str) -> NormativeAct {
    NormativeAct {
        title: localized(title),
        number: "PQ-1".into(),
        date: date.into(),
        link: "https://lex.uz/docs/1".into(),
    }
}

/// A complete content of the public service `name` of the state body `body` (a GOV member code).
pub fn public_service_content(body: &str, name: &str) -> PublicServiceContent {
    PublicServiceContent {
        name: localized(name),
        competent_body: Some(member("GOV", body)),
        applicant_categories: vec![LocalizedText { uz: "Jismoniy shaxslar".into(), ..Default::default() }],
        delivery_forms: vec![DeliveryForm::Electronic as i32, DeliveryForm::Traditional as i32],
        price: Some(Price { kind: Some(price::Kind::Free(Free {})), note: None }),
        deadlines: localized("3 ish kuni"),
        conditions: None,
        applicant_documents: vec![Document { name: localized("Ariza"), link: String::new() }],
        interagency_documents: vec![InteragencyDocument {
            name: localized("Pasport ma'lumotlari"),
            supplier: Some(member("GOV", STATE_CONSUMER)),
            web_service: None,
        }],
        result: localized("Ma'lumotnoma"),
        forms: vec![],
        permanent_link: "https://my.gov.uz/services/1".into(),
        regulation: Some(ServiceRegulation { act: Some(act("Reglament", "2026-01-15")), documents: vec![] }),
        exchanged_data: vec![],
        service_type: ServiceType::ProvidingInformation as i32,
        e_service_kind: EServiceKind::Interactive as i32,
        legal_basis: vec![act("Elektron hukumat to'g'risida", "2015-12-09")],
        ru: 0,
        en: 0,
    }
}
