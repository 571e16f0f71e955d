//! Table `proposals`: users' proposals for new data sets and their forwarding.

use sea_orm::entity::prelude::*;

/// One row of `proposals`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposals")]
pub struct Model {
    /// A UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// What data is asked for.
    pub title: String,
    /// Why, and in what detail.
    pub description: String,
    /// The supplier the proposer named (may be empty).
    pub suggested_supplier: String,
    /// Who proposed.
    pub author: String,
    /// How to answer them.
    pub contact: String,
    /// When it arrived.
    pub received_at: DateTimeUtc,
    /// One day after receipt.
    pub forward_due: DateTimeUtc,
    /// When it was forwarded.
    pub forwarded_at: Option<DateTimeUtc>,
    /// The supplier it was forwarded to.
    pub forwarded_to: Option<String>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
