//! `koprik up`: the embedded default. Starts Tansu with SQLite storage under the var directory, creates the
//! topics, makes a development CA and certificates under `<var-dir>/pki/`, starts the registry, the demo adapter,
//! the gateway, billing and the Open Data Portal as separate processes with SQLite databases, every gRPC server
//! over TLS asking for client certificates of that CA (mTLS; a caller without one reaches only the health checks),
//! and then, as the platform would be run:
//!
//! - the registry registers the operator's certificate at start-up (`KOPRIK_BOOTSTRAP_OPERATOR`), and every
//!   operator step of the demo is taken with it;
//! - the operator registers a certificate for each role the demo uses ([`crate::demo_pki`]), and each step of the
//!   demo is taken with the certificate of the role that may take it;
//! - one demo exchange is made with the tax inspection's consumer certificate and printed.
//!
//! Then everything keeps running until Ctrl-C, and the operator's `export` lines and every role's certificate are
//! printed.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use koprik_kafka::topics::{
    exchange_replies, exchange_requests, TopicSpec, BILLING_CONTRACTS, EXCHANGE_AUDIT, REGISTRY_EVENTS,
};
use koprik_kafka::KafkaConfig;
use koprik_proto::events::AuditRecord;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Status};
use koprik_proto::tonic_health::pb::health_client::HealthClient;
use koprik_proto::tonic_health::pb::HealthCheckRequest;
use koprik_runtime::dev_pki::{CertFiles, DevPki};
use koprik_runtime::tls::{ClientTlsSettings, ServerTlsConfig};

use crate::commands::call::{self, CallArgs};
use crate::demo;
use crate::demo_pki;
use crate::processes::Process;

/// Where things run.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// Directory for the broker's and services' data and logs.
    #[arg(long, default_value = "var")]
    pub var_dir: PathBuf,
    /// Kafka port of the broker.
    #[arg(long, default_value_t = 9092)]
    pub kafka_port: u16,
    /// First of the ports for the services: registry, gateway, adapter, billing and opendata gRPC are this and
    /// the next four; their metrics endpoints are 100 above (default 50151-50155), the registry's public HTTP
    /// export 200 above (default 50251) and the Open Data Portal's public HTTP API 200 above opendata's gRPC
    /// (default 50255).
    #[arg(long, default_value_t = 50051, value_parser = clap::value_parser!(u16).range(1024..=65000))]
    pub base_port: u16,
    /// Stop everything after the demo exchange instead of running until Ctrl-C.
    #[arg(long)]
    pub exit_after_demo: bool,
}

/// The gateway instance name of the embedded stack.
const GATEWAY_INSTANCE: &str = "gateway-1";

struct Endpoints {
    kafka: String,
    registry: SocketAddr,
    gateway: SocketAddr,
    adapter: SocketAddr,
    billing: SocketAddr,
    opendata: SocketAddr,
}

impl Endpoints {
    fn new(args: &UpArgs) -> Self {
        let addr = |offset: u16| SocketAddr::from(([127, 0, 0, 1], args.base_port + offset));
        Self {
            kafka: format!("127.0.0.1:{}", args.kafka_port),
            registry: addr(0),
            gateway: addr(1),
            adapter: addr(2),
            billing: addr(3),
            opendata: addr(4),
        }
    }

    fn metrics(addr: SocketAddr) -> SocketAddr {
        SocketAddr::new(addr.ip(), addr.port() + 100)
    }

    /// The registry's public HTTP export.
    fn public_http(&self) -> SocketAddr {
        SocketAddr::new(self.registry.ip(), self.registry.port() + 200)
    }

    /// The Open Data Portal's public HTTP API.
    fn portal_http(&self) -> SocketAddr {
        SocketAddr::new(self.opendata.ip(), self.opendata.port() + 200)
    }
}

/// A service binary next to the `koprik` binary (cargo builds them all into the same directory).
fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(name);
    anyhow::ensure!(path.exists(), "{} is missing: build the workspace first (make run does)", path.display());
    Ok(path)
}

