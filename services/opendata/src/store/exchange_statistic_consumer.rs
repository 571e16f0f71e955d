//! Table `exchange_statistic_consumers`: which consumers used a service on a day (only their number is published).

use sea_orm::entity::prelude::*;

/// One row of `exchange_statistic_consumers`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange_statistic_consumers")]
pub struct Model {
    /// YYYY-MM-DD, Tashkent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    /// The provider member id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    /// The service id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service: String,
    /// The consumer subsystem id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub consumer: String,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
