//! Billing's contracts as the portal knows them (`contracts`), applied from `billing.contracts` exactly once: a
//! batch is one transaction that skips what an earlier batch applied (`consumer_positions`) and stores each
//! contract's latest state.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set, TransactionTrait};

use super::Repository;
use crate::error::Result;
use crate::store::contract;

/// A contract's state as an event carries it, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractState {
    /// The reference.
    pub reference: String,
    /// The billed account's member id.
    pub account: String,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub valid_until: String,
    /// The event id.
    pub event_id: String,
    /// When billing recorded it.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// One record of a `billing.contracts` batch: where it was read, and the contract state it carries (None for a
/// record that cannot be read; it still moves the position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionedContract {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The contract.
    pub contract: Option<ContractState>,
}

/// What applying a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContractsOutcome {
    /// Contract states stored.
    pub applied: u64,
    /// Records skipped because an earlier batch applied them already.
    pub replayed: u64,
}

/// A contract as the portal stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRecord {
    /// The reference.
    pub reference: String,
    /// The billed account's member id.
    pub account: String,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub valid_until: String,
    /// The event that carried this state.
    pub event_id: String,
    /// When the portal stored it.
    pub received_at: DateTime<Utc>,
}

fn record(row: contract::Model) -> ContractRecord {
    ContractRecord {
        reference: row.reference,
        account: row.account,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        event_id: row.event_id,
        received_at: row.received_at,
    }
}

/// The stored contract `reference`, if the portal has it.
pub(super) async fn find(db: &impl ConnectionTrait, reference: &str) -> Result<Option<ContractRecord>> {
    Ok(contract::Entity::find_by_id(reference.to_owned()).one(db).await?.map(record))
}

impl Repository {
    /// Applies a batch of `billing.contracts` records in one transaction: records an earlier batch applied are
    /// skipped, the others store their contract's state (the latest wins; a state read again is the same state).
    pub async fn apply_contracts(&self, batch: &[PositionedContract], now: DateTime<Utc>) -> Result<ContractsOutcome> {
        let mut outcome = ContractsOutcome::default();
        if batch.is_empty() {
            return Ok(outcome);
        }
        let txn = self.db.begin().await?;
        let read: Vec<(String, i32, i64)> = batch.iter().map(|r| (r.topic.clone(), r.partition, r.offset)).collect();
        let positions = super::move_positions(&txn, &read).await?;
        for record in batch {
            if super::applied_before(&positions, &record.topic, record.partition, record.offset) {
                outcome.replayed += 1;
                continue;
            }
            let Some(state) = &record.contract else { continue };
            let row = contract::ActiveModel {
                reference: Set(state.reference.clone()),
                account: Set(state.account.clone()),
                valid_from: Set(state.valid_from.clone()),
                valid_until: Set(state.valid_until.clone()),
                event_id: Set(state.event_id.clone()),
                occurred_at: Set(state.occurred_at),
                received_at: Set(now),
            };
            contract::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(contract::Column::Reference)
                        .update_columns([
                            contract::Column::Account,
                            contract::Column::ValidFrom,
                            contract::Column::ValidUntil,
                            contract::Column::EventId,
                            contract::Column::OccurredAt,
                            contract::Column::ReceivedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            outcome.applied += 1;
        }
        // No outbox event comes with contracts: the relay is not woken.
        txn.commit().await?;
        Ok(outcome)
    }

    /// The contract `reference`, if billing has published it and the portal stored it.
    pub async fn contract(&self, reference: &str) -> Result<Option<ContractRecord>> {
        find(&self.db, reference).await
    }
}