/// Environment shared by every service process: the broker, the listeners and the gRPC server's TLS, always with
/// the development CA as the client CA (a caller without a certificate completes the handshake and reaches the
/// health checks; every other method refuses it).
fn common_env(kafka: &str, grpc: SocketAddr, tls: &ServerTlsConfig) -> Vec<(&'static str, String)> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    vec![
        ("KOPRIK_KAFKA__BOOTSTRAP_SERVERS", kafka.to_owned()),
        ("KOPRIK_GRPC__LISTEN", grpc.to_string()),
        ("KOPRIK_METRICS__LISTEN", Endpoints::metrics(grpc).to_string()),
        ("KOPRIK_GRPC__TLS__ENABLED", tls.enabled.to_string()),
        ("KOPRIK_GRPC__TLS__CERT", path(&tls.cert)),
        ("KOPRIK_GRPC__TLS__KEY", path(&tls.key)),
        ("KOPRIK_GRPC__TLS__CLIENT_CA", path(&tls.client_ca)),
        ("KOPRIK_GRPC__TLS__CLIENT_AUTH_OPTIONAL", tls.client_auth_optional.to_string()),
    ]
}

/// The certificate files of the demo identity `identity` (one of [`demo_pki`]'s), issued on first use.
fn role_files(pki: &DevPki, identity: &str) -> anyhow::Result<CertFiles> {
    Ok(pki.client(&demo_pki::identity(identity))?)
}

/// A channel to the service at `addr` presenting the certificate `files`.
async fn channel_as(pki: &DevPki, addr: SocketAddr, files: &CertFiles) -> anyhow::Result<Channel> {
    crate::commands::connect(&format!("https://{addr}"), &pki.client_tls(Some(files))).await
}

/// How long a service may take to learn a certificate registered a moment ago (from `registry.events`).
const LEARNING: Duration = Duration::from_secs(30);

/// Runs `step` until it succeeds, trying again for up to [`LEARNING`] while it is refused as UNAUTHENTICATED (the
/// service does not know the certificate yet) or UNAVAILABLE (it has not caught up with the registry yet): on a
/// first start a certificate registered a moment ago may take a moment to reach every service.
async fn once_known<T, F, Fut>(what: &str, mut step: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let start = Instant::now();
    loop {
        match step().await {
            Ok(value) => return Ok(value),
            Err(e) if not_known_yet(&e) && start.elapsed() < LEARNING => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e.context(what.to_owned())),
        }
    }
}

/// Whether `error` is a refusal that a service's catching up with the registry may lift.
fn not_known_yet(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<Status>().is_some_and(|s| matches!(s.code(), Code::Unauthenticated | Code::Unavailable))
    })
}

/// Runs the embedded stack.
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let logs = args.var_dir.join("log");
    std::fs::create_dir_all(&logs)?;
    let endpoints = Endpoints::new(&args);
    // Absolute, because the services run with their own working directory semantics and the paths are printed.
    let pki_dir = std::path::absolute(args.var_dir.join("pki"))?;
    let pki = DevPki::open(&pki_dir)?;
    let mut running: Vec<Process> = Vec::new();
    let result = start_and_demo(&args, &endpoints, &pki, &logs, &mut running).await;
    if let Ok(public_service) = result {
        if !args.exit_after_demo {
            match print_endpoints(&endpoints, &args.var_dir, &pki, public_service) {
                Ok(()) => wait_for_stop(&mut running).await,
                Err(e) => eprintln!("error: {e:#}"),
            }
        }
    }
    println!("stopping...");
    while let Some(process) = running.pop() {
        process.terminate(Duration::from_secs(10)).await;
    }
    result.map(|_| ())
}

