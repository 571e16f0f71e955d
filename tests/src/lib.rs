//! The end-to-end sandbox: a Tansu broker, a database, and the registry, gateway and demo adapter running
//! in-process on port 0 (billing and the Open Data Portal on demand), seeded with the same demo data as `make run`.
//! Every service serves mTLS with a development CA made for the sandbox and identifies its callers by their client
//! certificates: the registry registers the sandbox operator's certificate at start-up (its bootstrap file), and the
//! operator registers every other demo identity's (`koprik_cli::demo_pki`), each used only for what its role may
//! do.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use koprik_adapter::{AdapterConfig, BackendConfig};
use koprik_cli::demo_pki;
use koprik_gateway::GatewayConfig;
use koprik_kafka::consumer::{read_range, watermarks, RawRecord};
use koprik_kafka::topics::EXCHANGE_AUDIT;
use koprik_pki::Identity;
use koprik_proto::common::{applicant_id::Kind, ApplicantId};
use koprik_proto::events::AuditRecord;
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::exchange::{CallRequest, CallResponse};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::certificates_client::CertificatesClient;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::OfficialNotice;
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Request, Status};
use koprik_registry::RegistryConfig;
use koprik_runtime::config::{GrpcServerConfig, MetricsConfig};
use koprik_runtime::dev_pki::{client_stem, CertFiles, DevPki};
use koprik_runtime::tls::ClientTlsSettings;
use koprik_runtime::CancellationToken;
use koprik_testkit::kafka::wait_for_record;
use koprik_testkit::{Broker, TestDatabase};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use koprik_cli::demo;

/// How long the gateway waits for a provider in the sandbox.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(1500);

/// A service running in-process.
struct Running {
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    async fn stop(self) {
        self.shutdown.cancel();
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("service failed: {e:#}"),
            Err(e) => panic!("service task panicked: {e}"),
        }
    }
}

/// Binds the gRPC and metrics listeners of one service on port 0.
async fn listeners() -> (TcpListener, TcpListener, SocketAddr, SocketAddr) {
    let grpc = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let metrics = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let (g, m) = (grpc.local_addr().expect("bound"), metrics.local_addr().expect("bound"));
    (grpc, metrics, g, m)
}

/// Connects a gRPC channel, retrying while the server starts.
async fn channel(addr: SocketAddr) -> Channel {
    tls_channel(addr, &ClientTlsSettings::default()).await
}

/// Connects a gRPC channel with `tls`, retrying while the server starts.
async fn tls_channel(addr: SocketAddr, tls: &ClientTlsSettings) -> Channel {
    let scheme = if tls.enabled { "https" } else { "http" };
    let endpoint = tls.endpoint(&format!("{scheme}://{addr}")).expect("valid TLS settings");
    let start = Instant::now();
    loop {
        match endpoint.connect().await {
            Ok(channel) => return channel,
            Err(_) if start.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(e) => panic!("nothing answers on {addr}: {e}"),
        }
    }
}

