//! Table `outbox`: events written in the same transaction as the change they describe, published to Kafka by
//! the relay and then deleted. This is how a change and its event can never disagree without Kafka transactions.

use sea_orm::entity::prelude::*;

/// An event waiting to be published.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Publication order.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The topic to publish to.
    pub topic: String,
    /// The record key.
    pub key: String,
    /// The `koprik-event-id` header.
    pub event_id: String,
    /// The `koprik-type` header.
    pub event_type: String,
    /// The `traceparent` header.
    pub traceparent: Option<String>,
    /// The encoded protobuf value.
    pub payload: Vec<u8>,
    /// When the event was written.
    pub created_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