async fn start_and_demo(
    args: &UpArgs,
    endpoints: &Endpoints,
    pki: &DevPki,
    logs: &Path,
    running: &mut Vec<Process>,
) -> anyhow::Result<u64> {
    let kafka_url = format!("tcp://{}", endpoints.kafka);
    // Tansu reads the path after "sqlite://" with its first '/' taken as the separator, so an absolute path needs
    // one more.
    let path = args.var_dir.join("kafka.db");
    let storage = if path.is_absolute() {
        format!("sqlite:///{}", path.display())
    } else {
        format!("sqlite://{}", path.display())
    };
    let broker = Process::spawn(
        "tansu",
        &koprik_kafka::tansu::binary(),
        &[
            "broker",
            "--listener-url",
            &kafka_url,
            "--advertised-listener-url",
            &kafka_url,
            "--storage-engine",
            &storage,
        ],
        &[],
        &logs.join("tansu.log"),
    )
    .map_err(|e| anyhow::anyhow!("{e}; {}", koprik_kafka::tansu::INSTALL_HINT))?;
    running.push(broker);
    wait_for_port(&endpoints.kafka, running).await?;
    println!("broker     Tansu on {} (storage {storage})", endpoints.kafka);

    let kafka = KafkaConfig::with_brokers(&endpoints.kafka);
    let provider: koprik_proto::ids::MemberId = demo::PROVIDER.parse()?;
    koprik_kafka::admin::ensure_topics(
        &kafka,
        &[
            TopicSpec::compacted(REGISTRY_EVENTS),
            TopicSpec::compacted(BILLING_CONTRACTS),
            TopicSpec::retained(EXCHANGE_AUDIT, koprik_kafka::topics::AUDIT_RETENTION),
            TopicSpec::retained(koprik_kafka::topics::EXCHANGE_USAGE, koprik_kafka::topics::USAGE_RETENTION),
            TopicSpec::retained(exchange_replies(GATEWAY_INSTANCE), koprik_kafka::topics::REPLY_RETENTION),
            TopicSpec::retained(exchange_requests(provider.member_code()), koprik_kafka::topics::REQUEST_RETENTION),
        ],
    )
    .await?;

    let tls = |name: &str| -> anyhow::Result<ServerTlsConfig> { Ok(pki.server_tls(&pki.server(name)?)) };
    // Health checks need no certificate.
    let health_tls = pki.client_tls(None);
    let operator = role_files(pki, demo_pki::OPERATOR)?;

    let database = format!("sqlite://{}", args.var_dir.join("registry.db").display());
    let mut env = common_env(&endpoints.kafka, endpoints.registry, &tls("registry")?);
    env.push(("KOPRIK_DATABASE__URL", database));
    env.push(("KOPRIK_PUBLIC_HTTP__LISTEN", endpoints.public_http().to_string()));
    // Someone must be able to register the first certificate: the registry registers the operator's at start-up.
    env.push(("KOPRIK_BOOTSTRAP_OPERATOR", operator.cert.display().to_string()));
    start_service("registry", &sibling("koprik-registry")?, &env, logs, endpoints.registry, &health_tls, running)
        .await?;
    let as_operator = channel_as(pki, endpoints.registry, &operator).await?;
    let grant = once_known("seeding the demo registry data as the operator", || {
        let mut registry = RegistryClient::new(as_operator.clone());
        async move { Ok(demo::seed(&mut registry).await?) }
    })
    .await?;
    println!("demo data  {} may call {} (grant {})", demo::CONSUMER, demo::SERVICE, grant.id);
    println!("operator   {} ({}), registered by the registry at start-up", demo_pki::OPERATOR, operator.cert.display());
    for (identity, _) in demo_pki::enrolled() {
        let files = demo_pki::enrol(pki, as_operator.clone(), &identity).await?;
        println!("client     {identity}: certificate {} registered by the operator", files.serial()?);
    }
    let keys_dir = keys_dir(&args.var_dir);
    let keys = demo::DemoKeys::load_or_create(&keys_dir)?;
    let as_editor = channel_as(pki, endpoints.registry, &role_files(pki, demo_pki::REGISTRY_EDITOR)?).await?;
    let as_reviewer = channel_as(pki, endpoints.registry, &role_files(pki, demo_pki::REGISTRY_REVIEWER)?).await?;
    let public_service = once_known("seeding the demo keys and public service", || {
        demo::seed_exchange(as_operator.clone(), as_editor.clone(), as_reviewer.clone(), &keys)
    })
    .await?;
    println!(
        "signing    officer key {} and adapter key {} in {}/; public service No. {public_service} (submitted by {}, \
         registered by {})",
        demo::OFFICER_KEY_ID,
        demo::ADAPTER_KEY_ID,
        keys_dir.display(),
        demo_pki::REGISTRY_EDITOR,
        demo_pki::REGISTRY_REVIEWER
    );

    let mut env = common_env(&endpoints.kafka, endpoints.adapter, &tls("adapter")?);
    env.push(("KOPRIK_PROVIDER", demo::PROVIDER.to_owned()));
    env.push(("KOPRIK_SIGNING__KEY_FILE", demo::DemoKeys::adapter_file(&keys_dir).display().to_string()));
    env.push(("KOPRIK_SIGNING__KEY_ID", demo::ADAPTER_KEY_ID.to_owned()));
    start_service("adapter", &sibling("koprik-adapter")?, &env, logs, endpoints.adapter, &health_tls, running).await?;

    let mut env = common_env(&endpoints.kafka, endpoints.gateway, &tls("gateway")?);
    env.push(("KOPRIK_INSTANCE", GATEWAY_INSTANCE.to_owned()));
    env.push(("KOPRIK_DATABASE__URL", format!("sqlite://{}", args.var_dir.join("gateway.db").display())));
    // A demo: deadline escalation and the quota figures on /metrics every few seconds, not every half minute.
    env.push(("KOPRIK_ASYNCHRONOUS__SWEEP_INTERVAL", "5s".to_owned()));
    start_service("gateway", &sibling("koprik-gateway")?, &env, logs, endpoints.gateway, &health_tls, running).await?;

    let mut env = common_env(&endpoints.kafka, endpoints.billing, &tls("billing")?);
    env.push(("KOPRIK_DATABASE__URL", format!("sqlite://{}", args.var_dir.join("billing.db").display())));
    // A demo: invoices of ended months and the ledger's figures on /metrics refresh every few seconds, not minutes.
    env.push(("KOPRIK_INVOICING__INTERVAL", "5s".to_owned()));
    start_service("billing", &sibling("koprik-billing")?, &env, logs, endpoints.billing, &health_tls, running).await?;
    let billing = channel_as(pki, endpoints.billing, &operator).await?;
    once_known("seeding the demo billing data as the operator", || crate::demo_billing::seed(billing.clone())).await?;
    println!("billing    BCA schedule and contract {} of {} (graduated tiers)", demo::DDP_CONTRACT, demo::DDP_CONSUMER);

    let portal = endpoints.portal_http();
    let mut env = common_env(&endpoints.kafka, endpoints.opendata, &tls("opendata")?);
    env.push(("KOPRIK_DATABASE__URL", format!("sqlite://{}", args.var_dir.join("opendata.db").display())));
    env.push(("KOPRIK_STORAGE__DIR", args.var_dir.join("opendata").display().to_string()));
    env.push(("KOPRIK_HTTP__LISTEN", portal.to_string()));
    env.push(("KOPRIK_HTTP__PUBLIC_URL", format!("http://{portal}")));
    env.push(("KOPRIK_PLATFORM__REPUBLISH_INTERVAL", "2s".to_owned()));
    start_service("opendata", &sibling("koprik-opendata")?, &env, logs, endpoints.opendata, &health_tls, running)
        .await?;
    let opendata_operator = channel_as(pki, endpoints.opendata, &operator).await?;
    let supplier = channel_as(pki, endpoints.opendata, &role_files(pki, demo_pki::SUPPLIER)?).await?;
    let published = once_known("seeding the demo open data", || {
        crate::demo_opendata::seed(opendata_operator.clone(), supplier.clone())
    })
    .await?;
    println!(
        "opendata   {published} published by {} ({}); CKAN API http://{portal}/api/3/action/",
        crate::demo_opendata::SUPPLIER,
        demo_pki::SUPPLIER
    );

    demo_exchange(endpoints, pki, &kafka, &demo_call(&keys_dir, public_service)).await?;
    Ok(public_service)
}

