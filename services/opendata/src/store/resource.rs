//! Table `resources`: the downloadable resources (one per format) of each version.

use sea_orm::entity::prelude::*;

/// One row of `resources`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resources")]
pub struct Model {
    /// A UUIDv7 (CKAN's resource id).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The version.
    pub version_id: String,
    /// The data set.
    pub dataset_id: String,
    /// "csv", "json", "xml" or "xlsx".
    pub format: String,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
