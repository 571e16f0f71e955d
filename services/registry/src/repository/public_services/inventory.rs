//! The yearly re-inventory (REG-1 p. 21): each body confirms its entries by 1 October; the report shows per body
//! its live entries and whether and when it confirmed.

use std::collections::BTreeMap;

use chrono::Utc;
use koprik_proto::ids::MemberId;
use koprik_proto::registry::{BodyInventory, EntryStatus, InventoryConfirmation, ReinventoryReportResponse};
use koprik_proto::time::timestamp;
use koprik_proto::FieldError;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{mapping, wire_number};
use crate::domain::public_service::deadlines;
use crate::domain::public_service::requests::InventoryInput;
use crate::error::RegistryError;
use crate::events;
use crate::repository::{member_roles, Repository};
use crate::store::public_service_entry as entry;
use crate::store::public_service_inventory::{ActiveModel, Column, Entity};

fn due(year: i32) -> Result<chrono::DateTime<Utc>, RegistryError> {
    deadlines::inventory_due(year).ok_or_else(|| FieldError::new("year", "is out of range").into())
}

impl Repository {
    /// REG-1 p. 21: a body confirms its re-inventory for a year. Confirming again returns the first confirmation
    /// unchanged, so a retried request cannot move the recorded time past the deadline.
    pub async fn confirm_inventory(
        &self,
        input: InventoryInput,
        actor: &str,
    ) -> Result<InventoryConfirmation, RegistryError> {
        let now = Utc::now();
        let due_by = due(input.year)?;
        let body = input.body.to_string();
        let txn = self.begin().await?;
        member_roles(&txn, &input.body).await?;
        if let Some(existing) = Entity::find_by_id((body.clone(), input.year)).one(&txn).await? {
            return mapping::inventory(&existing);
        }
        let row = ActiveModel {
            body: Set(body.clone()),
            year: Set(input.year),
            confirmed_at: Set(now),
            actor: Set(actor.to_owned()),
            due_by: Set(due_by),
            late: Set(deadlines::is_late(now, due_by)),
        }
        .insert(&txn)
        .await
        .map_err(|e| crate::error::on_insert(e, "inventory confirmation", &format!("{body} {}", input.year)))?;
        let confirmation = mapping::inventory(&row)?;
        events::enqueue(&txn, &confirmation).await?;
        self.commit(txn).await?;
        tracing::info!(body = %body, year = input.year, late = row.late, "re-inventory confirmed");
        Ok(confirmation)
    }

    /// REG-1 p. 21: per competent body, its live entries now and its confirmation for `year`; a body that did not
    /// confirm is `missing` once the deadline has passed, one that confirmed after it is `late`.
    pub async fn reinventory_report(&self, year: i32) -> Result<ReinventoryReportResponse, RegistryError> {
        let now = Utc::now();
        let due_by = due(year)?;
        let live = entry::Entity::find()
            .filter(entry::Column::Status.eq(EntryStatus::Live.as_str_name()))
            .order_by_asc(entry::Column::Number)
            .all(&self.db)
            .await?;
        let mut bodies: BTreeMap<String, BodyInventory> = BTreeMap::new();
        for row in &live {
            bodies.entry(row.competent_body.clone()).or_default().live_entries.push(wire_number(row.number));
        }
        for row in Entity::find().filter(Column::Year.eq(year)).all(&self.db).await? {
            let body = bodies.entry(row.body.clone()).or_default();
            body.confirmed = true;
            body.confirmed_at = Some(timestamp(row.confirmed_at));
            body.confirmed_by = row.actor.clone();
            body.late = row.late;
        }
        let mut report = Vec::with_capacity(bodies.len());
        for (id, mut body) in bodies {
            let member: MemberId = id.parse().map_err(|e| {
                RegistryError::Database(sea_orm::DbErr::Custom(format!("stored member id {id:?} is invalid: {e}")))
            })?;
            body.body = Some((&member).into());
            body.missing = !body.confirmed && now > due_by;
            report.push(body);
        }
        Ok(ReinventoryReportResponse {
            year: u32::try_from(year).unwrap_or(0),
            due_by: Some(timestamp(due_by)),
            bodies: report,
        })
    }
}
