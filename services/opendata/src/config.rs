//! The portal's configuration: `KOPRIK_*` environment variables over an optional TOML file over these defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use koprik_authz::AuthzConfig;
use koprik_kafka::KafkaConfig;
pub use koprik_outbox::OutboxConfig;
use koprik_runtime::config::{
    ConfigError, DatabaseConfig, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig,
};
use koprik_runtime::tls::ServerTlsConfig;
use serde::{Deserialize, Serialize};

/// Everything the portal needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpendataConfig {
    /// The gRPC API for suppliers, consumers (API keys) and the operator (`koprik.opendata.v1`; health,
    /// reflection). Always mTLS: the authorization policy identifies every caller by its client certificate.
    pub grpc: GrpcServerConfig,
    /// The public HTTP API: CKAN's `/api/3/action/...`, downloads, DCAT, feedback.
    pub http: HttpConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Logs.
    pub telemetry: TelemetryConfig,
    /// The portal's own database.
    pub database: DatabaseConfig,
    /// The broker: `registry.events` (certificates, platform data), `exchange.audit` and `billing.contracts` in;
    /// `opendata.notifications`, `exchange.usage` out.
    pub kafka: KafkaConfig,
    /// How the outbox relay publishes notifications and usage records.
    pub outbox: OutboxConfig,
    /// Where version files are kept.
    pub storage: StorageConfig,
    /// Anonymous and contract access to the API.
    pub access: AccessConfig,
    /// Proposals and overdue updates.
    pub feedback: FeedbackConfig,
    /// The platform's own data published as open data.
    pub platform: PlatformConfig,
    /// Billing's contracts, which API keys are issued under.
    #[serde(default)]
    pub contracts: ContractsConfig,
    /// How current the portal's view of the registry's certificates must be for it to accept gRPC calls.
    #[serde(default)]
    pub authz: AuthzConfig,
}

/// Reading `billing.contracts` into the portal's own table of contracts (OD §8, §21: commercial API use is under
/// contract, and an API key is billed to its holder's contract).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractsConfig {
    /// The consumer group.
    pub group: String,
}

impl Default for ContractsConfig {
    fn default() -> Self {
        Self { group: "koprik-opendata-contracts".into() }
    }
}

/// The public HTTP server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address to listen on. TLS is terminated in front of it (the cluster's ingress).
    pub listen: SocketAddr,
    /// The portal's public base URL, used in every link the API returns (no trailing slash).
    pub public_url: String,
    /// At most this many downloads are converted (JSON, XML, XLSX) at once, each on a blocking thread; more get
    /// 503 with Retry-After. CSV downloads are not limited (served asynchronously).
    pub max_conversions: usize,
}

/// The version store: one immutable file per published version, named by its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The directory (a persistent volume in production; shared by the replicas).
    pub dir: PathBuf,
    /// The largest version a supplier may upload, in bytes.
    pub max_version_bytes: u64,
}

/// Who may use the API how much (OD §8, §21: viewing and downloading is free; commercial API use is under
/// contract).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Requests per minute an anonymous client (one IP address) may make on this replica; 0 turns the limit off.
    pub anonymous_per_minute: u32,
    /// The service id usage records name for contract use of the API, e.g. "UZ/GOV/200000001/opendata/api/v1".
    pub metered_service: String,
    /// The member whose service it is (the portal operator), e.g. "UZ/GOV/200000001".
    pub metered_provider: String,
}

/// Users' proposals and suppliers' update duties (OD Annex 3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackConfig {
    /// How soon a proposal must be forwarded to a supplier (the regulation: one day).
    #[serde(with = "humantime_serde")]
    pub forward_within: Duration,
    /// How often overdue updates are looked for and their suppliers notified.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
}

/// The platform's own registries and statistics as data sets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Whether to publish them at all.
    pub enabled: bool,
    /// The supplier they are published under (the platform operator); registered at start when missing.
    pub supplier: PlatformSupplier,
    /// The consumer group reading `registry.events`.
    pub registry_group: String,
    /// The consumer group reading `exchange.audit`.
    pub audit_group: String,
    /// A changed registry data set is republished at most this often.
    #[serde(with = "humantime_serde")]
    pub republish_interval: Duration,
    /// The number of distinct consumers of a service on a day is published only from this many up; below it the
    /// cell is empty, so that a single company's use cannot be read off the statistics.
    pub consumer_threshold: u32,
}

/// The operator as a supplier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSupplier {
    /// URL name.
    pub name: String,
    /// Registry member id.
    pub member: String,
    /// Name in uz, ru, en.
    pub title: [String; 3],
    /// Internet domain.
    pub domain: String,
    /// Responsible person's full name.
    pub responsible_name: String,
    /// Responsible person's phone, +998 and 9 digits.
    pub responsible_phone: String,
    /// Responsible person's e-mail, on `domain`.
    pub responsible_email: String,
}

