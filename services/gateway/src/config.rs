//! The gateway's configuration: `KOPRIK_*` environment variables over an optional TOML file over these defaults.

use std::time::Duration;

use koprik_kafka::KafkaConfig;
use koprik_runtime::config::{
    ConfigError, DatabaseConfig, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig,
};
use koprik_runtime::tls::ServerTlsConfig;
use serde::{Deserialize, Serialize};

/// The longest `signed_request_max_age` may be.
pub const MAX_SIGNED_REQUEST_AGE: Duration = Duration::from_secs(24 * 3600);

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
    /// How old an officer's signature may be when its request arrives (`particulars.signed_at`; up to
    /// [`MAX_CLOCK_SKEW`](crate::mandatory_content::MAX_CLOCK_SKEW) ahead is allowed too). Each signed request is
    /// accepted once, and the gateway remembers it for this long ([`crate::replay`]), so the window bounds both how
    /// late a request may arrive and the size of that memory. At most 24 hours; every replica must use the same.
    #[serde(with = "humantime_serde")]
    pub signed_request_max_age: Duration,
    /// The consumers' gRPC API (`koprik.exchange.v1.Exchange`, health, reflection).
    pub grpc: GrpcServerConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Logs.
    pub telemetry: TelemetryConfig,
    /// The broker.
    pub kafka: KafkaConfig,
    /// The gateway's own database: request counts for quotas and submitted (asynchronous) requests. Shared by
    /// every replica, so quotas and escalations hold across them.
    pub database: DatabaseConfig,
    /// Submitted (asynchronous) requests.
    pub asynchronous: AsynchronousConfig,
    /// How current the gateway's view of registered certificates must be for it to accept calls.
    #[serde(default)]
    pub authz: koprik_authz::AuthzConfig,
}

/// Submitted requests: how their deadlines are watched and how long their answers are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsynchronousConfig {
    /// The consumer group of every replica reading `exchange.replies.async` (each answer is stored once).
    pub group: String,
    /// How often pending requests past their deadline are looked for (escalation) and expired answers purged.
    #[serde(with = "humantime_serde")]
    pub sweep_interval: Duration,
    /// How long an answer (the provider's payload, personal data) is kept for the consumer to fetch with Get,
    /// counted from its arrival; the request and its answer are deleted after it.
    #[serde(with = "humantime_serde")]
    pub answer_retention: Duration,
    /// Tests only: every deadline is receipt plus this, instead of the end of the next working day. Unset in
    /// production.
    #[serde(default, with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    pub deadline_override: Option<Duration>,
}

impl Default for AsynchronousConfig {
    fn default() -> Self {
        Self {
            group: "koprik-gateway".into(),
            sweep_interval: Duration::from_secs(30),
            answer_retention: Duration::from_secs(72 * 3600),
            deadline_override: None,
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            instance: "gateway-1".into(),
            call_timeout: Duration::from_secs(10),
            max_payload_bytes: 1024 * 1024,
            // An officer's system signs a request as it sends it: seconds in practice, 15 minutes for queues and
            // retries (the README's "Replay protection").
            signed_request_max_age: Duration::from_secs(15 * 60),
            // mTLS by default: callers are identified by their client certificates.
            grpc: GrpcServerConfig {
                listen: ([127, 0, 0, 1], 50052).into(),
                tls: ServerTlsConfig {
                    enabled: true,
                    cert: Some("/etc/koprik/tls/gateway.pem".into()),
                    key: Some("/etc/koprik/tls/gateway.key".into()),
                    client_ca: Some("/etc/koprik/tls/ca.pem".into()),
                    // Anonymous callers complete the handshake and are refused by the authorization policy:
                    // UNAUTHENTICATED, counted. A certificate that does not chain fails the handshake.
                    client_auth_optional: true,
                },
            },
            metrics: MetricsConfig { listen: ([127, 0, 0, 1], 50152).into() },
            telemetry: TelemetryConfig::default(),
            kafka: KafkaConfig::default(),
            database: DatabaseConfig::with_url("sqlite://var/gateway.db"),
            asynchronous: AsynchronousConfig::default(),
            authz: koprik_authz::AuthzConfig::default(),
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
        if self.instance == koprik_kafka::topics::ASYNC_REPLIES_INSTANCE {
            return Err(ConfigError::invalid(
                "instance",
                "\"async\" is reserved: exchange.replies.async carries submitted requests' answers",
            ));
        }
        if self.asynchronous.sweep_interval.is_zero() {
            return Err(ConfigError::invalid("asynchronous.sweep_interval", "must be more than zero"));
        }
        if self.asynchronous.answer_retention.is_zero() {
            return Err(ConfigError::invalid("asynchronous.answer_retention", "must be more than zero"));
        }
        if self.call_timeout.is_zero() {
            return Err(ConfigError::invalid("call_timeout", "must be more than zero"));
        }
        if self.signed_request_max_age.is_zero() || self.signed_request_max_age > MAX_SIGNED_REQUEST_AGE {
            return Err(ConfigError::invalid(
                "signed_request_max_age",
                "must be more than zero and at most 24h (a signed request older than a day is never accepted)",
            ));
        }
        koprik_runtime::tls::require_client_certificates(&self.grpc.tls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_documents_the_defaults() {
        koprik_runtime::config::assert_sample_is_default::<GatewayConfig>("gateway");
    }

    #[test]
    fn the_signing_window_is_bounded() {
        for bad in [Duration::ZERO, MAX_SIGNED_REQUEST_AGE + Duration::from_secs(1)] {
            let config = GatewayConfig { signed_request_max_age: bad, ..GatewayConfig::default() };
            let err = config.validate().expect_err("refused");
            assert!(err.to_string().contains("signed_request_max_age"), "{err}");
        }
        let day = GatewayConfig { signed_request_max_age: MAX_SIGNED_REQUEST_AGE, ..GatewayConfig::default() };
        assert!(day.validate().is_ok());
    }

    #[test]
    fn every_caller_needs_a_certificate_so_mtls_is_required() {
        assert!(GatewayConfig::default().validate().is_ok());
        for (tls, client_ca) in [(false, true), (true, false), (false, false)] {
            let mut config = GatewayConfig::default();
            config.grpc.tls.enabled = tls;
            config.grpc.tls.client_ca = client_ca.then(|| "/etc/koprik/tls/ca.pem".into());
            let err = config.validate().expect_err("refused");
            assert!(err.to_string().contains("grpc.tls"), "{err}");
        }
    }
}