/// The whole platform for one test.
pub struct Sandbox {
    /// The broker.
    pub broker: Broker,
    /// A registry client presenting the sandbox operator's certificate ([`demo_pki::OPERATOR`]).
    pub registry: RegistryClient<Channel>,
    /// A gateway client presenting the client certificate of [`demo::CONSUMER`].
    pub gateway: ExchangeClient<Channel>,
    /// The demo officer's and adapter's keys.
    pub keys: demo::DemoKeys,
    /// The registry number of the demo public service the demo requests are made for.
    pub public_service: u64,
    /// A `Certificates` client of the registry, as the operator.
    pub certificates: CertificatesClient<Channel>,
    /// The sandbox's development CA and certificates.
    pub pki: DevPki,
    /// The gateway's address (TLS, client certificates from [`Sandbox::pki`]).
    pub gateway_addr: SocketAddr,
    /// One gateway client per consumer subsystem, each with that subsystem's certificate.
    consumers: HashMap<String, ExchangeClient<Channel>>,
    registry_channel: Channel,
    registry_service: Option<Running>,
    gateway_service: Option<Running>,
    adapter_service: Option<Running>,
    /// Holds the adapter's key file.
    key_dir: tempfile::TempDir,
    _database: TestDatabase,
    pki_dir: tempfile::TempDir,
    /// The gateway's `/metrics` address.
    pub gateway_metrics: SocketAddr,
    /// More gateway replicas (sharing the broker and the gateway database), from [`Sandbox::start_gateway`].
    more_gateways: Vec<Running>,
    gateway_database: TestDatabase,
    /// Officers registered by [`Sandbox::add_officer`] for subsystems beyond the demo ones.
    officers: HashMap<String, koprik_cli::officer::Officer>,
    /// Billing, once [`Sandbox::start_billing`] started it, with its database.
    billing_service: Option<(Running, TestDatabase)>,
    /// The Open Data Portal, once [`Sandbox::start_opendata`] started it, with its database and version store.
    opendata_service: Option<(Running, TestDatabase, tempfile::TempDir)>,
    /// The registry's gRPC address.
    pub registry_addr: SocketAddr,
    /// Billing's gRPC address, once started.
    pub billing_addr: Option<SocketAddr>,
    /// The Open Data Portal's gRPC address, once started.
    pub opendata_addr: Option<SocketAddr>,
}

impl Sandbox {
    /// Starts the broker, the registry (on a fresh database), the demo adapter and the gateway, and seeds the
    /// demo data.
    pub async fn start() -> Self {
        koprik_testkit::init_logs();
        let broker = Broker::start().await;
        let database = TestDatabase::create().await;
        let kafka = broker.kafka_config();
        let pki_dir = tempfile::tempdir().expect("a temporary directory");
        let pki = DevPki::open(pki_dir.path()).expect("development CA");

        let (grpc, metrics, registry_addr, metrics_addr) = listeners().await;
        let server = pki.server("registry").expect("registry certificate");
        let operator = pki.client(&demo_pki::identity(demo_pki::OPERATOR)).expect("operator certificate");
        let config = RegistryConfig {
            grpc: GrpcServerConfig { listen: registry_addr, tls: pki.server_tls(&server) },
            metrics: MetricsConfig { listen: metrics_addr },
            database: database.config(),
            kafka: kafka.clone(),
            bootstrap_operator: Some(operator.cert.clone()),
            ..RegistryConfig::default()
        };
        let public_http = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let bound = koprik_registry::RegistryListeners { grpc, metrics, public_http };
        let registry_service = spawn(|s| koprik_registry::run(config, bound, s));
        let registry_channel = tls_channel(registry_addr, &pki.client_tls(Some(&operator))).await;
        let mut registry = RegistryClient::new(registry_channel.clone());
        demo::seed(&mut registry).await.expect("demo data seeded");
        for (identity, _) in demo_pki::enrolled() {
            demo_pki::enrol(&pki, registry_channel.clone(), &identity).await.expect("demo certificate registered");
        }
        let as_role = |identity: &str| pki.client(&demo_pki::identity(identity)).expect("demo certificate");
        let editor = tls_channel(registry_addr, &pki.client_tls(Some(&as_role(demo_pki::REGISTRY_EDITOR)))).await;
        let reviewer = tls_channel(registry_addr, &pki.client_tls(Some(&as_role(demo_pki::REGISTRY_REVIEWER)))).await;
        let keys = demo::DemoKeys::generate();
        let public_service = demo::seed_exchange(registry_channel.clone(), editor, reviewer, &keys)
            .await
            .expect("keys and public service");
        let key_dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(demo::DemoKeys::adapter_file(key_dir.path()), keys.adapter.to_pem().expect("PEM"))
            .expect("adapter key written");

        let adapter_service =
            start_adapter(&kafka, key_dir.path(), BackendConfig::DemoCivilRegistry { fixture: None }).await;
        let gateway_database = TestDatabase::create().await;
        let grpc = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let (gateway_service, gateway_addr, gateway_metrics) =
            start_gateway(&kafka, &gateway_database, GATEWAY_INSTANCE, grpc, &pki, |_| {}).await;
        let gateway = demo_consumer_client(&pki, gateway_addr).await;
        let consumers = HashMap::from([(demo::CONSUMER.to_owned(), gateway.clone())]);
        Self {
            broker,
            registry,
            gateway,
            keys,
            public_service,
            certificates: CertificatesClient::new(registry_channel.clone()),
            pki,
            gateway_addr,
            consumers,
            registry_channel,
            registry_service: Some(registry_service),
            gateway_service: Some(gateway_service),
            adapter_service: Some(adapter_service),
            key_dir,
            _database: database,
            pki_dir,
            gateway_metrics,
            more_gateways: Vec::new(),
            gateway_database,
            officers: HashMap::new(),
            billing_service: None,
            opendata_service: None,
            registry_addr,
            billing_addr: None,
            opendata_addr: None,
        }
    }