impl Default for OpendataConfig {
    fn default() -> Self {
        Self {
            // mTLS always: callers are identified by their client certificates. Anonymous callers complete the
            // handshake (so health probes work) and are refused by the authorization policy.
            grpc: GrpcServerConfig {
                listen: ([127, 0, 0, 1], 50055).into(),
                tls: ServerTlsConfig {
                    enabled: true,
                    cert: Some("/etc/koprik/tls/opendata.pem".into()),
                    key: Some("/etc/koprik/tls/opendata.key".into()),
                    client_ca: Some("/etc/koprik/tls/ca.pem".into()),
                    client_auth_optional: true,
                },
            },
            http: HttpConfig {
                listen: ([127, 0, 0, 1], 50255).into(),
                public_url: "http://127.0.0.1:50255".into(),
                max_conversions: 64,
            },
            metrics: MetricsConfig { listen: ([127, 0, 0, 1], 50155).into() },
            telemetry: TelemetryConfig::default(),
            database: DatabaseConfig::with_url("sqlite://var/opendata.db"),
            kafka: KafkaConfig::default(),
            outbox: OutboxConfig::default(),
            storage: StorageConfig { dir: "var/opendata".into(), max_version_bytes: 8 << 30 },
            access: AccessConfig {
                anonymous_per_minute: 120,
                metered_service: "UZ/GOV/200000001/opendata/api/v1".into(),
                metered_provider: "UZ/GOV/200000001".into(),
            },
            feedback: FeedbackConfig {
                forward_within: Duration::from_secs(24 * 3600),
                check_interval: Duration::from_secs(60),
            },
            platform: PlatformConfig {
                enabled: true,
                supplier: PlatformSupplier {
                    name: "egov-operator".into(),
                    member: "UZ/GOV/200000001".into(),
                    title: [
                        "Elektron hukumat loyihalarini boshqarish markazi".into(),
                        "Центр управления проектами электронного правительства".into(),
                        "E-Government Project Management Centre".into(),
                    ],
                    domain: "egov.uz".into(),
                    responsible_name: "Ochiq ma'lumotlar portali operatori".into(),
                    responsible_phone: "+998712000000".into(),
                    responsible_email: "opendata@egov.uz".into(),
                },
                registry_group: "koprik-opendata-registry".into(),
                audit_group: "koprik-opendata-statistics".into(),
                republish_interval: Duration::from_secs(60),
                consumer_threshold: 5,
            },
            contracts: ContractsConfig::default(),
            authz: AuthzConfig::default(),
        }
    }
}

koprik_runtime::service_sections!(OpendataConfig);

impl ServiceConfig for OpendataConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        koprik_runtime::tls::require_client_certificates(&self.grpc.tls)?;
        if self.database.url.is_empty() {
            return Err(ConfigError::invalid("database.url", "must not be empty"));
        }
        if self.http.public_url.ends_with('/')
            || !(self.http.public_url.starts_with("http://") || self.http.public_url.starts_with("https://"))
        {
            return Err(ConfigError::invalid("http.public_url", "must be an http(s) URL without a trailing '/'"));
        }
        if !(1..=400).contains(&self.http.max_conversions) {
            return Err(ConfigError::invalid(
                "http.max_conversions",
                "must be between 1 and 400 (the blocking threads)",
            ));
        }
        if self.storage.max_version_bytes == 0 {
            return Err(ConfigError::invalid("storage.max_version_bytes", "must be more than zero"));
        }
        if self.feedback.forward_within.is_zero() || self.feedback.check_interval.is_zero() {
            return Err(ConfigError::invalid("feedback", "forward_within and check_interval must be more than zero"));
        }
        if self.platform.republish_interval.is_zero() {
            return Err(ConfigError::invalid("platform.republish_interval", "must be more than zero"));
        }
        match self.access.metered_service.parse::<koprik_proto::ids::ServiceId>() {
            Ok(service) if service.provider().to_string() == self.access.metered_provider => {}
            Ok(_) => {
                return Err(ConfigError::invalid(
                    "access.metered_provider",
                    "must be the member providing metered_service",
                ))
            }
            Err(e) => return Err(ConfigError::invalid("access.metered_service", format!("must be a service id: {e}"))),
        }
        if self.outbox.batch_size == 0 {
            return Err(ConfigError::invalid("outbox.batch_size", "must be at least 1"));
        }
        if self.contracts.group.trim().is_empty() {
            return Err(ConfigError::invalid("contracts.group", "must not be empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_documents_the_defaults() {
        koprik_runtime::config::assert_sample_is_default::<OpendataConfig>("opendata");
    }

    #[test]
    fn every_caller_needs_a_certificate_so_mtls_is_required() {
        assert!(OpendataConfig::default().validate().is_ok());
        for (tls, client_ca) in [(false, true), (true, false), (false, false)] {
            let mut config = OpendataConfig::default();
            config.grpc.tls.enabled = tls;
            config.grpc.tls.client_ca = client_ca.then(|| "/etc/koprik/tls/ca.pem".into());
            let err = config.validate().expect_err("refused");
            assert!(err.to_string().contains("grpc.tls"), "{err}");
            assert!(err.to_string().contains("client certificate"), "{err}");
        }
    }
}
