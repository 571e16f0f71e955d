//! Billing's contracts, as the portal needs them to issue API keys (OD §8, §21: commercial API use is under
//! contract): `billing.contracts` (compacted, keyed by reference, every recorded contract's whole state) is read by
//! the consumer group `contracts.group` into the portal's `contracts` table, exactly once: each batch is one
//! transaction that skips what was applied before (`consumer_positions`) and stores the latest state of each
//! contract; offsets are committed after it. A record that cannot be read is logged and skipped (it still moves
//! the position); a database that is down is retried with a growing pause.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use koprik_kafka::consumer::{group_consumer, next_batch};
use koprik_kafka::rdkafka::message::OwnedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::topics::BILLING_CONTRACTS;
use koprik_kafka::KafkaConfig;
use koprik_proto::events::ContractEvent;
use koprik_proto::ids::MemberId;
use tokio_util::sync::CancellationToken;

use crate::platform_data::{commit_batch, retry};
use crate::repository::{ContractState, PositionedContract, Repository};

/// The most records taken into one batch (one database transaction).
const BATCH_SIZE: usize = 500;
/// How long a batch waits for more records after its first one.
const BATCH_LINGER: Duration = Duration::from_millis(20);

/// Reads `billing.contracts` (group `group`) into the `contracts` table until `shutdown`.
pub async fn run(
    repository: Repository,
    kafka: KafkaConfig,
    group: String,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let consumer = group_consumer(&kafka, &group, &[BILLING_CONTRACTS])?;
    while let Some(batch) = next_batch(&consumer, BATCH_SIZE, BATCH_LINGER, &shutdown).await {
        let contracts = positioned(&batch);
        let now = Utc::now();
        let Some(outcome) = retry("store contracts", &shutdown, || repository.apply_contracts(&contracts, now)).await
        else {
            break;
        };
        commit_batch(&consumer, &batch);
        tracing::debug!(applied = outcome.applied, replayed = outcome.replayed, "contracts stored");
    }
    Ok(())
}

/// Every record of a batch with where it was read and the contract it carries (None when it cannot be read).
fn positioned(batch: &[OwnedMessage]) -> Vec<PositionedContract> {
    batch
        .iter()
        .map(|record| {
            let contract = match koprik_kafka::decode::<ContractEvent>(record) {
                Ok(received) => match state_of(&received.value) {
                    Ok(state) => Some(state),
                    Err(e) => {
                        tracing::error!(key = %received.key, offset = received.offset, error = %e, "contract skipped");
                        None
                    }
                },
                Err(e) => {
                    tracing::error!(error = %e, "contract record not decodable; skipped");
                    None
                }
            };
            PositionedContract {
                topic: record.topic().to_owned(),
                partition: record.partition(),
                offset: record.offset(),
                contract,
            }
        })
        .collect()
}

/// The contract state an event carries, checked: a reference, an account that is a member id, and two dates.
pub fn state_of(event: &ContractEvent) -> Result<ContractState, String> {
    let contract = event.contract.as_ref().ok_or("ContractEvent.contract: is required")?;
    if contract.reference.trim().is_empty() {
        return Err("ContractEvent.contract.reference: is required".into());
    }
    let account =
        contract.account.as_ref().ok_or_else(|| "ContractEvent.contract.account: is required".to_owned()).and_then(
            |account| MemberId::try_from(account).map_err(|e| format!("ContractEvent.contract.account: {e}")),
        )?;
    for (field, value) in [("valid_from", &contract.valid_from), ("valid_until", &contract.valid_until)] {
        if NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() {
            return Err(format!("ContractEvent.contract.{field}: must be a date YYYY-MM-DD, got {value:?}"));
        }
    }
    Ok(ContractState {
        reference: contract.reference.clone(),
        account: account.to_string(),
        valid_from: contract.valid_from.clone(),
        valid_until: contract.valid_until.clone(),
        event_id: event.event_id.clone(),
        occurred_at: event.occurred_at.as_ref().and_then(koprik_proto::time::datetime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::billing::Contract;

    fn event(account: &str, from: &str) -> ContractEvent {
        let member: MemberId = account.parse().expect("member");
        ContractEvent {
            event_id: "e-1".into(),
            contract: Some(Contract {
                reference: "OD-2026/0001".into(),
                account: Some((&member).into()),
                valid_from: from.into(),
                valid_until: "2026-12-31".into(),
                ..Contract::default()
            }),
            occurred_at: None,
        }
    }

    #[test]
    fn a_contract_event_becomes_a_checked_state() {
        let state = state_of(&event("UZ/COM/207028220", "2026-01-01")).expect("valid");
        assert_eq!((state.account.as_str(), state.valid_from.as_str()), ("UZ/COM/207028220", "2026-01-01"));
        let bad = state_of(&event("UZ/COM/207028220", "1 January")).expect_err("no date");
        assert!(bad.starts_with("ContractEvent.contract.valid_from:"), "{bad}");
        assert!(state_of(&ContractEvent::default()).is_err());
    }
}
