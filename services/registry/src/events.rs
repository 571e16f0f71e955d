//! `registry.events`: what the registry tells every cache. Each change writes the entity's whole new state to
//! the outbox in the change's own transaction; [`koprik_outbox::relay`] publishes it. Between the changes, the
//! registry's heartbeat goes through the same outbox ([`enqueue_heartbeat`]).

use chrono::{DateTime, Utc};
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_proto::events::{registry_event::Entity, RegistryEvent, RegistryHeartbeat};
use koprik_proto::registry::{
    Announcement, CalendarYear, ClientCertificate, ConnectionApplication, Grant, InventoryConfirmation, Organization,
    PublicServiceApplication, PublicServiceEntry, Service, SigningKey, Subsystem,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// The Kafka key of every registry heartbeat: one key, so compaction keeps only the latest.
pub const HEARTBEAT_KEY: &str = "heartbeat/registry";

/// The Kafka key of an entity: `<kind>/<canonical id>`, so compaction keeps one record per entity.
pub fn key(entity: &Entity) -> String {
    fn text<T: std::fmt::Display>(kind: &str, id: Option<Result<T, koprik_proto::FieldError>>) -> String {
        match id {
            Some(Ok(id)) => format!("{kind}/{id}"),
            _ => format!("{kind}/?"),
        }
    }
    use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
    match entity {
        Entity::Organization(o) => text("organization", o.id.as_ref().map(MemberId::try_from)),
        Entity::Subsystem(s) => text("subsystem", s.id.as_ref().map(SubsystemId::try_from)),
        Entity::Service(s) => text("service", s.id.as_ref().map(ServiceId::try_from)),
        Entity::Grant(g) => format!("grant/{}", g.id),
        Entity::Application(a) => format!("application/{}", a.id),
        Entity::Announcement(a) => format!("announcement/{}", a.id),
        Entity::CalendarYear(y) => format!("calendar-year/{}", y.year),
        Entity::PublicService(e) => format!("public-service/{}", e.number),
        Entity::PublicServiceApplication(a) => format!("public-service-application/{}", a.id),
        Entity::PublicServiceInventory(c) => {
            format!("{}/{}", text("public-service-inventory", c.body.as_ref().map(MemberId::try_from)), c.year)
        }
        Entity::Certificate(c) => format!("certificate/{}", c.serial),
        Entity::SigningKey(k) => format!("signing-key/{}", k.key_id),
        Entity::Heartbeat(_) => HEARTBEAT_KEY.to_owned(),
    }
}

/// Something whose new state is published on `registry.events`.
pub trait Published {
    /// The event payload for this state.
    fn entity(&self) -> Entity;
}

macro_rules! published {
    ($($message:ident => $variant:ident),* $(,)?) => {
        $(impl Published for $message {
            fn entity(&self) -> Entity {
                Entity::$variant(self.clone())
            }
        })*
    };
}

published!(
    Organization => Organization,
    Subsystem => Subsystem,
    Service => Service,
    Grant => Grant,
    ConnectionApplication => Application,
    Announcement => Announcement,
    CalendarYear => CalendarYear,
    PublicServiceEntry => PublicService,
    PublicServiceApplication => PublicServiceApplication,
    InventoryConfirmation => PublicServiceInventory,
    SigningKey => SigningKey,
    ClientCertificate => Certificate,
);

/// Writes the event for `state` to the outbox, inside the caller's transaction.
pub async fn enqueue<C: ConnectionTrait>(db: &C, state: &impl Published) -> Result<(), DbErr> {
    write(db, state.entity(), Utc::now()).await
}

/// Writes a heartbeat written at `at` to the outbox, inside the caller's transaction, in place of any heartbeat
/// still waiting there. The relay publishes the outbox oldest first, so once this heartbeat is on the topic every
/// change committed before `at` is too. One that is still waiting (the broker is down, the relay wedged) proves
/// nothing newer than the one replacing it, so the outbox holds at most one heartbeat however long an outage lasts.
pub async fn enqueue_heartbeat<C: ConnectionTrait>(db: &C, at: DateTime<Utc>) -> Result<(), DbErr> {
    use koprik_outbox::store::{Column, Entity as Outbox};
    Outbox::delete_many()
        .filter(Column::Topic.eq(REGISTRY_EVENTS))
        .filter(Column::Key.eq(HEARTBEAT_KEY))
        .exec(db)
        .await?;
    let heartbeat = RegistryHeartbeat { at: Some(koprik_proto::time::timestamp(at)) };
    write(db, Entity::Heartbeat(heartbeat), at).await
}

async fn write<C: ConnectionTrait>(db: &C, entity: Entity, at: DateTime<Utc>) -> Result<(), DbErr> {
    let key = key(&entity);
    let event_id = uuid::Uuid::now_v7().to_string();
    let event = RegistryEvent {
        event_id: event_id.clone(),
        occurred_at: Some(koprik_proto::time::timestamp(at)),
        entity: Some(entity),
    };
    koprik_outbox::enqueue(db, REGISTRY_EVENTS, &key, &event_id, &event, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_has_one_key() {
        let heartbeat = Entity::Heartbeat(RegistryHeartbeat { at: Some(koprik_proto::time::timestamp(Utc::now())) });
        assert_eq!(key(&heartbeat), "heartbeat/registry");
        assert_eq!(key(&Entity::Heartbeat(RegistryHeartbeat::default())), HEARTBEAT_KEY);
    }
}
