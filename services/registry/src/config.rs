//! The registry's configuration: `KOPRIK_*` environment variables over an optional TOML file over these defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use koprik_kafka::KafkaConfig;
pub use koprik_outbox::OutboxConfig;
use koprik_runtime::config::{
    ConfigError, DatabaseConfig, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig,
};
use koprik_runtime::tls::ServerTlsConfig;
use serde::{Deserialize, Serialize};

/// Everything the registry needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// A PEM file of one or more operator certificates registered at start-up when their serial is not yet known
    /// (actor `bootstrap`): how the first operator gets in, since every call, `RegisterCertificate` included,
    /// needs a registered certificate. Already registered serials are left alone (a revoked one stays revoked);
    /// a certificate of another role stops the start-up. See [`crate::bootstrap`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_operator: Option<PathBuf>,
    /// The gRPC API (`koprik.registry.v1.Registry` and the other registry services, health, reflection). Always
    /// mTLS: `tls.client_ca` is the platform CA, whose certificates identify every caller and which every
    /// registered certificate must be issued by.
    pub grpc: GrpcServerConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Logs.
    pub telemetry: TelemetryConfig,
    /// The registry's own database.
    pub database: DatabaseConfig,
    /// The broker `registry.events` is published to.
    pub kafka: KafkaConfig,
    /// How the outbox relay publishes.
    pub outbox: OutboxConfig,
    /// How often the registry writes its heartbeat through the outbox ([`crate::heartbeat`]). Every other service
    /// refuses calls once the latest heartbeat it has is older than its `authz.max_staleness` (10 s by default), so
    /// this must stay well below that: at most [`MAX_HEARTBEAT_INTERVAL`].
    #[serde(with = "humantime_serde")]
    pub heartbeat_interval: Duration,
    /// The automatic access changes: late payment, contract expiry.
    pub access: AccessConfig,
    /// The open HTTP export of the Unified Registry of Public Services and the web-service catalogue.
    pub public_http: PublicHttpConfig,
}

/// The longest `heartbeat_interval` accepted: half the other services' default `authz.max_staleness` (10 s), so that
/// one late heartbeat does not make them refuse calls.
pub const MAX_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

/// Automatic access changes: DDP suspension on `billing.account-status` overdue events (A2 §25) and termination
/// when a DDP contract expires (A2 §26).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// The consumer group reading `billing.account-status`.
    pub account_status_group: String,
    /// How often grants whose contract ended are looked for.
    #[serde(with = "humantime_serde")]
    pub expiry_sweep_interval: Duration,
}

/// The registry's public, unauthenticated HTTP endpoint (REG-1 p. 19: the registry is open 24/7). It has its own
/// listener so that it can be exposed to the internet while the gRPC API stays internal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicHttpConfig {
    /// Where `GET /public/v1/...` is served.
    pub listen: SocketAddr,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            bootstrap_operator: None,
            grpc: GrpcServerConfig {
                listen: ([127, 0, 0, 1], 50051).into(),
                tls: ServerTlsConfig {
                    enabled: true,
                    cert: Some("/etc/koprik/tls/registry.pem".into()),
                    key: Some("/etc/koprik/tls/registry.key".into()),
                    client_ca: Some("/etc/koprik/tls/ca.pem".into()),
                    client_auth_optional: true,
                },
            },
            metrics: MetricsConfig { listen: ([127, 0, 0, 1], 50151).into() },
            telemetry: TelemetryConfig::default(),
            database: DatabaseConfig::with_url("sqlite://var/registry.db"),
            kafka: KafkaConfig::default(),
            outbox: OutboxConfig::default(),
            heartbeat_interval: Duration::from_secs(1),
            access: AccessConfig {
                account_status_group: "koprik-registry-account-status".into(),
                expiry_sweep_interval: Duration::from_secs(60),
            },
            public_http: PublicHttpConfig { listen: ([127, 0, 0, 1], 50251).into() },
        }
    }
}

koprik_runtime::service_sections!(RegistryConfig);

impl ServiceConfig for RegistryConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let tls = &self.grpc.tls;
        if !tls.enabled || tls.client_ca.is_none() {
            return Err(ConfigError::invalid(
                "grpc.tls.client_ca",
                "is required, with grpc.tls.enabled = true, cert and key: the registry identifies every caller by \
                 its TLS client certificate issued by the platform CA (the authorization policy), and registers only \
                 certificates that CA issued; set it to the platform CA certificate",
            ));
        }
        if self.bootstrap_operator.as_ref().is_some_and(|path| path.as_os_str().is_empty()) {
            return Err(ConfigError::invalid(
                "bootstrap_operator",
                "must be a PEM file of operator certificates, or unset",
            ));
        }
        if self.outbox.batch_size == 0 {
            return Err(ConfigError::invalid("outbox.batch_size", "must be at least 1"));
        }
        if self.heartbeat_interval.is_zero() || self.heartbeat_interval > MAX_HEARTBEAT_INTERVAL {
            return Err(ConfigError::invalid(
                "heartbeat_interval",
                "must be more than zero and at most 5s: every other service refuses calls once the registry's latest \
                 heartbeat is older than its authz.max_staleness (10s by default)",
            ));
        }
        if self.access.account_status_group.trim().is_empty() {
            return Err(ConfigError::invalid("access.account_status_group", "must not be empty"));
        }
        if self.access.expiry_sweep_interval.is_zero() {
            return Err(ConfigError::invalid("access.expiry_sweep_interval", "must be more than zero"));
        }
        if self.database.url.is_empty() {
            return Err(ConfigError::invalid("database.url", "must not be empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_documents_the_defaults() {
        koprik_runtime::config::assert_sample_is_default::<RegistryConfig>("registry");
    }

    #[test]
    fn the_grpc_api_needs_mtls_with_the_platform_ca() {
        assert!(RegistryConfig::default().validate().is_ok());
        let mut plain = RegistryConfig::default();
        plain.grpc.tls.enabled = false;
        let mut no_ca = RegistryConfig::default();
        no_ca.grpc.tls.client_ca = None;
        for config in [plain, no_ca] {
            let error = config.validate().expect_err("refused").to_string();
            assert!(error.contains("grpc.tls.client_ca") && error.contains("platform CA"), "{error}");
        }
    }

    #[test]
    fn the_heartbeat_interval_is_positive_and_well_below_the_staleness_limit() {
        for (interval, valid) in [
            (Duration::ZERO, false),
            (Duration::from_millis(200), true),
            (Duration::from_secs(5), true),
            (Duration::from_secs(6), false),
        ] {
            let config = RegistryConfig { heartbeat_interval: interval, ..RegistryConfig::default() };
            match config.validate() {
                Ok(()) => assert!(valid, "{interval:?} accepted"),
                Err(e) => {
                    assert!(!valid, "{interval:?} refused: {e}");
                    assert!(e.to_string().contains("heartbeat_interval"), "{e}");
                }
            }
        }
    }

    #[test]
    // figment's Jail closures return figment's own (large) error type.
    #[allow(clippy::result_large_err)]
    fn the_bootstrap_operator_file_comes_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KOPRIK_BOOTSTRAP_OPERATOR", "/etc/koprik/bootstrap/operators.pem");
            let config: RegistryConfig = koprik_runtime::config::load(None).expect("loads");
            assert_eq!(config.bootstrap_operator, Some(PathBuf::from("/etc/koprik/bootstrap/operators.pem")));
            Ok(())
        });
    }
}
