//! Table `consumer_positions`: how far each topic partition has been folded into the statistics, written in the same transaction.

use sea_orm::entity::prelude::*;

/// One row of `consumer_positions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consumer_positions")]
pub struct Model {
    /// The topic.
    #[sea_orm(primary_key, auto_increment = false)]
    pub topic: String,
    /// The partition.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partition: i32,
    /// The next offset to fold.
    pub next_offset: i64,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
