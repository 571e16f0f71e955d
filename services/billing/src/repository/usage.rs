//! Metered usage: storing a batch of usage records, each request id once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set, TransactionTrait};

use super::Repository;
use crate::error::BillingError;
use crate::store::usage_event;

/// Rows per INSERT statement: 9 columns × 2 000 = 18 000 parameters, below SQLite's 32 766 and PostgreSQL's 65 535.
const ROWS_PER_STATEMENT: usize = 2_000;

/// A validated usage record, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// The exchange request id (the idempotency key).
    pub request_id: String,
    /// The consumer member billed.
    pub account: String,
    /// The contract reference.
    pub contract_reference: String,
    /// The service's canonical id.
    pub service: String,
    /// The providing member's canonical id.
    pub provider: String,
    /// The legal time of receipt.
    pub received_at: DateTime<Utc>,
    /// The gateway replica.
    pub gateway: String,
}

impl Repository {
    /// Stores `rows` in one transaction, ignoring request ids stored before; returns how many were new.
    pub async fn insert_usage(&self, rows: &[UsageRow]) -> Result<u64, BillingError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let mut inserted = 0;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let models = chunk.iter().map(|row| usage_event::ActiveModel {
                request_id: Set(row.request_id.clone()),
                account: Set(row.account.clone()),
                contract_reference: Set(row.contract_reference.clone()),
                service: Set(row.service.clone()),
                provider: Set(row.provider.clone()),
                received_at: Set(row.received_at),
                gateway: Set(row.gateway.clone()),
                recorded_at: Set(now),
                invoice_number: Set(None),
            });
            inserted += usage_event::Entity::insert_many(models)
                .on_conflict(OnConflict::column(usage_event::Column::RequestId).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(inserted)
    }
}
