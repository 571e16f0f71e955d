//! The end-to-end sandbox: a Tansu broker, a database, and the registry, gateway and demo adapter running
//! in-process on port 0, seeded with the same demo data as `make run`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use koprik_adapter::{AdapterConfig, BackendConfig};
use koprik_gateway::GatewayConfig;
use koprik_kafka::topics::EXCHANGE_AUDIT;
use koprik_proto::common::{applicant_id::Kind, ApplicantId};
use koprik_proto::events::AuditRecord;
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::exchange::{CallRequest, CallResponse};
use koprik_proto::ids::ServiceId;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::OfficialNotice;
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Request, Status};
use koprik_registry::RegistryConfig;
use koprik_runtime::config::{GrpcServerConfig, MetricsConfig};
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
    let start = Instant::now();
    loop {
        match Channel::from_shared(format!("http://{addr}")).expect("valid URI").connect().await {
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
    /// A registry client.
    pub registry: RegistryClient<Channel>,
    /// A gateway client.
    pub gateway: ExchangeClient<Channel>,
    /// The gateway's `/metrics` address.
    pub gateway_metrics: SocketAddr,
    registry_service: Option<Running>,
    gateway_service: Option<Running>,
    adapter_service: Option<Running>,
    /// More gateway replicas (sharing the broker and the gateway database), from [`Sandbox::start_gateway`].
    more_gateways: Vec<Running>,
    _database: TestDatabase,
    gateway_database: TestDatabase,
}

impl Sandbox {
    /// Starts the broker, the registry (on a fresh database), the demo adapter and the gateway, and seeds the
    /// demo data.
    pub async fn start() -> Self {
        koprik_testkit::init_logs();
        let broker = Broker::start().await;
        let database = TestDatabase::create().await;
        let kafka = broker.kafka_config();

        let (grpc, metrics, registry_addr, metrics_addr) = listeners().await;
        let config = RegistryConfig {
            grpc: GrpcServerConfig::plain(registry_addr),
            metrics: MetricsConfig { listen: metrics_addr },
            database: database.config(),
            kafka: kafka.clone(),
            ..RegistryConfig::default()
        };
        let public_http = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let bound = koprik_registry::RegistryListeners { grpc, metrics, public_http };
        let registry_service = spawn(|s| koprik_registry::run(config, bound, s));
        let mut registry = RegistryClient::new(channel(registry_addr).await);
        demo::seed(&mut registry).await.expect("demo data seeded");

        let adapter_service = start_adapter(&kafka).await;
        let gateway_database = TestDatabase::create().await;
        let (gateway_service, gateway, gateway_metrics) =
            start_gateway(&kafka, &gateway_database, "gateway-test", |_| {}).await;
        Self {
            broker,
            registry,
            gateway,
            gateway_metrics,
            registry_service: Some(registry_service),
            gateway_service: Some(gateway_service),
            adapter_service: Some(adapter_service),
            more_gateways: Vec::new(),
            _database: database,
            gateway_database,
        }
    }

    /// Starts another gateway replica named `instance`, sharing the broker and the gateway database, with its
    /// configuration adjusted by `tune`; returns a client and its metrics address.
    pub async fn start_gateway(
        &mut self,
        instance: &str,
        tune: impl FnOnce(&mut GatewayConfig),
    ) -> (ExchangeClient<Channel>, SocketAddr) {
        let (running, client, metrics) =
            start_gateway(&self.broker.kafka_config(), &self.gateway_database, instance, tune).await;
        self.more_gateways.push(running);
        (client, metrics)
    }

    /// Starts the demo civil-registry adapter again.
    pub async fn start_adapter(&mut self) {
        self.adapter_service = Some(start_adapter(&self.broker.kafka_config()).await);
    }

    /// Stops the adapter, as when the provider's side goes down.
    pub async fn stop_adapter(&mut self) {
        if let Some(adapter) = self.adapter_service.take() {
            adapter.stop().await;
        }
    }

    /// Calls the gateway as `consumer`.
    pub async fn call(&mut self, consumer: Option<&str>, request: CallRequest) -> Result<CallResponse, Status> {
        let mut request = Request::new(request);
        if let Some(consumer) = consumer {
            request.metadata_mut().insert("koprik-consumer", consumer.parse().expect("ASCII metadata"));
        }
        self.gateway.call(request).await.map(|r| r.into_inner())
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

    /// Stops every service cleanly; a service that fails to stop fails the test.
    pub async fn stop(mut self) {
        let gateways = std::mem::take(&mut self.more_gateways).into_iter().map(Some);
        for service in gateways
            .chain([self.gateway_service.take(), self.adapter_service.take(), self.registry_service.take()])
            .flatten()
        {
            service.stop().await;
        }
    }
}

/// Starts a gateway replica on `database` and waits until it serves.
async fn start_gateway(
    kafka: &koprik_kafka::KafkaConfig,
    database: &TestDatabase,
    instance: &str,
    tune: impl FnOnce(&mut GatewayConfig),
) -> (Running, ExchangeClient<Channel>, SocketAddr) {
    let (grpc, metrics, gateway_addr, metrics_addr) = listeners().await;
    let mut config = GatewayConfig {
        instance: instance.into(),
        call_timeout: CALL_TIMEOUT,
        grpc: GrpcServerConfig::plain(gateway_addr),
        metrics: MetricsConfig { listen: metrics_addr },
        kafka: kafka.clone(),
        database: database.config(),
        ..GatewayConfig::default()
    };
    tune(&mut config);
    let running = spawn(|s| koprik_gateway::run(config, koprik_gateway::Listeners { grpc, metrics }, s));
    (running, ExchangeClient::new(channel(gateway_addr).await), metrics_addr)
}

/// Starts the demo civil-registry adapter and waits until it serves.
async fn start_adapter(kafka: &koprik_kafka::KafkaConfig) -> Running {
    let (grpc, metrics, grpc_addr, metrics_addr) = listeners().await;
    let config = AdapterConfig {
        provider: demo::PROVIDER.into(),
        backend: BackendConfig::DemoCivilRegistry { fixture: None },
        grpc: GrpcServerConfig::plain(grpc_addr),
        metrics: MetricsConfig { listen: metrics_addr },
        kafka: kafka.clone(),
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
