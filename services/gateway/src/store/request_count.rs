//! Table `request_counts`: how many requests a consumer subsystem made to a service in one calendar month
//! (Tashkent time), for the declared monthly maximum (see [`crate::request_quota`]).

use sea_orm::entity::prelude::*;

/// The count of one consumer, service and month.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_counts")]
pub struct Model {
    /// The consumer subsystem's canonical id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub consumer_id: String,
    /// The service's canonical id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: String,
    /// The Tashkent calendar month, `YYYY-MM`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    /// Requests accepted in that month.
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
