//! Table `demand`: views and downloads per data set per day (Tashkent).

use sea_orm::entity::prelude::*;

/// One row of `demand`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demand")]
pub struct Model {
    /// The data set.
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: String,
    /// YYYY-MM-DD.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    /// Page and API views.
    pub views: i64,
    /// Downloads in any format.
    pub downloads: i64,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
