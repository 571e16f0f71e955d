//! Billing's configuration: `KOPRIK_*` environment variables over an optional TOML file over these defaults.

use std::time::Duration;

use koprik_authz::AuthzConfig;
use koprik_kafka::KafkaConfig;
pub use koprik_outbox::OutboxConfig;
use koprik_runtime::config::{
    ConfigError, DatabaseConfig, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig,
};
use koprik_runtime::tls::ServerTlsConfig;
use serde::{Deserialize, Serialize};

/// Everything billing needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingConfig {
    /// The gRPC API (`koprik.billing.v1`: BaseAmounts, Contracts, Invoices, Payments, Revenue; health, reflection).
    /// Always mTLS: the authorization policy identifies every caller (operator, auditor, consumer, payment
    /// channel) by its client certificate.
    pub grpc: GrpcServerConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Logs.
    pub telemetry: TelemetryConfig,
    /// Billing's own database.
    pub database: DatabaseConfig,
    /// The broker: `exchange.usage`, `exchange.audit` and `registry.events` (certificates) in; `billing.invoices`,
    /// `billing.payments`, `billing.account-status`, `billing.contracts` out.
    pub kafka: KafkaConfig,
    /// How the outbox relay publishes billing events.
    pub outbox: OutboxConfig,
    /// How `exchange.usage` is read.
    pub metering: MeteringConfig,
    /// How `exchange.audit` is read and usage reconciled with it.
    pub reconciliation: ReconciliationConfig,
    /// When invoices are issued and overdue ones found.
    pub invoicing: InvoicingConfig,
    /// Who issues the invoices, as printed on them.
    pub issuer: IssuerConfig,
    /// How current billing's view of the registry's certificates must be for it to accept calls.
    #[serde(default)]
    pub authz: AuthzConfig,
}

/// Reading `exchange.usage`: records are stored in batches, one database transaction per batch, and the offsets
/// are committed after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeteringConfig {
    /// The consumer group.
    pub group: String,
    /// At most this many records per batch.
    pub batch_size: usize,
    /// A batch is written at the latest this long after its first record arrived.
    #[serde(with = "humantime_serde")]
    pub batch_linger: Duration,
}

/// Reconciling usage with the audit trail ([`crate::reconciliation`]): `exchange.audit` is read in batches like
/// `exchange.usage`, and a loop decides what is still pending.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationConfig {
    /// The consumer group reading `exchange.audit`.
    pub group: String,
    /// At most this many audit records per batch (one database transaction).
    pub batch_size: usize,
    /// A batch is written at the latest this long after its first record arrived.
    #[serde(with = "humantime_serde")]
    pub batch_linger: Duration,
    /// How long a usage record waits for its DELIVERED audit record before it is held ("no delivered audit
    /// record"); an audit record arriving later still releases it.
    #[serde(with = "humantime_serde")]
    pub grace: Duration,
    /// How often pending usage is reconciled again (grace periods, contracts recorded since, and usage and audit
    /// stored at the same moment by the two consumers).
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// How long a delivered exchange is kept after billing stored it, for a usage record that lags behind its
    /// audit record (the two topics are read by separate consumers; a record older than this is pruned).
    #[serde(with = "humantime_serde")]
    pub delivered_retention: Duration,
    /// Services whose usage is billed on the account check alone, without a DELIVERED audit record: the Open Data
    /// Portal's metered API (its `access.metered_service`), whose keyed requests are not exchanges through a gateway
    /// and have no audit record yet. Such usage is only as trustworthy as `exchange.usage` itself until records on
    /// it are signed by their producer (issue 15, item 3). Empty: every usage record needs its audit record.
    pub unaudited_services: Vec<String>,
}

/// Issuing invoices and watching due dates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoicingConfig {
    /// How long after a period ends its invoices wait for late usage records before they are issued; a record
    /// arriving later is billed on the next invoice, with a note.
    #[serde(with = "humantime_serde")]
    pub grace: Duration,
    /// How often ended periods are issued and due dates checked.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
}