/// Where `koprik up` keeps the demo officer's and adapter's private keys.
fn keys_dir(var_dir: &Path) -> PathBuf {
    var_dir.join("keys")
}

/// The demo call: the tax inspection's officer asks the civil registry for a person, for the demo public service.
fn demo_call(keys_dir: &Path, public_service: u64) -> CallArgs {
    CallArgs {
        service: demo::SERVICE.into(),
        pinfl: Some(demo::DEMO_PINFL.into()),
        stir: None,
        items: vec!["surname".into(), "given_name".into(), "patronymic".into(), "birth_date".into(), "address".into()],
        timeout_secs: 5,
        public_service,
        applicant_request: demo::APPLICANT_REQUEST_REF.into(),
        officer_key: demo::DemoKeys::officer_file(keys_dir),
        key_id: demo::OFFICER_KEY_ID.into(),
        officer_name: demo::OFFICER_NAME.into(),
        officer_position: demo::OFFICER_POSITION.into(),
    }
}

/// Starts a service process and waits until its gRPC health check answers SERVING.
async fn start_service(
    name: &str,
    binary: &Path,
    env: &[(&str, String)],
    logs: &Path,
    grpc: SocketAddr,
    tls: &ClientTlsSettings,
    running: &mut Vec<Process>,
) -> anyhow::Result<()> {
    running.push(Process::spawn(name, binary, &[], env, &logs.join(format!("{name}.log")))?);
    let start = Instant::now();
    loop {
        if let Some(process) = running.last_mut() {
            if let Some(status) = process.exited() {
                return Err(process.died(status));
            }
        }
        if healthy(grpc, tls).await {
            println!("{name:<10} serving on {grpc} (log {})", logs.join(format!("{name}.log")).display());
            return Ok(());
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(60),
            "{name} did not become healthy on {grpc} within 60 s; see {}",
            logs.join(format!("{name}.log")).display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// True when the gRPC health check at `grpc` (TLS, no client certificate) answers SERVING within two seconds.
async fn healthy(grpc: SocketAddr, tls: &ClientTlsSettings) -> bool {
    let check = async {
        let Ok(channel) = tls.endpoint(&format!("https://{grpc}")) else {
            return false;
        };
        let Ok(channel) = channel.connect().await else {
            return false;
        };
        let check = HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await;
        check.is_ok_and(|r| r.get_ref().status == 1)
    };
    tokio::time::timeout(Duration::from_secs(2), check).await.unwrap_or(false)
}

async fn wait_for_port(addr: &str, running: &mut [Process]) -> anyhow::Result<()> {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if let Some(process) = running.last_mut() {
            if let Some(status) = process.exited() {
                return Err(process.died(status));
            }
        }
        anyhow::ensure!(start.elapsed() < Duration::from_secs(30), "nothing listens on {addr} after 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// The demo: the tax inspection asks the civil registry for a person, through the gateway.
async fn demo_exchange(
    endpoints: &Endpoints,
    pki: &DevPki,
    kafka: &KafkaConfig,
    args: &CallArgs,
) -> anyhow::Result<()> {
    println!();
    println!("demo exchange");
    println!("  consumer   {} (its client certificate)", demo::CONSUMER);
    println!("  service    {}", args.service);
    println!("  applicant  pinfl {}", demo::DEMO_PINFL);
    println!("  items      {}", args.items.join(", "));
    println!("  signed by  {} ({}), key {}", args.officer_name, args.officer_position, args.key_id);
    println!("  for        public service No. {}, applicant request {}", args.public_service, args.applicant_request);
    let files = pki.client(&demo_pki::consumer(demo::CONSUMER))?;
    let channel = channel_as(pki, endpoints.gateway, &files).await?;
    let start = Instant::now();
    let response = loop {
        // Signed afresh on each try: the signing time is part of what is signed.
        let request = args.signed_request(Some(&files.cert))?;
        match call::call(channel.clone(), request, args.timeout()).await? {
            Ok(response) => break response,
            // The gateway learns the demo grant and certificate from registry.events; on a first start that may
            // take a moment.
            Err(_) if start.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => {
                anyhow::bail!("the demo exchange failed: {}", call::render_status(&status))
            }
        }
    };
    println!("answer");
    for line in call::render(&response).lines() {
        println!("  {line}");
    }
    let audit = koprik_kafka::consumer::tail(kafka, "koprik-up", EXCHANGE_AUDIT).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let Ok(record) = tokio::time::timeout(Duration::from_secs(1), audit.consumer.recv()).await else {
            continue;
        };
        if let Ok(received) = koprik_kafka::decode::<AuditRecord>(&record?) {
            if received.value.request_id == response.request_id {
                println!("audit (exchange.audit)");
                println!("  {}", crate::show::audit(&received.value));
                break;
            }
        }
    }
    Ok(())
}

fn print_endpoints(endpoints: &Endpoints, var_dir: &Path, pki: &DevPki, public_service: u64) -> anyhow::Result<()> {
    let operator = role_files(pki, demo_pki::OPERATOR)?;
    let consumer = pki.client(&demo_pki::consumer(demo::CONSUMER))?;
    let auditor = role_files(pki, demo_pki::AUDITOR)?;
    println!();
    println!("Ko'prik is running (Ctrl-C stops it); every gRPC API takes client certificates of the development CA:");
    println!("  kafka (Tansu)        {}", endpoints.kafka);
    println!(
        "  registry gRPC        https://{}    metrics http://{}/metrics",
        endpoints.registry,
        Endpoints::metrics(endpoints.registry)
    );
    println!("  public registry      http://{}/public/v1/public-services.json", endpoints.public_http());
    println!(
        "  gateway gRPC         https://{}    metrics http://{}/metrics",
        endpoints.gateway,
        Endpoints::metrics(endpoints.gateway)
    );
    println!(
        "  adapter (health)     https://{}    metrics http://{}/metrics",
        endpoints.adapter,
        Endpoints::metrics(endpoints.adapter)
    );
    println!(
        "  billing gRPC         https://{}    metrics http://{}/metrics",
        endpoints.billing,
        Endpoints::metrics(endpoints.billing)
    );
    println!(
        "  opendata gRPC        https://{}    metrics http://{}/metrics",
        endpoints.opendata,
        Endpoints::metrics(endpoints.opendata)
    );
    println!("  open data (CKAN)     http://{}/api/3/action/package_list", endpoints.portal_http());
    println!(
        "  development CA       {} (key beside it: koprik cert issue --ca-dir {})",
        pki.ca_cert().display(),
        pki.dir().display()
    );
    println!("  data and logs        {}/", var_dir.display());
    println!("certificates, one per role (crates/authz/POLICY.md says what each may do), each registered:");
    let mut all = vec![(demo_pki::identity(demo_pki::OPERATOR), "every operator step; the CLI's default below")];
    all.extend(demo_pki::enrolled());
    for (identity, purpose) in &all {
        println!("  {:<52} {}", identity.to_string(), purpose);
        println!("  {:<52} {}", "", pki.client(identity)?.cert.display());
    }
    let call = demo_call(&keys_dir(var_dir), public_service);
    println!("the CLI connects with TLS and acts as the operator ({}) with:", demo_pki::OPERATOR);
    println!("  export KOPRIK_REGISTRY_URL=https://{}", endpoints.registry);
    println!("  export KOPRIK_GATEWAY_URL=https://{}", endpoints.gateway);
    println!("  export KOPRIK_TLS_CA={}", pki.ca_cert().display());
    println!("  export KOPRIK_TLS_CERT={}", operator.cert.display());
    println!("  export KOPRIK_TLS_KEY={}", operator.key.display());
    println!(
        "calls through the gateway are made as a consumer subsystem, with its certificate, by an officer who signs:"
    );
    println!("  export KOPRIK_OFFICER_KEY={}", call.officer_key.display());
    println!("  export KOPRIK_OFFICER_KEY_ID={}", call.key_id);
    println!("  export KOPRIK_OFFICER_NAME={:?}", call.officer_name);
    println!("  export KOPRIK_OFFICER_POSITION={:?}", call.officer_position);
    println!("try:");
    println!(
        "  ./target/debug/koprik call --tls-cert {} --tls-key {} \\",
        consumer.cert.display(),
        consumer.key.display()
    );
    println!(
        "      --service {} --pinfl 40211921800143 --public-service {} --applicant-request {}",
        demo::SERVICE,
        call.public_service,
        call.applicant_request
    );
    println!("  ./target/debug/koprik cert list");
    println!(
        "  ./target/debug/koprik --tls-cert {} --tls-key {} grant-list    (an auditor reads; grant-create is refused)",
        auditor.cert.display(),
        auditor.key.display()
    );
    println!("  ./target/debug/koprik audit tail");
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM, or for a child to exit on its own (then everything stops).
async fn wait_for_stop(running: &mut [Process]) {
    let signal = koprik_runtime::shutdown::signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            () = &mut signal => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        for process in running.iter_mut() {
            if let Some(status) = process.exited() {
                eprintln!("{}", process.died(status));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_that_catching_up_may_lift_are_tried_again() {
        let unknown = anyhow::Error::new(Status::unauthenticated("certificate 1f is not registered"));
        assert!(not_known_yet(&unknown.context("seeding")));
        assert!(not_known_yet(&anyhow::Error::new(Status::unavailable("the directory is stale"))));
        assert!(!not_known_yet(&anyhow::Error::new(Status::permission_denied("operator only"))));
        assert!(!not_known_yet(&anyhow::anyhow!("cannot reach https://127.0.0.1:50051")));
    }

    #[tokio::test]
    async fn a_step_refused_for_good_is_not_tried_again() {
        let mut tries = 0;
        let result: anyhow::Result<()> = once_known("a step", || {
            tries += 1;
            async { Err(anyhow::Error::new(Status::permission_denied("no"))) }
        })
        .await;
        let error = result.expect_err("refused");
        assert_eq!(tries, 1);
        assert_eq!(error.to_string(), "a step");
    }
}