    /// Starts another gateway replica named `instance`, sharing the broker and the gateway database, with its
    /// configuration adjusted by `tune`; returns its gRPC address (see [`Sandbox::client_at`]) and its metrics
    /// address.
    pub async fn start_gateway(
        &mut self,
        instance: &str,
        tune: impl FnOnce(&mut GatewayConfig),
    ) -> (SocketAddr, SocketAddr) {
        let grpc = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let (running, addr, metrics) =
            start_gateway(&self.broker.kafka_config(), &self.gateway_database, instance, grpc, &self.pki, tune).await;
        self.more_gateways.push(running);
        (addr, metrics)
    }

    /// Starts a gateway replica named `instance` (sharing the broker and the gateway database) in a tokio runtime of
    /// its own, so that [`KillableGateway::kill`] can stop it the way `kill -9` stops a process: every task dropped
    /// where it stands, no shutdown code run, nothing flushed. Returns once it serves.
    pub async fn start_killable_gateway(&self, instance: &str) -> KillableGateway {
        let bind = || std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let (grpc, metrics) = (bind(), bind());
        let (addr, metrics_addr) = (grpc.local_addr().expect("bound"), metrics.local_addr().expect("bound"));
        let server = self.pki.server("gateway").expect("gateway certificate");
        let config = GatewayConfig {
            instance: instance.into(),
            call_timeout: CALL_TIMEOUT,
            grpc: GrpcServerConfig { listen: addr, tls: self.pki.server_tls(&server) },
            metrics: MetricsConfig { listen: metrics_addr },
            kafka: self.broker.kafka_config(),
            database: self.gateway_database.config(),
            ..GatewayConfig::default()
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("killable-{instance}"))
            .enable_all()
            .build()
            .expect("a runtime for the replica");
        runtime.spawn(async move {
            // The listeners are registered with this runtime's reactor, so they die with it.
            let listeners = koprik_gateway::Listeners { grpc: tokio_listener(grpc), metrics: tokio_listener(metrics) };
            koprik_gateway::run(config, listeners, CancellationToken::new()).await
        });
        tls_channel(
            addr,
            &self.pki.client_tls(Some(&self.pki.client(&demo_pki::consumer(demo::CONSUMER)).expect("certificate"))),
        )
        .await;
        KillableGateway { runtime: Some(runtime), addr }
    }

    /// A client of the gateway replica at `gateway` presenting `consumer`'s client certificate (registered when
    /// the registry takes it).
    pub async fn client_at(&self, gateway: SocketAddr, consumer: &str) -> ExchangeClient<Channel> {
        let files = self.pki.client(&demo_pki::consumer(consumer)).expect("client certificate");
        let _ =
            koprik_cli::commands::cert::register(self.registry_channel.clone(), &files.pem().expect("readable")).await;
        ExchangeClient::new(tls_channel(gateway, &self.pki.client_tls(Some(&files))).await)
    }

    /// A channel to the service at `addr` presenting the certificate of `identity` (`<role>:<principal>`), which
    /// the operator registers first (when the registry takes it).
    pub async fn channel_as(&self, addr: SocketAddr, identity: &str) -> Channel {
        let identity: Identity = identity.parse().expect("a valid identity");
        let files = self.pki.client(&identity).expect("client certificate");
        let _ =
            koprik_cli::commands::cert::register(self.registry_channel.clone(), &files.pem().expect("readable")).await;
        tls_channel(addr, &self.pki.client_tls(Some(&files))).await
    }

