//! Commercial use of the API (OD §8, §21: viewing and downloading is free; commercial use of the API is under a
//! contract). Anonymous clients are rate-limited; a client presenting an API key issued under a billing contract
//! is not, and each of its requests becomes a usage record on `exchange.usage` that billing prices by that
//! contract, exactly like a DDP exchange. A key is issued only under a contract billing recorded
//! ([`contract_allows`]): billed to the key holder's own organisation and in force.

use chrono::{DateTime, NaiveDate, Utc};
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

/// Whether an API key held by `holder` may be issued under `contract_reference`, on the Tashkent date `today`
/// (OD §8, §21: commercial use of the API is under contract, and each request made with the key is billed to the
/// contract's account). `contract` is the portal's copy of billing's contract (`billing.contracts`), if it has one.
/// The key must be billed to its holder's own organisation, so the contract's account must be the holder's member,
/// and the contract must be in force (from `valid_from` through `valid_until`, inclusive). The refusal names
/// `contract_reference` and the rule, and never another organisation's contract: a reference that is unknown and one
/// that bills another organisation are refused alike, naming only the holder's organisation, so that no one can map
/// contract references to the companies they bill.
pub fn contract_allows(
    contract_reference: &str,
    contract: Option<&crate::repository::ContractRecord>,
    holder: &SubsystemId,
    today: NaiveDate,
) -> Result<(), String> {
    let organisation = holder.member();
    let Some(contract) = contract.filter(|c| c.account == organisation.to_string()) else {
        return Err(format!(
            "contract_reference: no contract {contract_reference:?} of {organisation} is in force (billing records \
             none under that reference for it, or the portal has not received it from billing.contracts yet); an \
             API key is issued only under a contract in force that bills its holder's own organisation (OD §8, §21)"
        ));
    };
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    match (day(&contract.valid_from), day(&contract.valid_until)) {
        (Some(from), Some(until)) if from <= today && today <= until => Ok(()),
        _ => Err(format!(
            "contract_reference: contract {contract_reference:?} is in force from {} through {}, not on {today}",
            contract.valid_from, contract.valid_until
        )),
    }
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

    fn contract(account: &str, from: &str, until: &str) -> crate::repository::ContractRecord {
        crate::repository::ContractRecord {
            reference: "OD-2026/0001".into(),
            account: account.into(),
            valid_from: from.into(),
            valid_until: until.into(),
            event_id: "e".into(),
            received_at: Utc::now(),
        }
    }

    #[test]
    fn a_key_is_issued_only_under_the_holders_own_contract_in_force() {
        let holder: SubsystemId = "UZ/COM/207028220/analytics".parse().expect("id");
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
        let own = contract("UZ/COM/207028220", "2026-01-01", "2026-12-31");
        assert_eq!(contract_allows("OD-2026/0001", Some(&own), &holder, day("2026-01-01")), Ok(()));
        assert_eq!(contract_allows("OD-2026/0001", Some(&own), &holder, day("2026-12-31")), Ok(()));
        let late = contract_allows("OD-2026/0001", Some(&own), &holder, day("2027-01-01")).expect_err("expired");
        assert!(late.starts_with("contract_reference: ") && late.contains("not on 2027-01-01"), "{late}");
        let early = contract_allows("OD-2026/0001", Some(&own), &holder, day("2025-12-31"));
        assert!(early.is_err());
        // Another company's contract is refused exactly like one that does not exist, naming neither that company.
        let theirs = contract("UZ/COM/207028221", "2026-01-01", "2026-12-31");
        let billed_elsewhere = contract_allows("OD-2026/0001", Some(&theirs), &holder, day("2026-06-01"));
        let billed_elsewhere = billed_elsewhere.expect_err("another company's");
        let unknown = contract_allows("OD-2026/0001", None, &holder, day("2026-06-01")).expect_err("unknown");
        assert_eq!(billed_elsewhere, unknown);
        assert!(unknown.starts_with("contract_reference: no contract \"OD-2026/0001\" of UZ/COM/207028220 is in force"));
        assert!(!unknown.contains("UZ/COM/207028221"), "{unknown}");
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