/// The operator issuing DDP invoices, as printed on them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The operator's name.
    pub name: String,
    /// Its STIR (9 digits).
    pub stir: String,
    /// Its bank.
    pub bank: String,
    /// The bank's MFO code (5 digits).
    pub bank_code: String,
    /// The settlement account (20 digits).
    pub account: String,
    /// Postal address.
    pub address: String,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            // mTLS always: callers are identified by their client certificates. Anonymous callers complete the
            // handshake (so health probes work) and are refused by the authorization policy.
            grpc: GrpcServerConfig {
                listen: ([127, 0, 0, 1], 50054).into(),
                tls: ServerTlsConfig {
                    enabled: true,
                    cert: Some("/etc/koprik/tls/billing.pem".into()),
                    key: Some("/etc/koprik/tls/billing.key".into()),
                    client_ca: Some("/etc/koprik/tls/ca.pem".into()),
                    client_auth_optional: true,
                },
            },
            metrics: MetricsConfig { listen: ([127, 0, 0, 1], 50154).into() },
            telemetry: TelemetryConfig::default(),
            database: DatabaseConfig::with_url("sqlite://var/billing.db"),
            kafka: KafkaConfig::default(),
            outbox: OutboxConfig::default(),
            metering: MeteringConfig {
                group: "koprik-billing-metering".into(),
                batch_size: 2000,
                batch_linger: Duration::from_millis(20),
            },
            reconciliation: ReconciliationConfig {
                group: "koprik-billing-reconciliation".into(),
                batch_size: 2000,
                batch_linger: Duration::from_millis(20),
                grace: Duration::from_secs(3600),
                interval: Duration::from_secs(10),
                delivered_retention: Duration::from_secs(7 * 24 * 3600),
                unaudited_services: vec!["UZ/GOV/200000001/opendata/api/v1".into()],
            },
            invoicing: InvoicingConfig { grace: Duration::from_secs(3 * 24 * 3600), interval: Duration::from_secs(60) },
            issuer: IssuerConfig {
                name: "Elektron hukumat loyihalarini boshqarish markazi (demo)".into(),
                stir: "200000001".into(),
                bank: "Markaziy bank hisob-kitob markazi (demo)".into(),
                bank_code: "00014".into(),
                account: "20208000000000000001".into(),
                address: "Toshkent sh. (demo)".into(),
            },
            authz: AuthzConfig::default(),
        }
    }
}

koprik_runtime::service_sections!(BillingConfig);

impl ServiceConfig for BillingConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        koprik_runtime::tls::require_client_certificates(&self.grpc.tls)?;
        if self.database.url.is_empty() {
            return Err(ConfigError::invalid("database.url", "must not be empty"));
        }
        if self.outbox.batch_size == 0 {
            return Err(ConfigError::invalid("outbox.batch_size", "must be at least 1"));
        }
        if self.metering.group.trim().is_empty() {
            return Err(ConfigError::invalid("metering.group", "must not be empty"));
        }
        if !(1..=10_000).contains(&self.metering.batch_size) {
            return Err(ConfigError::invalid("metering.batch_size", "must be between 1 and 10000"));
        }
        if self.reconciliation.group.trim().is_empty() || self.reconciliation.group == self.metering.group {
            return Err(ConfigError::invalid("reconciliation.group", "must be set, and not be metering.group"));
        }
        for (index, service) in self.reconciliation.unaudited_services.iter().enumerate() {
            if let Err(e) = service.parse::<koprik_proto::ids::ServiceId>() {
                return Err(ConfigError::invalid(
                    format!("reconciliation.unaudited_services[{index}]"),
                    format!("must be a service id: {e}"),
                ));
            }
        }
        if !(1..=10_000).contains(&self.reconciliation.batch_size) {
            return Err(ConfigError::invalid("reconciliation.batch_size", "must be between 1 and 10000"));
        }
        if self.reconciliation.interval.is_zero() {
            return Err(ConfigError::invalid("reconciliation.interval", "must be more than zero"));
        }
        if self.reconciliation.delivered_retention < self.reconciliation.grace {
            return Err(ConfigError::invalid(
                "reconciliation.delivered_retention",
                "must be at least reconciliation.grace (usage waits that long for its audit record)",
            ));
        }
        if self.invoicing.interval.is_zero() {
            return Err(ConfigError::invalid("invoicing.interval", "must be more than zero"));
        }
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.issuer.stir, 9) {
            return Err(ConfigError::invalid("issuer.stir", "must be 9 digits"));
        }
        if !digits(&self.issuer.bank_code, 5) {
            return Err(ConfigError::invalid("issuer.bank_code", "must be 5 digits (the bank's MFO)"));
        }
        if !digits(&self.issuer.account, 20) {
            return Err(ConfigError::invalid("issuer.account", "must be 20 digits"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_documents_the_defaults() {
        koprik_runtime::config::assert_sample_is_default::<BillingConfig>("billing");
    }

    #[test]
    fn every_caller_needs_a_certificate_so_mtls_is_required() {
        assert!(BillingConfig::default().validate().is_ok());
        for (tls, client_ca) in [(false, true), (true, false), (false, false)] {
            let mut config = BillingConfig::default();
            config.grpc.tls.enabled = tls;
            config.grpc.tls.client_ca = client_ca.then(|| "/etc/koprik/tls/ca.pem".into());
            let err = config.validate().expect_err("refused");
            assert!(err.to_string().contains("grpc.tls"), "{err}");
            assert!(err.to_string().contains("client certificate"), "{err}");
        }
    }
}