    /// Registers an officer's signing key (the demo officer's key pair) for `consumer`, a subsystem the test
    /// registered, so [`Sandbox::signed`] can sign its requests.
    pub async fn add_officer(&mut self, consumer: &str) {
        let subsystem: SubsystemId = consumer.parse().expect("a valid subsystem id");
        let key_id = format!("{}.officer-1", subsystem.subsystem_code());
        let officer = koprik_cli::officer::Officer {
            key: self.keys.officer.clone(),
            key_id: key_id.clone(),
            name: demo::OFFICER_NAME.into(),
            position: demo::OFFICER_POSITION.into(),
        };
        let key = koprik_proto::registry::SigningKey {
            key_id,
            subsystem: Some((&subsystem).into()),
            purpose: koprik_proto::registry::SigningKeyPurpose::Officer as i32,
            algorithm: koprik_proto::registry::SignatureAlgorithm::Ed25519 as i32,
            public_key: officer.key.public_key(),
            holder_name: officer.name.clone(),
            holder_position: officer.position.clone(),
            ..Default::default()
        };
        koprik_proto::registry::signing_keys_client::SigningKeysClient::new(self.registry_channel.clone())
            .register_signing_key(koprik_proto::registry::RegisterSigningKeyRequest { key: Some(key) })
            .await
            .expect("officer key registered");
        self.officers.insert(consumer.to_owned(), officer);
    }

    /// The sandbox's CA as the test kit's [`koprik_testkit::TestPki`] (for the generated authorization matrix).
    pub fn test_pki(&self) -> koprik_testkit::TestPki {
        koprik_testkit::TestPki::at(self.pki_dir.path())
    }

    /// A channel to the registry as the operator, for its other services (signing keys, public services, ...).
    pub fn registry_channel(&self) -> Channel {
        self.registry_channel.clone()
    }

    /// A gateway client with `tls` (a certificate from another CA, none at all, ...).
    pub async fn gateway_client(&self, tls: &ClientTlsSettings) -> Result<ExchangeClient<Channel>, String> {
        let endpoint = tls.endpoint(&format!("https://{}", self.gateway_addr)).map_err(|e| e.to_string())?;
        endpoint.connect().await.map(ExchangeClient::new).map_err(|e| format!("{e}: {e:?}"))
    }

    /// Issues a new client certificate for `identity` (`<role>:<principal>`) with the sandbox CA, registers it with
    /// the registry when `register` is set (its subsystem or organisation must then be registered), and returns its
    /// files.
    pub async fn issue_certificate(&self, identity: &str, register: bool) -> CertFiles {
        let identity: Identity = identity.parse().expect("a valid identity");
        let issued = self.pki.ca().issue_client(&identity, Duration::from_secs(3600)).expect("client certificate");
        let stem = format!("{}-{}", client_stem(&identity), uuid_like());
        let (cert, key) = issued.write(&self.pki_dir.path().join("issued"), &stem).expect("written");
        let files = CertFiles { cert, key };
        if register {
            koprik_cli::commands::cert::register(self.registry_channel.clone(), &files.pem().expect("readable"))
                .await
                .expect("client certificate registered");
        }
        files
    }

    /// The gateway client presenting `consumer`'s certificate, issued (and registered, when the registry takes
    /// it) on first use. Requests sent through it directly must be signed (see [`Sandbox::signed`]).
    pub async fn client_for(&mut self, consumer: &str) -> ExchangeClient<Channel> {
        if let Some(client) = self.consumers.get(consumer) {
            return client.clone();
        }
        let files = self.pki.client(&demo_pki::consumer(consumer)).expect("client certificate");
        // A subsystem the registry does not know gets an unregistered certificate, which the gateway refuses.
        let _ =
            koprik_cli::commands::cert::register(self.registry_channel.clone(), &files.pem().expect("readable")).await;
        let client = ExchangeClient::new(tls_channel(self.gateway_addr, &self.pki.client_tls(Some(&files))).await);
        self.consumers.insert(consumer.to_owned(), client.clone());
        client
    }

