//! Table `delivered_exchanges`: the requests whose answer the gateway's audit trail says reached the consumer
//! (`exchange.audit`, outcome DELIVERED, step CALL or ANSWERED), the evidence a usage record needs to be billed.
//! Kept `reconciliation.delivered_retention` after billing stored it, as long as a usage record may lag behind.

use sea_orm::entity::prelude::*;

/// One delivered exchange.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivered_exchanges")]
pub struct Model {
    /// The exchange request id: the idempotency key (one request has one delivering audit record).
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    /// The consumer subsystem the answer went to.
    pub consumer: String,
    /// The service that answered.
    pub service: String,
    /// The audit step (`AUDIT_STEP_CALL` or `AUDIT_STEP_ANSWERED`).
    pub step: String,
    /// The gateway replica whose chain holds the record.
    pub gateway: String,
    /// When the gateway completed the exchange.
    pub delivered_at: DateTimeUtc,
    /// When billing stored it (pruning counts from here).
    pub recorded_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
