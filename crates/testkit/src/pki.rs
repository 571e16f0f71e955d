//! Certificates for tests: a development CA in a temporary directory, the server certificate every service under
//! test serves with (mTLS, client certificate optional so the authorization policy answers), client certificates
//! of any role on demand, TLS channels presenting them, and the registry's records of them, which tests of
//! services other than the registry publish on `registry.events` as the registry would.

use std::net::SocketAddr;
use std::time::Duration;

use koprik_kafka::topics::{TopicSpec, REGISTRY_EVENTS};
use koprik_kafka::{KafkaConfig, Producer};
use koprik_pki::Identity;
use koprik_proto::events::registry_event::Entity;
use koprik_proto::events::RegistryEvent;
use koprik_proto::registry::{ClientCertificate, CredentialStatus, Meta};
use koprik_proto::time::timestamp;
use koprik_proto::tonic::transport::Channel;
use koprik_runtime::dev_pki::{CertFiles, DevPki};
use koprik_runtime::tls::ServerTlsConfig;

/// A development CA and its certificates, in a directory removed when the value is dropped (unless it was opened
/// on someone else's directory with [`TestPki::at`]).
pub struct TestPki {
    _dir: Option<tempfile::TempDir>,
    pki: DevPki,
    server: CertFiles,
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    /// A new CA and a server certificate for localhost and 127.0.0.1.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for the test PKI");
        let pki = DevPki::open(dir.path()).expect("a development CA");
        let server = pki.server("server").expect("a server certificate");
        Self { _dir: Some(dir), pki, server }
    }

    /// The development CA in `dir` (created there if missing), e.g. a sandbox's, whose owner keeps the directory.
    pub fn at(dir: &std::path::Path) -> Self {
        let pki = DevPki::open(dir).expect("a development CA");
        let server = pki.server("server").expect("a server certificate");
        Self { _dir: None, pki, server }
    }

    /// The development PKI itself.
    pub fn dev(&self) -> &DevPki {
        &self.pki
    }

    /// TLS for a service under test: the server certificate, client certificates of this CA, optional at the
    /// handshake (so a caller without one is refused by the policy, with a status the test can read).
    pub fn server_tls(&self) -> ServerTlsConfig {
        self.pki.server_tls(&self.server)
    }

    /// The certificate files of `identity` (`<role>:<principal>`), issued on first use.
    pub fn files(&self, identity: &str) -> CertFiles {
        let identity: Identity = identity.parse().unwrap_or_else(|e| panic!("{identity:?} is not an identity: {e}"));
        self.pki.client(&identity).expect("a client certificate")
    }

    /// The registry's record of `identity`'s certificate: active, revision 1.
    pub fn record(&self, identity: &str) -> ClientCertificate {
        let files = self.files(identity);
        let pem = files.pem().expect("readable");
        let parsed = koprik_pki::parse_pem(&pem).expect("parses");
        let identity = parsed.identity().expect("one identity");
        ClientCertificate {
            serial: parsed.serial,
            subsystem: identity.subsystem().map(Into::into),
            role: identity.role().wire() as i32,
            principal: identity.principal().to_string(),
            sha256_fingerprint: parsed.sha256_fingerprint,
            not_before: Some(timestamp(parsed.not_before)),
            not_after: Some(timestamp(parsed.not_after)),
            status: CredentialStatus::Active as i32,
            pem,
            actor: "operator:test".into(),
            meta: Some(Meta { revision: 1, ..Meta::default() }),
            ..ClientCertificate::default()
        }
    }

    /// The registry's record of `identity`'s certificate revoked for `reason`: revision 2.
    pub fn revoked(&self, identity: &str, reason: &str) -> ClientCertificate {
        let mut record = self.record(identity);
        record.status = CredentialStatus::Revoked as i32;
        record.revocation_reason = reason.into();
        record.revoked_at = Some(timestamp(chrono::Utc::now()));
        record.meta = Some(Meta { revision: 2, ..Meta::default() });
        record
    }

    /// A TLS channel to `addr` presenting `identity`'s certificate (none when `None`), connected (retrying
    /// while the server starts).
    pub async fn channel(&self, addr: SocketAddr, identity: Option<&str>) -> Channel {
        let files = identity.map(|identity| self.files(identity));
        let endpoint = self.pki.client_tls(files.as_ref()).endpoint(&format!("https://{addr}")).expect("an endpoint");
        for _ in 0..200 {
            if let Ok(channel) = endpoint.connect().await {
                return channel;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("cannot connect to {addr} over TLS");
    }
}

/// The registry's heartbeats on `registry.events` (key `heartbeat/registry`), every 300 ms until dropped, as the
/// registry writes them: services other than the registry refuse every call without a recent one, and their tests
/// run without a registry.
pub struct RegistryHeartbeats {
    task: tokio::task::JoinHandle<()>,
}

impl RegistryHeartbeats {
    /// Starts beating on the broker of `kafka` (creating `registry.events` if needed); the first heartbeat is on the
    /// topic when this returns.
    pub async fn start(kafka: &KafkaConfig) -> Self {
        koprik_kafka::admin::ensure_topics(kafka, &[TopicSpec::compacted(REGISTRY_EVENTS)])
            .await
            .expect("registry.events");
        let producer = Producer::new(kafka, "koprik-test-registry-heartbeat").expect("a producer");
        beat(&producer).await;
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(300)).await;
                beat(&producer).await;
            }
        });
        Self { task }
    }
}

impl Drop for RegistryHeartbeats {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn beat(producer: &Producer) {
    let event = RegistryEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(chrono::Utc::now())),
        entity: Some(Entity::Heartbeat(koprik_proto::events::RegistryHeartbeat {
            at: Some(timestamp(chrono::Utc::now())),
        })),
    };
    // A lost beat is made up by the next one; a broker stopped on purpose by a test stops them.
    let _ = producer.publish(REGISTRY_EVENTS, "heartbeat/registry", &event, &event.event_id, None).await;
}

/// Publishes `records` on `registry.events` exactly as the registry does (key `certificate/<serial>`), creating
/// the topic if needed: how tests of other services make certificates known, and revoke them.
pub async fn publish_certificates(kafka: &KafkaConfig, records: &[ClientCertificate]) {
    koprik_kafka::admin::ensure_topics(kafka, &[TopicSpec::compacted(REGISTRY_EVENTS)]).await.expect("registry.events");
    let producer = Producer::new(kafka, "koprik-test-registry").expect("a producer");
    for record in records {
        let event = RegistryEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            occurred_at: Some(timestamp(chrono::Utc::now())),
            entity: Some(Entity::Certificate(record.clone())),
        };
        let key = format!("certificate/{}", record.serial);
        producer.publish(REGISTRY_EVENTS, &key, &event, &event.event_id, None).await.expect("published");
    }
}
