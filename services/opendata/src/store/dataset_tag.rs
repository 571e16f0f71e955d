//! Table `dataset_tags`: the tags (keywords) of each data set.

use sea_orm::entity::prelude::*;

/// One row of `dataset_tags`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dataset_tags")]
pub struct Model {
    /// The data set.
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: String,
    /// One keyword.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag: String,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
