//! The registry's configuration: `KOPRIK_*` environment variables over an optional TOML file over these defaults.

use std::net::SocketAddr;
use std::time::Duration;

use koprik_kafka::KafkaConfig;
pub use koprik_outbox::OutboxConfig;
use koprik_runtime::config::{
    ConfigError, DatabaseConfig, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig,
};
use serde::{Deserialize, Serialize};

/// Everything the registry needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// The gRPC API (`koprik.registry.v1.Registry`, health, reflection).
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
    /// The automatic access changes: late payment, contract expiry.
    pub access: AccessConfig,
    /// The open HTTP export of the Unified Registry of Public Services and the web-service catalogue.
    pub public_http: PublicHttpConfig,
}

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
            grpc: GrpcServerConfig::plain(([127, 0, 0, 1], 50051).into()),
            metrics: MetricsConfig { listen: ([127, 0, 0, 1], 50151).into() },
            telemetry: TelemetryConfig::default(),
            database: DatabaseConfig::with_url("sqlite://var/registry.db"),
            kafka: KafkaConfig::default(),
            outbox: OutboxConfig::default(),
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
        if self.outbox.batch_size == 0 {
            return Err(ConfigError::invalid("outbox.batch_size", "must be at least 1"));
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
}
