//! Table `accounts`: each DDP account's standing and credit (see [`crate::late_payment`]).

use sea_orm::entity::prelude::*;

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    /// The consumer member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account: String,
    /// `current` or `overdue`.
    pub standing: String,
    /// Money held for the account.
    pub credit_tiyin: i64,
    /// Last change.
    pub changed_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
