//! Table `exchange_statistics`: exchange counts and latencies per day, provider and service.

use sea_orm::entity::prelude::*;

/// One row of `exchange_statistics`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange_statistics")]
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
    /// Requests.
    pub requests: i64,
    /// Answered.
    pub delivered: i64,
    /// Refused by the platform or malformed.
    pub refused: i64,
    /// Provider errors, time-outs and platform failures.
    pub failed: i64,
    /// Sum of receipt-to-completion times.
    pub latency_sum_ms: i64,
    /// The longest.
    pub latency_max_ms: i64,
    /// Counts per latency bucket, JSON array.
    pub latency_buckets: String,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
