//! Billing's reads and writes. Every change runs in one database transaction together with its ledger
//! transaction and its outbox events, then wakes the relay. Changes to one account (issuing, paying, voiding,
//! going overdue) first lock the account's row, so concurrent changes of one account run one after another on
//! PostgreSQL (SQLite serialises every transaction anyway).

mod base_amounts;
mod contracts;
mod figures;
mod invoices;
mod payments;
mod reconciliation;
mod revenue;
mod usage;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use koprik_proto::events::AccountStanding;
use koprik_proto::ids::MemberId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};
use tokio::sync::Notify;

use crate::billing_period::Period;
use crate::error::BillingError;
use crate::ledger::Transaction;
use crate::store::{account, invoice, ledger_entry};

pub(crate) use contracts::to_proto as contract_to_proto;
pub use figures::{LedgerFigures, INVOICE_STATUSES};
pub use invoices::{status_of, stored_status, IssueOutcome, STATUS_ISSUED, STATUS_OVERDUE, STATUS_PAID, STATUS_VOID};
pub use reconciliation::{DeliveredRow, HeldFilter, Judged};
pub use usage::UsageRow;

/// Billing's data access, shared by the gRPC API, metering and the invoicing loop.
#[derive(Clone)]
pub struct Repository {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

/// Account standings as stored.
const CURRENT: &str = "current";
const OVERDUE: &str = "overdue";

impl Repository {
    /// A repository over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// The database, for readers outside the repository (tests, benchmarks).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    async fn begin(&self) -> Result<DatabaseTransaction, BillingError> {
        Ok(self.db.begin().await?)
    }

    /// Commits a change and tells the relay there is something to publish.
    async fn commit(&self, txn: DatabaseTransaction) -> Result<(), BillingError> {
        txn.commit().await?;
        self.relay.notify_one();
        Ok(())
    }
}

/// The account's row, created current when missing, locked until the transaction ends.
async fn lock_account(
    txn: &DatabaseTransaction,
    account: &str,
    now: DateTime<Utc>,
) -> Result<account::Model, BillingError> {
    let fresh = account::ActiveModel {
        account: Set(account.to_owned()),
        standing: Set(CURRENT.to_owned()),
        credit_tiyin: Set(0),
        changed_at: Set(now),
    };
    account::Entity::insert(fresh)
        .on_conflict(OnConflict::column(account::Column::Account).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    account::Entity::find_by_id(account.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| BillingError::NotFound { kind: "account", id: account.to_owned() })
}

/// Changes the account's credit by `delta` tiyin.
async fn add_credit(
    txn: &DatabaseTransaction,
    account: &account::Model,
    delta: i64,
    now: DateTime<Utc>,
) -> Result<account::Model, BillingError> {
    let mut active: account::ActiveModel = account.clone().into();
    active.credit_tiyin = Set(account.credit_tiyin + delta);
    active.changed_at = Set(now);
    Ok(active.update(txn).await?)
}

/// Writes a balanced ledger transaction.
async fn post(
    txn: &DatabaseTransaction,
    transaction: &Transaction,
    invoice_number: Option<&str>,
    payment_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), BillingError> {
    let id = uuid::Uuid::now_v7().to_string();
    let period = Period::of(now).to_string();
    let rows: Vec<ledger_entry::ActiveModel> = transaction
        .entries()
        .iter()
        .map(|entry| ledger_entry::ActiveModel {
            transaction_id: Set(id.clone()),
            ledger_account: Set(entry.account.clone()),
            debit_tiyin: Set(entry.debit),
            credit_tiyin: Set(entry.credit),
            invoice_number: Set(invoice_number.map(str::to_owned)),
            payment_id: Set(payment_id.map(str::to_owned)),
            memo: Set(transaction.memo.to_owned()),
            posted_at: Set(now),
            period: Set(period.clone()),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        ledger_entry::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Sets the account's standing from its invoices (A2 §25: overdue while any invoice is) and reports a change on
/// `billing.account-status`.
async fn restate_standing(
    txn: &DatabaseTransaction,
    account: &account::Model,
    contract_reference: &str,
    now: DateTime<Utc>,
) -> Result<(), BillingError> {
    let overdue: Vec<String> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Number)
        .filter(invoice::Column::Account.eq(&account.account))
        .filter(invoice::Column::Status.eq(STATUS_OVERDUE))
        .into_tuple()
        .all(txn)
        .await?;
    let standing = if overdue.is_empty() { CURRENT } else { OVERDUE };
    if standing == account.standing {
        return Ok(());
    }
    let member: MemberId = account
        .account
        .parse()
        .map_err(|e: koprik_proto::FieldError| BillingError::FailedPrecondition(format!("stored account: {e}")))?;
    let mut active: account::ActiveModel = account.clone().into();
    active.standing = Set(standing.to_owned());
    active.changed_at = Set(now);
    active.update(txn).await?;
    let (standing, reason) = if overdue.is_empty() {
        (AccountStanding::Current, "every invoice is paid or voided".to_owned())
    } else {
        (AccountStanding::Overdue, format!("invoice {} unpaid after its due date", overdue.join(", ")))
    };
    crate::events::account_status(txn, &member, standing, &reason, contract_reference, now).await?;
    Ok(())
}
