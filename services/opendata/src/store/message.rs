//! Table `messages`: users' messages about data sets.

use sea_orm::entity::prelude::*;

/// One row of `messages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    /// A UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The data set.
    pub dataset_id: String,
    /// Who wrote.
    pub author: String,
    /// How to answer them.
    pub contact: String,
    /// The text.
    pub body: String,
    /// When it arrived.
    pub received_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