    /// Stops the gateway cleanly (calls in flight finish) and starts it again as the same instance on the same
    /// address, so existing clients reconnect; returns once it serves again.
    pub async fn restart_gateway(&mut self) {
        if let Some(gateway) = self.gateway_service.take() {
            gateway.stop().await;
        }
        let start = Instant::now();
        let grpc = loop {
            match TcpListener::bind(self.gateway_addr).await {
                Ok(listener) => break listener,
                Err(_) if start.elapsed() < Duration::from_secs(10) => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(e) => panic!("cannot bind {} again: {e}", self.gateway_addr),
            }
        };
        let (gateway_service, _, _) = start_gateway(
            &self.broker.kafka_config(),
            &self.gateway_database,
            GATEWAY_INSTANCE,
            grpc,
            &self.pki,
            |_| {},
        )
        .await;
        self.gateway_service = Some(gateway_service);
        self.gateway = demo_consumer_client(&self.pki, self.gateway_addr).await;
        self.consumers.clear();
        self.consumers.insert(demo::CONSUMER.to_owned(), self.gateway.clone());
    }

    /// Starts the demo civil-registry adapter again.
    pub async fn start_adapter(&mut self) {
        self.start_adapter_with_backend(BackendConfig::DemoCivilRegistry { fixture: None }).await;
    }

    /// Starts the provider's adapter, with its registered key, in front of `backend` instead of the demo civil
    /// registry (e.g. a test agency's `DataProvider` over gRPC); stop the running one first.
    pub async fn start_adapter_with_backend(&mut self, backend: BackendConfig) {
        self.adapter_service = Some(start_adapter(&self.broker.kafka_config(), self.key_dir.path(), backend).await);
    }

    /// Starts the demo adapter signing with `key` instead of its registered key (as a forged adapter would).
    pub async fn start_adapter_with_key(&mut self, key: &koprik_proto::signing::PrivateKey) {
        let dir = self.key_dir.path().join("other");
        std::fs::create_dir_all(&dir).expect("directory");
        std::fs::write(demo::DemoKeys::adapter_file(&dir), key.to_pem().expect("PEM")).expect("key written");
        let backend = BackendConfig::DemoCivilRegistry { fixture: None };
        self.adapter_service = Some(start_adapter(&self.broker.kafka_config(), &dir, backend).await);
    }

    /// `request` as the demo officer prepares it for `consumer`: particulars filled in for the demo public service,
    /// signed now.
    pub fn signed(&self, consumer: &str, request: CallRequest) -> CallRequest {
        let consumer: SubsystemId = consumer.parse().expect("a valid consumer id");
        let purpose = demo::purpose(self.public_service);
        match self.officers.get(&consumer.to_string()) {
            Some(officer) => officer.prepare(request, &consumer, &purpose),
            None => self.keys.officer_for(&consumer.to_string()).prepare(request, &consumer, &purpose),
        }
        .expect("prepared")
    }

    /// A signer of `consumer`'s requests that can be shared between tasks (for load tests): each request it signs
    /// is a new one, since a signed request is accepted once.
    pub fn request_signer(&self, consumer: &str) -> RequestSigner {
        let subsystem: SubsystemId = consumer.parse().expect("a valid consumer id");
        let officer = match self.officers.get(consumer) {
            Some(officer) => koprik_cli::officer::Officer {
                key: officer.key.clone(),
                key_id: officer.key_id.clone(),
                name: officer.name.clone(),
                position: officer.position.clone(),
            },
            None => self.keys.officer_for(consumer),
        };
        RequestSigner {
            officer: std::sync::Arc::new(officer),
            consumer: subsystem,
            purpose: demo::purpose(self.public_service),
            sequence: std::sync::Arc::default(),
        }
    }

    /// Stops the adapter, as when the provider's side goes down.
    pub async fn stop_adapter(&mut self) {
        if let Some(adapter) = self.adapter_service.take() {
            adapter.stop().await;
        }
    }

