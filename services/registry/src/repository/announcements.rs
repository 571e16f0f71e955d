//! Provider announcements: planned changes and technical works, checked for their lead time (A1 §23, A2 §22),
//! and listed per service or for everything a consumer holds a live grant on.

use chrono::Utc;
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::{Announcement, AnnouncementKind, GrantStatus};
use koprik_proto::time::{timestamp, to_datetime};
use koprik_proto::FieldError;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{calendar::calendar_in_force, find, Repository};
use crate::domain::provider_announcement::{self, LeadError};
use crate::domain::text;
use crate::error::RegistryError;
use crate::events;
use crate::store::announcement::{ActiveModel, Column, Entity, Model};
use crate::store::{grant, service};

fn message(row: &Model) -> Result<Announcement, RegistryError> {
    let service: ServiceId = row
        .service_id
        .parse()
        .map_err(|e| RegistryError::Database(sea_orm::DbErr::Custom(format!("stored service id is invalid: {e}"))))?;
    Ok(Announcement {
        id: row.id.clone(),
        service: Some((&service).into()),
        kind: AnnouncementKind::from_str_name(&row.kind).unwrap_or_default() as i32,
        starts_at: Some(timestamp(row.starts_at)),
        ends_at: row.ends_at.map(timestamp),
        summary: row.summary.clone(),
        letter_reference: row.letter_reference.clone(),
        actor: row.actor.clone(),
        announced_at: Some(timestamp(row.announced_at)),
    })
}

impl From<LeadError> for RegistryError {
    fn from(error: LeadError) -> Self {
        match error {
            LeadError::Invalid(field) => RegistryError::Invalid(field),
            LeadError::Calendar(calendar) => calendar.into(),
        }
    }
}

impl Repository {
    /// Records an announcement whose lead time satisfies A1 §23 / A2 §22, announced by `actor` (the `actor` of
    /// `wire` is ignored).
    pub async fn create_announcement(&self, wire: &Announcement, actor: &str) -> Result<Announcement, RegistryError> {
        let within = |e: FieldError| e.within("announcement");
        let service: ServiceId = koprik_proto::field::required(wire.service.as_ref(), "service").map_err(within)?;
        let kind = AnnouncementKind::try_from(wire.kind).unwrap_or_default();
        let starts_at = wire
            .starts_at
            .as_ref()
            .ok_or_else(|| within(FieldError::missing("starts_at")))
            .and_then(|t| to_datetime(t).map_err(|e| within(e.within("starts_at"))))?;
        let ends_at =
            wire.ends_at.as_ref().map(|t| to_datetime(t).map_err(|e| within(e.within("ends_at")))).transpose()?;
        let summary = text::name(&wire.summary, "summary").map_err(within)?;
        let letter_reference = text::name(&wire.letter_reference, "letter_reference").map_err(|e| {
            within(FieldError::new(e.field, "is required: the announcement is made in writing (A1 §23)"))
        })?;
        let txn = self.begin().await?;
        find::<service::Entity, _>(&txn, &service.to_string())
            .await
            .map_err(|_| RegistryError::FailedPrecondition(format!("service {service} is not registered")))?;
        let now = Utc::now();
        provider_announcement::check(kind, now, starts_at, ends_at, &calendar_in_force(&txn).await?)?;
        let row = ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            service_id: Set(service.to_string()),
            kind: Set(kind.as_str_name().to_owned()),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            summary: Set(summary),
            letter_reference: Set(letter_reference),
            actor: Set(actor.to_owned()),
            announced_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let announcement = message(&row)?;
        events::enqueue(&txn, &announcement).await?;
        self.commit(txn).await?;
        tracing::info!(service = %service, kind = kind.as_str_name(), "announcement recorded");
        Ok(announcement)
    }

    /// Announcements of `service`, or of every service `consumer` holds a live grant on, soonest first.
    pub async fn list_announcements(
        &self,
        service: Option<&ServiceId>,
        consumer: Option<&SubsystemId>,
        include_past: bool,
    ) -> Result<Vec<Announcement>, RegistryError> {
        let mut services: Vec<String> = service.map(ToString::to_string).into_iter().collect();
        if let Some(consumer) = consumer {
            let grants = grant::Entity::find()
                .filter(grant::Column::ConsumerId.eq(consumer.to_string()))
                .filter(grant::Column::Status.ne(GrantStatus::Revoked.as_str_name()))
                .all(&self.db)
                .await?;
            services.extend(grants.into_iter().map(|g| g.service_id));
        }
        if service.is_none() && consumer.is_none() {
            return Err(FieldError::new("service", "or consumer is required").into());
        }
        let mut query = Entity::find().filter(Column::ServiceId.is_in(services)).order_by_asc(Column::StartsAt);
        if !include_past {
            let now = Utc::now();
            query = query.filter(Condition::any().add(Column::StartsAt.gte(now)).add(Column::EndsAt.gte(now)));
        }
        query.all(&self.db).await?.iter().map(message).collect()
    }
}
