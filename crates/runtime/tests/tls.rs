//! TLS is a configuration switch: with it off, plain gRPC works; with it on, only TLS clients that trust the
//! platform CA get through; with a client CA, only clients holding a certificate from it (mTLS).

use std::path::{Path, PathBuf};

use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic_health::pb::health_client::HealthClient;
use koprik_proto::tonic_health::pb::HealthCheckRequest;
use koprik_runtime::config::GrpcServerConfig;
use koprik_runtime::tls::{ClientTlsSettings, ServerTlsConfig};
use koprik_runtime::{grpc, CancellationToken};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::net::TcpListener;

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// A CA, a server certificate for `localhost` and a client certificate naming a subsystem, as PEM files.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.distinguished_name.push(DnType::CommonName, "Ko'prik test CA");
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf = |names: Vec<String>, common_name: &str, stem: &str| {
            let mut params = CertificateParams::new(names).expect("params");
            params.distinguished_name.push(DnType::CommonName, common_name);
            let key = KeyPair::generate().expect("key");
            let cert = params.signed_by(&key, &issuer).expect("certificate");
            std::fs::write(dir.path().join(format!("{stem}.pem")), cert.pem()).expect("write cert");
            std::fs::write(dir.path().join(format!("{stem}.key")), key.serialize_pem()).expect("write key");
        };
        leaf(vec!["localhost".into()], "localhost", "server");
        leaf(vec![], "UZ/GOV/200935935/tax-inspection", "client");
        std::fs::write(dir.path().join("ca.pem"), ca_cert.pem()).expect("write CA");
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

async fn serve(tls: ServerTlsConfig) -> (std::net::SocketAddr, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let addr = listener.local_addr().expect("addr");
    let config = GrpcServerConfig { listen: addr, tls };
    let metrics = koprik_runtime::metrics::Metrics::new("test");
    let (router, _health) =
        grpc::router_with_health(&config, &metrics, grpc::open_guard(&metrics)).expect("server configured");
    let shutdown = CancellationToken::new();
    tokio::spawn(grpc::serve(router, listener, Default::default(), shutdown.clone()));
    (addr, shutdown)
}

async fn health(channel: Result<Channel, String>) -> Result<(), String> {
    let channel = channel?;
    HealthClient::new(channel)
        .check(HealthCheckRequest { service: String::new() })
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn connect(settings: &ClientTlsSettings, uri: &str) -> Result<Channel, String> {
    settings.endpoint(uri).map_err(|e| e.to_string())?.connect().await.map_err(|e| e.to_string())
}

fn client(pki: &Pki, with_certificate: bool) -> ClientTlsSettings {
    ClientTlsSettings {
        enabled: true,
        ca: Some(pki.path("ca.pem")),
        cert: with_certificate.then(|| pki.path("client.pem")),
        key: with_certificate.then(|| pki.path("client.key")),
        domain: Some("localhost".into()),
    }
}

fn server_tls(pki: &Pki, client_ca: Option<&Path>) -> ServerTlsConfig {
    ServerTlsConfig {
        enabled: true,
        cert: Some(pki.path("server.pem")),
        key: Some(pki.path("server.key")),
        client_ca: client_ca.map(Path::to_path_buf),
        client_auth_optional: false,
    }
}

#[tokio::test]
async fn plain_grpc_when_tls_is_off() {
    let (addr, shutdown) = serve(ServerTlsConfig::default()).await;
    let plain = ClientTlsSettings::default();
    assert_eq!(health(connect(&plain, &format!("http://{addr}")).await).await, Ok(()));
    shutdown.cancel();
}

#[tokio::test]
async fn tls_server_accepts_only_clients_trusting_its_ca() {
    let pki = Pki::new();
    let (addr, shutdown) = serve(server_tls(&pki, None)).await;
    let uri = format!("https://{addr}");
    assert_eq!(health(connect(&client(&pki, false), &uri).await).await, Ok(()));

    let plain = ClientTlsSettings::default();
    assert!(health(connect(&plain, &format!("http://{addr}")).await).await.is_err(), "plain HTTP/2 refused");

    let other = Pki::new();
    assert!(
        health(connect(&client(&other, false), &uri).await).await.is_err(),
        "a server certificate from another CA is not trusted"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_platform_ca() {
    let pki = Pki::new();
    let (addr, shutdown) = serve(server_tls(&pki, Some(&pki.path("ca.pem")))).await;
    let uri = format!("https://{addr}");
    assert_eq!(health(connect(&client(&pki, true), &uri).await).await, Ok(()));
    assert!(health(connect(&client(&pki, false), &uri).await).await.is_err(), "no client certificate");
    shutdown.cancel();
}

#[tokio::test]
async fn optional_client_authentication_still_refuses_certificates_from_another_ca() {
    let pki = Pki::new();
    let tls = ServerTlsConfig { client_auth_optional: true, ..server_tls(&pki, Some(&pki.path("ca.pem"))) };
    let (addr, shutdown) = serve(tls).await;
    let uri = format!("https://{addr}");
    assert_eq!(health(connect(&client(&pki, true), &uri).await).await, Ok(()));
    assert_eq!(health(connect(&client(&pki, false), &uri).await).await, Ok(()), "no certificate: the service decides");
    let other = Pki::new();
    let stranger = ClientTlsSettings { ca: Some(pki.path("ca.pem")), ..client(&other, true) };
    assert!(health(connect(&stranger, &uri).await).await.is_err(), "a client certificate from another CA");
    shutdown.cancel();
}

#[tokio::test]
async fn missing_key_files_are_named_in_the_error() {
    let config = GrpcServerConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        tls: ServerTlsConfig {
            enabled: true,
            cert: Some("/nonexistent/server.pem".into()),
            key: Some("/nonexistent/server.key".into()),
            client_ca: None,
            client_auth_optional: false,
        },
    };
    let metrics = koprik_runtime::metrics::Metrics::new("test");
    let Err(err) = grpc::router_with_health(&config, &metrics, grpc::open_guard(&metrics)) else {
        panic!("an unreadable certificate must be refused")
    };
    assert!(err.to_string().contains("tls.cert"), "{err}");
}
