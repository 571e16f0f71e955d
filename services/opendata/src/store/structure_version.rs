//! Table `structure_versions`: every structure version of every data set.

use sea_orm::entity::prelude::*;

/// One row of `structure_versions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "structure_versions")]
pub struct Model {
    /// The data set.
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: String,
    /// 1, 2, ...
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
    /// The fields, JSON.
    pub fields: String,
    /// When it was defined.
    pub created_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
