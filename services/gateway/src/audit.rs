//! The audit trail: one `AuditRecord` on `exchange.audit` for every call, whatever its outcome (REG-2 pp. 25-26:
//! timeliness and reliability are a liability; A1 §29: the operator monitors and reports). Identifiers, codes
//! and payload hashes only, never payloads. Every record is a link of this replica's hash chain
//! ([`crate::audit_chain`]).

use chrono::{DateTime, Utc};
use std::sync::Arc;

use koprik_kafka::KafkaError;
use koprik_proto::events::{AuditOutcome, AuditRecord, AuditStep};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::time::timestamp;
use sha2::{Digest, Sha256};

use crate::audit_chain::Chain;
use crate::error::GatewayError;

/// What the gateway learned about a call as it went, for its audit record.
#[derive(Debug, Clone, Default)]
pub struct CallFacts {
    /// The platform's request id.
    pub request_id: String,
    /// The legal time of receipt.
    pub received_at: DateTime<Utc>,
    /// The caller, once identified.
    pub consumer: Option<SubsystemId>,
    /// The serial of the caller's TLS client certificate, once read.
    pub certificate_serial: String,
    /// The service, once the request named a valid one.
    pub service: Option<ServiceId>,
    /// The requested data item codes: as the request named them, then, once the access rule passed, the items
    /// forwarded (the grant's permitted items when the request named none).
    pub data_items: Vec<String>,
    /// The data item codes the delivered (or stored) answer released, as its adapter declared and signed them.
    pub released_items: Vec<String>,
    /// SHA-256 of the request payload.
    pub request_sha256: String,
    /// SHA-256 of the delivered answer.
    pub response_sha256: String,
    /// The REG-2 p. 14 references, once the particulars were valid: public service number and applicant request.
    pub public_service_number: u64,
    /// The applicant's request reference.
    pub applicant_request_ref: String,
    /// The officer's key that signed the request, once verified.
    pub officer_key_id: String,
    /// The adapter's key that signed the answer, once verified.
    pub provider_key_id: String,
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
        Err(
            GatewayError::Unauthenticated(_)
            | GatewayError::UnknownService(_)
            | GatewayError::Refused(_)
            | GatewayError::BadSignature(_)
            | GatewayError::Replayed(_),
        ) => AuditOutcome::Refused,
        Err(GatewayError::ServiceUnavailable(_) | GatewayError::QuotaExhausted(_) | GatewayError::NotFound(_)) => {
            AuditOutcome::Refused
        }
        Err(GatewayError::Provider { .. } | GatewayError::UnverifiedAnswer(_)) => AuditOutcome::ProviderError,
        Err(GatewayError::TimedOut { .. }) => AuditOutcome::TimedOut,
        Err(GatewayError::Platform(_)) => AuditOutcome::PlatformError,
    }
}

/// The audit record of a finished synchronous call (step CALL); the chain fields are set when it is written.
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
        released_items: facts.released_items.clone(),
        request_sha256: facts.request_sha256.clone(),
        response_sha256: facts.response_sha256.clone(),
        received_at: Some(timestamp(facts.received_at)),
        completed_at: Some(timestamp(Utc::now())),
        public_service_number: facts.public_service_number,
        applicant_request_ref: facts.applicant_request_ref.clone(),
        officer_key_id: facts.officer_key_id.clone(),
        provider_key_id: facts.provider_key_id.clone(),
        certificate_serial: facts.certificate_serial.clone(),
        step: AuditStep::Call as i32,
        ..Default::default()
    }
}

/// Writes audit records into this replica's chain, waiting for the broker's acknowledgement.
#[derive(Clone)]
pub struct Auditor {
    chain: Arc<Chain>,
}

impl Auditor {
    /// An auditor appending to `chain`.
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }

    /// Publishes `record` as the next link of the chain, keyed by the chain id (the `chain`, `sequence` and
    /// `previous_sha256` fields are set here; whatever the caller put there is replaced). Any step may be written
    /// (CALL, SUBMITTED, ANSWERED, ESCALATED): the chain orders them all.
    pub async fn write(&self, record: &AuditRecord, traceparent: &str) -> Result<(), KafkaError> {
        self.chain.append(record, traceparent).await
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
            certificate_serial: "7f01".into(),
            service: None,
            data_items: vec![],
            request_sha256: String::new(),
            response_sha256: String::new(),
            ..CallFacts::default()
        };
        let refused = record("gw", &facts, &Err(GatewayError::Refused("no grant".into())));
        assert_eq!(refused.outcome(), AuditOutcome::Refused);
        assert_eq!(refused.status_code, koprik_proto::tonic::Code::PermissionDenied as i32);
        assert_eq!(refused.reason, "no grant");
        assert_eq!(refused.certificate_serial, "7f01");
        assert_eq!(record("gw", &facts, &Ok(())).outcome(), AuditOutcome::Delivered);
        assert_eq!(refused.step(), AuditStep::Call);
        let replayed = record("gw", &facts, &Err(GatewayError::Replayed("already accepted".into())));
        assert_eq!(replayed.outcome(), AuditOutcome::Refused);
        assert_eq!(replayed.status_code, koprik_proto::tonic::Code::AlreadyExists as i32);
    }

    #[test]
    fn records_keep_the_items_requested_and_released() {
        let facts = CallFacts {
            request_id: "r".into(),
            data_items: vec!["surname".into(), "birth_date".into()],
            released_items: vec!["surname".into()],
            ..CallFacts::default()
        };
        let delivered = record("gw", &facts, &Ok(()));
        assert_eq!(delivered.data_items, ["surname", "birth_date"]);
        assert_eq!(delivered.released_items, ["surname"]);
    }
}
