//! Table `ledger_entries`: the double-entry ledger (see [`crate::ledger`]).

use sea_orm::entity::prelude::*;

/// One entry of a balanced transaction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    /// Order of posting.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The transaction (UUIDv7).
    pub transaction_id: String,
    /// The ledger account.
    pub ledger_account: String,
    /// Debited.
    pub debit_tiyin: i64,
    /// Credited.
    pub credit_tiyin: i64,
    /// The invoice concerned.
    pub invoice_number: Option<String>,
    /// The payment concerned.
    pub payment_id: Option<String>,
    /// What the transaction records.
    pub memo: String,
    /// When.
    pub posted_at: DateTimeUtc,
    /// The Tashkent month of `posted_at`, `YYYY-MM`, for reports.
    pub period: String,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
