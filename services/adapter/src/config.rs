//! The adapter's configuration: `KOPRIK_*` environment variables over an optional TOML file over these defaults.

use std::path::PathBuf;

use koprik_kafka::KafkaConfig;
use koprik_proto::ids::MemberId;
use koprik_runtime::config::{ConfigError, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig};
use koprik_runtime::tls::ClientTlsSettings;
use serde::{Deserialize, Serialize};

/// Everything an adapter needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterConfig {
    /// The provider member this adapter serves, canonical form (`UZ/GOV/201122919`): it reads
    /// `exchange.requests.<member code>` and answers only for services of this member.
    pub provider: String,
    /// How many requests are worked on at once (at least 1). Offsets are committed only up to the oldest request
    /// still in work, so a restart replays every unfinished request.
    pub max_in_flight: usize,
    /// Where the provider's data comes from.
    pub backend: BackendConfig,
    /// gRPC health (and reflection) for probes; the adapter has no API of its own.
    pub grpc: GrpcServerConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Logs.
    pub telemetry: TelemetryConfig,
    /// The broker with the request and reply topics.
    pub kafka: KafkaConfig,
    /// The key the adapter signs answers with (registered in the registry as an ADAPTER key of the provider).
    pub signing: SigningConfig,
}

/// The adapter's answer-signing key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    /// PKCS#8 PEM Ed25519 private key file (`koprik key generate` writes one). Keep it readable by the adapter only.
    pub key_file: PathBuf,
    /// The id the public key is registered under.
    pub key_id: String,
}

/// The provider's backend.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BackendConfig {
    /// The agency's own information system, implementing `koprik.provider.v1.DataProvider`.
    Grpc {
        /// `http://host:port` or `https://host:port`.
        endpoint: String,
        /// TLS towards the backend.
        #[serde(default)]
        tls: ClientTlsSettings,
    },
    /// The built-in demo standing for a civil registry: person lookup by PINFL
    /// (service `civil-registry/person-by-pinfl/v1`).
    DemoCivilRegistry {
        /// A JSON file of person records; when absent, the built-in fixture of fictional people.
        #[serde(default)]
        fixture: Option<PathBuf>,
    },
}

impl Default for AdapterConfig {
    fn default() -> Self {
        Self {
            provider: "UZ/GOV/201122919".into(),
            max_in_flight: 64,
            backend: BackendConfig::DemoCivilRegistry { fixture: None },
            grpc: GrpcServerConfig::plain(([127, 0, 0, 1], 50053).into()),
            metrics: MetricsConfig { listen: ([127, 0, 0, 1], 50153).into() },
            telemetry: TelemetryConfig::default(),
            kafka: KafkaConfig::default(),
            signing: SigningConfig { key_file: "adapter-signing-key.pem".into(), key_id: "adapter-1".into() },
        }
    }
}

impl AdapterConfig {
    /// The provider as a member id (validated by [`ServiceConfig::validate`]).
    pub fn provider_id(&self) -> Result<MemberId, ConfigError> {
        self.provider.parse().map_err(|e: koprik_proto::FieldError| ConfigError::invalid("provider", e.to_string()))
    }
}

koprik_runtime::service_sections!(AdapterConfig);

impl ServiceConfig for AdapterConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        self.provider_id()?;
        if self.max_in_flight == 0 {
            return Err(ConfigError::invalid("max_in_flight", "must be at least 1"));
        }
        if let BackendConfig::Grpc { endpoint, .. } = &self.backend {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(ConfigError::invalid("backend.endpoint", "must start with http:// or https://"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_documents_the_defaults() {
        koprik_runtime::config::assert_sample_is_default::<AdapterConfig>("adapter");
    }
}
