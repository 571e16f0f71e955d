//! Table `platform_rows`: the latest row per registry entity of the platform's own data sets.

use sea_orm::entity::prelude::*;

/// One row of `platform_rows`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_rows")]
pub struct Model {
    /// The platform data set's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset: String,
    /// The entity key on `registry.events`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The CSV row's cells, JSON array.
    pub row: String,
    /// When the row last changed.
    pub changed_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
