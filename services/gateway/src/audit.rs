//! The audit trail: one `AuditRecord` on `exchange.audit` for every call, whatever its outcome (REG-2 pp. 25-26:
//! timeliness and reliability are a liability; A1 §29: the operator monitors and reports). Identifiers, codes
//! and payload hashes only, never payloads.

use chrono::{DateTime, Utc};
use koprik_kafka::topics::EXCHANGE_AUDIT;
use koprik_kafka::{KafkaError, Producer};
use koprik_proto::events::{AuditOutcome, AuditRecord};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::time::timestamp;
use sha2::{Digest, Sha256};

use crate::error::GatewayError;

/// What the gateway learned about a call as it went, for its audit record.
#[derive(Debug, Clone)]
pub struct CallFacts {
    /// The platform's request id.
    pub request_id: String,
    /// The legal time of receipt.
    pub received_at: DateTime<Utc>,
    /// The caller, once identified.
    pub consumer: Option<SubsystemId>,
    /// The service, once the request named a valid one.
    pub service: Option<ServiceId>,
    /// The requested data item codes.
    pub data_items: Vec<String>,
    /// SHA-256 of the request payload.
    pub request_sha256: String,
    /// SHA-256 of the delivered answer.
    pub response_sha256: String,
}

/// Hex SHA-256 of `bytes`; empty for an empty payload.
pub fn sha256_hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    hex::encode(Sha256::digest(bytes))
}

/// The audit outcome of a call's result.
pub fn outcome(result: &Result<(), GatewayError>) -> AuditOutcome {
    match result {
        Ok(()) => AuditOutcome::Delivered,
        Err(GatewayError::Invalid(_)) => AuditOutcome::Invalid,
        Err(GatewayError::Unauthenticated(_) | GatewayError::UnknownService(_) | GatewayError::Refused(_)) => {
            AuditOutcome::Refused
        }
        Err(GatewayError::ServiceUnavailable(_) | GatewayError::QuotaExhausted(_) | GatewayError::NotFound(_)) => {
            AuditOutcome::Refused
        }
        Err(GatewayError::Provider { .. }) => AuditOutcome::ProviderError,
        Err(GatewayError::TimedOut { .. }) => AuditOutcome::TimedOut,
        Err(GatewayError::Platform(_)) => AuditOutcome::PlatformError,
    }
}

/// The audit record of a finished call.
pub fn record(gateway: &str, facts: &CallFacts, result: &Result<(), GatewayError>) -> AuditRecord {
    let (status_code, reason) = match result {
        Ok(()) => (0, String::new()),
        Err(e) => (e.code() as i32, e.to_string()),
    };
    AuditRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: facts.request_id.clone(),
        gateway: gateway.to_owned(),
        consumer: facts.consumer.as_ref().map(Into::into),
        service: facts.service.as_ref().map(Into::into),
        outcome: outcome(result) as i32,
        status_code,
        reason,
        data_items: facts.data_items.clone(),
        request_sha256: facts.request_sha256.clone(),
        response_sha256: facts.response_sha256.clone(),
        received_at: Some(timestamp(facts.received_at)),
        completed_at: Some(timestamp(Utc::now())),
        ..Default::default()
    }
}

/// Writes audit records, waiting for the broker's acknowledgement.
#[derive(Clone)]
pub struct Auditor {
    producer: Producer,
}

impl Auditor {
    /// An auditor producing with `producer`.
    pub fn new(producer: Producer) -> Self {
        Self { producer }
    }

    /// Publishes `record` keyed by its request id.
    pub async fn write(&self, record: &AuditRecord, traceparent: &str) -> Result<(), KafkaError> {
        self.producer
            .publish(EXCHANGE_AUDIT, &record.request_id, record, &record.event_id, Some(traceparent))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_sha256_and_empty_for_no_payload() {
        assert_eq!(sha256_hex(b""), "");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn records_carry_the_status_and_reason() {
        let facts = CallFacts {
            request_id: "r".into(),
            received_at: Utc::now(),
            consumer: None,
            service: None,
            data_items: vec![],
            request_sha256: String::new(),
            response_sha256: String::new(),
        };
        let refused = record("gw", &facts, &Err(GatewayError::Refused("no grant".into())));
        assert_eq!(refused.outcome(), AuditOutcome::Refused);
        assert_eq!(refused.status_code, koprik_proto::tonic::Code::PermissionDenied as i32);
        assert_eq!(refused.reason, "no grant");
        assert_eq!(record("gw", &facts, &Ok(())).outcome(), AuditOutcome::Delivered);
    }
}
