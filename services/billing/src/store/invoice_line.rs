//! Table `invoice_lines`: the priced lines of each issued invoice (see [`crate::rating`]).

use sea_orm::entity::prelude::*;

/// One line.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    /// The invoice.
    #[sea_orm(primary_key, auto_increment = false)]
    pub invoice_number: String,
    /// 1-based position on the invoice.
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_no: i32,
    /// The service's canonical id.
    pub service: String,
    /// The providing member.
    pub provider: String,
    /// 1-based tier index.
    pub tier: i32,
    /// The tier's rate.
    pub rate_basis_points: i32,
    /// The BCA applied.
    pub base_amount_tiyin: i64,
    /// How many requests.
    pub requests: i64,
    /// Price per request.
    pub unit_price_tiyin: i64,
    /// requests × unit price.
    pub amount_tiyin: i64,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