    /// Calls the gateway as `consumer`, with that subsystem's client certificate; `None` calls over TLS without
    /// a client certificate. A request without a signature is first prepared and signed by the demo officer (of
    /// the consumer's own subsystem, or the demo consumer's when none is named); tests of the signature rules pass
    /// requests they signed (or spoiled) themselves.
    pub async fn call(&mut self, consumer: Option<&str>, request: CallRequest) -> Result<CallResponse, Status> {
        let request = if request.signature.is_none() && request.service.is_some() {
            self.signed(consumer.unwrap_or(demo::CONSUMER), request)
        } else {
            request
        };
        let mut client = match consumer {
            Some(consumer) => self.client_for(consumer).await,
            None => ExchangeClient::new(tls_channel(self.gateway_addr, &self.pki.client_tls(None)).await),
        };
        client.call(Request::new(request)).await.map(|r| r.into_inner())
    }

    /// Calls until the gateway answers with data, as a consumer does while a new grant propagates; panics after
    /// ten seconds with the last error.
    pub async fn call_until_delivered(&mut self, consumer: &str, request: CallRequest) -> CallResponse {
        let start = Instant::now();
        loop {
            match self.call(Some(consumer), request.clone()).await {
                Ok(response) => return response,
                Err(_) if start.elapsed() < Duration::from_secs(10) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) => panic!("no delivery within 10 s: {status:?}"),
            }
        }
    }

    /// The audit record of `request_id`, read from `exchange.audit` like any Kafka client would.
    pub async fn audit_record(&self, request_id: &str) -> AuditRecord {
        wait_for_record::<AuditRecord, _>(&self.broker.kafka_config(), EXCHANGE_AUDIT, Duration::from_secs(10), |r| {
            r.value.request_id == request_id
        })
        .await
        .value
    }

    /// Every record on `topic` as it stands now, undecoded, partition by partition in offset order.
    pub async fn read_topic(&self, topic: &str) -> Vec<RawRecord> {
        let kafka = self.broker.kafka_config();
        let mut records = Vec::new();
        let marks = watermarks(&kafka, "koprik-e2e", topic).await.expect("the topic's watermarks");
        for (partition, low, high) in marks {
            read_range(&kafka, "koprik-e2e", topic, partition, low, high, |r| records.push(r))
                .await
                .expect("the topic is readable");
        }
        records
    }

    /// Starts billing on its own fresh database, reading `exchange.usage` of the sandbox's broker and publishing
    /// `billing.account-status` to its registry; its invoicing loop runs every 200 ms but issues nothing by itself
    /// (a year of grace), so tests issue periods explicitly. Returns a channel to its gRPC API as the operator
    /// (other roles: [`Sandbox::channel_as`] with [`Sandbox::billing_addr`]).
    pub async fn start_billing(&mut self) -> Channel {
        let database = TestDatabase::create().await;
        let (grpc, metrics, addr, metrics_addr) = listeners().await;
        let server = self.pki.server("billing").expect("billing certificate");
        let config = koprik_billing::BillingConfig {
            grpc: GrpcServerConfig { listen: addr, tls: self.pki.server_tls(&server) },
            metrics: MetricsConfig { listen: metrics_addr },
            database: database.config(),
            kafka: self.broker.kafka_config(),
            outbox: koprik_billing::config::OutboxConfig { poll_interval: Duration::from_millis(100), batch_size: 100 },
            invoicing: koprik_billing::config::InvoicingConfig {
                grace: Duration::from_secs(365 * 24 * 3600),
                interval: Duration::from_millis(200),
            },
            ..koprik_billing::BillingConfig::default()
        };
        let running = spawn(|s| koprik_billing::run(config, koprik_billing::Listeners { grpc, metrics }, s));
        self.billing_service = Some((running, database));
        self.billing_addr = Some(addr);
        self.channel_as(addr, demo_pki::OPERATOR).await
    }

    /// Starts the Open Data Portal on its own fresh database and version store, on the sandbox's broker (its own
    /// data sets off); returns a channel to its gRPC API as the operator (other roles: [`Sandbox::channel_as`]
    /// with [`Sandbox::opendata_addr`]).
    pub async fn start_opendata(&mut self) -> Channel {
        let database = TestDatabase::create().await;
        let store = tempfile::tempdir().expect("a version store");
        let (grpc, metrics, addr, metrics_addr) = listeners().await;
        let http = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let server = self.pki.server("opendata").expect("opendata certificate");
        let defaults = koprik_opendata::OpendataConfig::default();
        let mut config = koprik_opendata::OpendataConfig {
            grpc: GrpcServerConfig { listen: addr, tls: self.pki.server_tls(&server) },
            metrics: MetricsConfig { listen: metrics_addr },
            database: database.config(),
            kafka: self.broker.kafka_config(),
            storage: koprik_opendata::config::StorageConfig {
                dir: store.path().to_owned(),
                ..defaults.storage.clone()
            },
            platform: koprik_opendata::config::PlatformConfig { enabled: false, ..defaults.platform.clone() },
            ..defaults
        };
        config.http.listen = http.local_addr().expect("bound");
        config.http.public_url = format!("http://{}", config.http.listen);
        let running =
            spawn(|s| koprik_opendata::run_with_http(config, koprik_opendata::Listeners { grpc, metrics }, http, s));
        self.opendata_service = Some((running, database, store));
        self.opendata_addr = Some(addr);
        self.channel_as(addr, demo_pki::OPERATOR).await
    }

    /// Stops every service cleanly; a service that fails to stop fails the test.
    pub async fn stop(mut self) {
        if let Some((billing, _database)) = self.billing_service.take() {
            billing.stop().await;
        }
        if let Some((opendata, _database, _store)) = self.opendata_service.take() {
            opendata.stop().await;
        }
        let gateways = std::mem::take(&mut self.more_gateways).into_iter().map(Some);
        for service in gateways
            .chain([self.gateway_service.take(), self.adapter_service.take(), self.registry_service.take()])
            .flatten()
        {
            service.stop().await;
        }
    }
}

