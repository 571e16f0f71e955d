//! Table `invoices`: issued invoices (drafts are computed, never stored).

use sea_orm::entity::prelude::*;

/// One issued invoice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    /// 14 digits (see [`crate::invoice_number`]).
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: String,
    /// The consumer member billed.
    pub account: String,
    /// The contract.
    pub contract_reference: String,
    /// `YYYY-MM`.
    pub period: String,
    /// `issued`, `paid`, `overdue` or `void`.
    pub status: String,
    /// Requests billed.
    pub requests: i64,
    /// The sum of the lines.
    pub total_tiyin: i64,
    /// Paid so far.
    pub paid_tiyin: i64,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    /// When it was issued.
    pub issued_at: DateTimeUtc,
    /// When it was paid in full.
    pub paid_at: Option<DateTimeUtc>,
    /// JSON array of notes (late usage carried in).
    pub notes: String,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// The credit note that voided it.
    pub credit_note_number: Option<String>,
    /// Who voided it: the identity of the operator's certificate.
    pub voided_by: Option<String>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
