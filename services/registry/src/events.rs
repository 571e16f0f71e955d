//! `registry.events`: what the registry tells every cache. Each change writes the entity's whole new state to
//! the outbox in the change's own transaction; [`crate::relay`] publishes it.

use chrono::Utc;
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_proto::events::{registry_event::Entity, RegistryEvent};
use koprik_proto::prost::{Message, Name};
use koprik_proto::registry::{
    Announcement, CalendarYear, ClientCertificate, ConnectionApplication, Grant, InventoryConfirmation, Organization,
    PublicServiceApplication, PublicServiceEntry, Service, SigningKey, Subsystem,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::store::outbox;

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
    let entity = state.entity();
    let key = key(&entity);
    let event_id = uuid::Uuid::now_v7().to_string();
    let now = Utc::now();
    let event = RegistryEvent {
        event_id: event_id.clone(),
        occurred_at: Some(koprik_proto::time::timestamp(now)),
        entity: Some(entity),
    };
    outbox::ActiveModel {
        topic: Set(REGISTRY_EVENTS.to_owned()),
        key: Set(key),
        event_id: Set(event_id),
        event_type: Set(RegistryEvent::full_name()),
        traceparent: Set(None),
        payload: Set(event.encode_to_vec()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::common;

    #[test]
    fn keys_name_the_kind_and_the_canonical_id() {
        let org = Organization {
            id: Some(common::MemberId {
                instance: "UZ".into(),
                member_class: "GOV".into(),
                member_code: "201122919".into(),
            }),
            ..Default::default()
        };
        assert_eq!(key(&org.entity()), "organization/UZ/GOV/201122919");
        let grant = Grant { id: "0190f6a8-0000-7000-8000-000000000000".into(), ..Default::default() };
        assert_eq!(key(&grant.entity()), "grant/0190f6a8-0000-7000-8000-000000000000");
        let entry = PublicServiceEntry { number: 17, ..Default::default() };
        assert_eq!(key(&entry.entity()), "public-service/17");
        let confirmation = InventoryConfirmation { body: org.id.clone(), year: 2026, ..Default::default() };
        assert_eq!(key(&confirmation.entity()), "public-service-inventory/UZ/GOV/201122919/2026");
    }
}