/// Signs requests of one consumer as its officer, from any task ([`Sandbox::request_signer`]).
#[derive(Clone)]
pub struct RequestSigner {
    officer: std::sync::Arc<koprik_cli::officer::Officer>,
    consumer: SubsystemId,
    purpose: koprik_cli::officer::Purpose,
    sequence: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl RequestSigner {
    /// `request` prepared and signed now, with an applicant request reference of its own, so that no two requests
    /// it signs are the same signed request even when signed in the same instant.
    pub fn sign(&self, request: CallRequest) -> CallRequest {
        let number = self.sequence.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let purpose = koprik_cli::officer::Purpose {
            applicant_request_ref: format!("{}-{number}", self.purpose.applicant_request_ref),
            ..self.purpose.clone()
        };
        self.officer.prepare(request, &self.consumer, &purpose).expect("prepared")
    }
}

/// A gateway replica in a runtime of its own ([`Sandbox::start_killable_gateway`]).
pub struct KillableGateway {
    runtime: Option<tokio::runtime::Runtime>,
    /// Its gRPC address.
    pub addr: SocketAddr,
}

impl KillableGateway {
    /// Stops the replica at once, like `kill -9`: its runtime is shut down without waiting, so every task (calls,
    /// feeds, sweep, servers) is dropped wherever it is; nothing it held only in memory survives.
    pub fn kill(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for KillableGateway {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `listener` as a tokio listener of the current runtime.
fn tokio_listener(listener: std::net::TcpListener) -> TcpListener {
    listener.set_nonblocking(true).expect("non-blocking");
    TcpListener::from_std(listener).expect("a tokio listener")
}

/// A unique suffix for file names.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The sandbox gateway's instance name (and audit chain id).
pub const GATEWAY_INSTANCE: &str = "gateway-test";

/// Starts a gateway replica named `instance` on `database`, serving mTLS on `grpc` with a certificate of `pki`, with
/// its configuration adjusted by `tune`; returns it with its gRPC and metrics addresses.
async fn start_gateway(
    kafka: &koprik_kafka::KafkaConfig,
    database: &TestDatabase,
    instance: &str,
    grpc: TcpListener,
    pki: &DevPki,
    tune: impl FnOnce(&mut GatewayConfig),
) -> (Running, SocketAddr, SocketAddr) {
    let metrics = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let (gateway_addr, metrics_addr) = (grpc.local_addr().expect("bound"), metrics.local_addr().expect("bound"));
    let server = pki.server("gateway").expect("gateway certificate");
    let mut config = GatewayConfig {
        instance: instance.into(),
        call_timeout: CALL_TIMEOUT,
        grpc: GrpcServerConfig { listen: gateway_addr, tls: pki.server_tls(&server) },
        metrics: MetricsConfig { listen: metrics_addr },
        kafka: kafka.clone(),
        database: database.config(),
        ..GatewayConfig::default()
    };
    tune(&mut config);
    let running = spawn(|s| koprik_gateway::run(config, koprik_gateway::Listeners { grpc, metrics }, s));
    (running, gateway_addr, metrics_addr)
}

/// A gateway client presenting the demo consumer's client certificate.
async fn demo_consumer_client(pki: &DevPki, gateway_addr: SocketAddr) -> ExchangeClient<Channel> {
    let files = pki.client(&demo_pki::consumer(demo::CONSUMER)).expect("client certificate");
    ExchangeClient::new(tls_channel(gateway_addr, &pki.client_tls(Some(&files))).await)
}

/// Starts the demo provider's adapter in front of `backend`, signing with the adapter key in `key_dir`, and waits
/// until it serves.
async fn start_adapter(
    kafka: &koprik_kafka::KafkaConfig,
    key_dir: &std::path::Path,
    backend: BackendConfig,
) -> Running {
    let (grpc, metrics, grpc_addr, metrics_addr) = listeners().await;
    let config = AdapterConfig {
        provider: demo::PROVIDER.into(),
        backend,
        grpc: GrpcServerConfig::plain(grpc_addr),
        metrics: MetricsConfig { listen: metrics_addr },
        kafka: kafka.clone(),
        signing: koprik_adapter::SigningConfig {
            key_file: demo::DemoKeys::adapter_file(key_dir),
            key_id: demo::ADAPTER_KEY_ID.into(),
        },
        ..AdapterConfig::default()
    };
    let running = spawn(|s| koprik_adapter::run(config, koprik_adapter::Listeners { grpc, metrics }, s));
    channel(grpc_addr).await;
    running
}

fn spawn<F, Fut>(start: F) -> Running
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(start(shutdown.clone()));
    Running { shutdown, task }
}

/// Calls the gateway through `client` (from [`Sandbox::client_for`]: the caller is the subsystem its certificate
/// names) with a signed `request` (from [`Sandbox::signed`]); for concurrent callers, each with a clone.
pub async fn call_as(client: &mut ExchangeClient<Channel>, request: CallRequest) -> Result<CallResponse, Status> {
    client.call(Request::new(request)).await.map(|r| r.into_inner())
}

/// A request for the demo person, asking for `items`.
pub fn person_request(pinfl: &str, items: &[&str]) -> CallRequest {
    let service: ServiceId = demo::SERVICE.parse().expect("demo service id");
    CallRequest {
        service: Some((&service).into()),
        applicants: vec![ApplicantId { kind: Some(Kind::Pinfl(pinfl.into())) }],
        data_items: items.iter().map(|s| (*s).to_owned()).collect(),
        payload: Vec::new(),
        content_type: String::new(),
        ..Default::default()
    }
}

/// The `koprik-request-id` metadata of an error.
pub fn request_id_of(status: &Status) -> String {
    status
        .metadata()
        .get("koprik-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("the status carries no koprik-request-id: {status:?}"))
        .to_owned()
}

/// The official notice suspension and termination requests carry (A1 §26-27).
pub fn notice() -> OfficialNotice {
    OfficialNotice {
        number: "01-12/345".into(),
        issued_on: "2026-11-20".into(),
        signed_by: "A. Karimov, director".into(),
    }
}
