//! The gateway's configuration: `KOPRIK_*` environment variables over an optional TOML file over these defaults.

use std::time::Duration;

use koprik_kafka::KafkaConfig;
use koprik_runtime::config::{ConfigError, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig};
use serde::{Deserialize, Serialize};

/// Everything the gateway needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// This replica's name; its replies arrive on `exchange.replies.<instance>` and it names the replica's audit
    /// chain. Lower-case letters, digits and '-'. Give each replica its own (the Helm chart uses the pod name) and
    /// keep it across restarts: the chain continues from its last record.
    pub instance: String,
    /// The longest a call waits for the provider's answer. A shorter gRPC deadline from the caller wins.
    #[serde(with = "humantime_serde")]
    pub call_timeout: Duration,
    /// The largest request payload accepted, in bytes.
    pub max_payload_bytes: usize,
    /// The consumers' gRPC API (`koprik.exchange.v1.Exchange`, health, reflection).
    pub grpc: GrpcServerConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Logs.
    pub telemetry: TelemetryConfig,
    /// The broker.
    pub kafka: KafkaConfig,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            instance: "gateway-1".into(),
            call_timeout: Duration::from_secs(10),
            max_payload_bytes: 1024 * 1024,
            grpc: GrpcServerConfig::plain(([127, 0, 0, 1], 50052).into()),
            metrics: MetricsConfig { listen: ([127, 0, 0, 1], 50152).into() },
            telemetry: TelemetryConfig::default(),
            kafka: KafkaConfig::default(),
        }
    }
}

koprik_runtime::service_sections!(GatewayConfig);

impl ServiceConfig for GatewayConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let instance_ok = (1..=63).contains(&self.instance.len())
            && self.instance.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !instance_ok {
            return Err(ConfigError::invalid("instance", "must be 1-63 lower-case letters, digits or '-'"));
        }
        if self.call_timeout.is_zero() {
            return Err(ConfigError::invalid("call_timeout", "must be more than zero"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_documents_the_defaults() {
        koprik_runtime::config::assert_sample_is_default::<GatewayConfig>("gateway");
    }
}
