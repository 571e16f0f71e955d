//! Commercial use of the API (OD §8, §21: viewing and downloading is free; commercial use of the API is under a
//! contract). Anonymous clients are rate-limited; a client presenting an API key issued under a billing contract
//! is not, and each of its requests becomes a usage record on `exchange.usage` that billing prices by that
//! contract, exactly like a DDP exchange.

use chrono::{DateTime, Utc};
use koprik_proto::events::UsageRecord;
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::time::timestamp;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The prefix of every secret, so that a leaked key is recognisable (secret scanners, logs).
pub const SECRET_PREFIX: &str = "koprik_od_";

/// A new random secret: the prefix and 32 random bytes in hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

/// What is stored of a secret: its SHA-256 in hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The usage record of one API request made with a key of `consumer` under `contract_reference`.
pub fn usage_record(
    request_id: &str,
    consumer: &SubsystemId,
    contract_reference: &str,
    service: &ServiceId,
    provider: &MemberId,
    at: DateTime<Utc>,
    replica: &str,
) -> UsageRecord {
    UsageRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: request_id.to_owned(),
        account: Some(consumer.member().into()),
        consumer: Some(consumer.into()),
        service: Some(service.into()),
        provider: Some(provider.into()),
        grant_id: String::new(),
        contract_reference: contract_reference.to_owned(),
        data_items: Vec::new(),
        received_at: Some(timestamp(at)),
        answered_at: Some(timestamp(at)),
        gateway: replica.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX) && a.len() == SECRET_PREFIX.len() + 64);
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), secret_hash(&b));
    }

    #[test]
    fn a_usage_record_bills_the_consumers_member() {
        let consumer: SubsystemId = "UZ/COM/207028220/analytics".parse().expect("id");
        let service: ServiceId = "UZ/GOV/200000001/opendata/api/v1".parse().expect("id");
        let record = usage_record("r1", &consumer, "OD-2026/0001", &service, service.provider(), Utc::now(), "od-0");
        assert_eq!(record.account, Some(consumer.member().into()));
        assert_eq!(record.contract_reference, "OD-2026/0001");
    }
}
