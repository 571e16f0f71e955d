//! The transactional outbox. A service that must both change its database and publish an event writes the event
//! into its `outbox` table in the change's own transaction; [`relay`] publishes committed rows in order and deletes
//! each once the broker acknowledged it. A change and its event can therefore never disagree, without Kafka
//! transactions (which the development broker does not have). Delivery is at least once: consumers are
//! idempotent on the `koprik-event-id` header.
//!
//! # Layout
//! - [`store`]: the `outbox` table.
//! - [`relay`]: the publisher, with its metrics.
//! - [`config`]: how the relay polls.

pub mod config;
pub mod relay;
pub mod store;

use chrono::Utc;
use koprik_proto::prost::{Message, Name};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use sea_orm_migration::prelude::{ColumnDef, DeriveIden, Table, TableCreateStatement};

pub use config::OutboxConfig;
pub use relay::RelayMetrics;

/// Writes `message` for `topic` under `key` to the outbox, inside the caller's transaction, with the headers
/// `koprik-event-id` = `event_id` and `koprik-type` = the message's full protobuf name.
pub async fn enqueue<C: ConnectionTrait, M: Message + Name>(
    db: &C,
    topic: &str,
    key: &str,
    event_id: &str,
    message: &M,
    traceparent: Option<&str>,
) -> Result<(), DbErr> {
    store::ActiveModel {
        topic: Set(topic.to_owned()),
        key: Set(key.to_owned()),
        event_id: Set(event_id.to_owned()),
        event_type: Set(M::full_name()),
        traceparent: Set(traceparent.map(str::to_owned)),
        payload: Set(message.encode_to_vec()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The `CREATE TABLE outbox` statement, for a service's first migration.
pub fn create_table() -> TableCreateStatement {
    Table::create()
        .table(Outbox::Table)
        .col(ColumnDef::new(Outbox::Id).big_integer().not_null().auto_increment().primary_key())
        .col(ColumnDef::new(Outbox::Topic).string().not_null())
        .col(ColumnDef::new(Outbox::Key).string().not_null())
        .col(ColumnDef::new(Outbox::EventId).string().not_null())
        .col(ColumnDef::new(Outbox::EventType).string().not_null())
        .col(ColumnDef::new(Outbox::Traceparent).string())
        .col(ColumnDef::new(Outbox::Payload).binary().not_null())
        .col(ColumnDef::new(Outbox::CreatedAt).timestamp_with_time_zone().not_null())
        .to_owned()
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Topic,
    Key,
    EventId,
    EventType,
    Traceparent,
    Payload,
    CreatedAt,
}
