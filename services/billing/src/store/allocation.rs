//! Table `allocations`: money applied to an invoice, from a payment or from the account's credit.

use sea_orm::entity::prelude::*;

/// One application of money to an invoice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "allocations")]
pub struct Model {
    /// Order of allocation.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The invoice paid.
    pub invoice_number: String,
    /// The payment; none when the account's credit was applied.
    pub payment_id: Option<String>,
    /// The amount applied.
    pub amount_tiyin: i64,
    /// When.
    pub allocated_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
