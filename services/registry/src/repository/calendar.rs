//! The working-day calendar in force: the built-in years, replaced or extended by the years operators loaded
//! (table `calendar_years`). Read from the database for each decision, so every replica uses the same calendar.

use chrono::Utc;
use koprik_proto::registry::{CalendarDay, CalendarYear as CalendarYearMessage};
use koprik_proto::time::timestamp;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::Repository;
use crate::calendar::{Calendar, CalendarError, CalendarYear};
use crate::error::RegistryError;
use crate::events;
use crate::store::calendar_year::{ActiveModel, Column, Entity, Model};

impl From<CalendarError> for RegistryError {
    fn from(error: CalendarError) -> Self {
        RegistryError::FailedPrecondition(error.to_string())
    }
}

/// The calendar in force.
pub(super) async fn calendar_in_force<C: ConnectionTrait>(db: &C) -> Result<Calendar, RegistryError> {
    let mut calendar = Calendar::builtin();
    for row in Entity::find().all(db).await? {
        calendar.insert(parse_stored(&row)?);
    }
    Ok(calendar)
}

fn parse_stored(row: &Model) -> Result<CalendarYear, RegistryError> {
    CalendarYear::parse(&row.content).map_err(|e| {
        RegistryError::Database(sea_orm::DbErr::Custom(format!("stored calendar year {} is invalid: {e}", row.year)))
    })
}

/// A year as a message.
fn message(year: &CalendarYear, loaded: Option<&Model>) -> CalendarYearMessage {
    let days = |map: &std::collections::BTreeMap<chrono::NaiveDate, String>| {
        map.iter().map(|(date, name)| CalendarDay { date: date.to_string(), name: name.clone() }).collect()
    };
    CalendarYearMessage {
        year: year.year,
        source: year.source.clone(),
        days_off: days(&year.days_off),
        working_days: days(&year.working_days),
        builtin: loaded.is_none(),
        loaded_by: loaded.map(|row| row.loaded_by.clone()).unwrap_or_default(),
        loaded_at: loaded.map(|row| timestamp(row.loaded_at)),
    }
}

impl Repository {
    /// The calendar in force now.
    pub async fn calendar(&self) -> Result<Calendar, RegistryError> {
        calendar_in_force(&self.db).await
    }

    /// Loads (or replaces) a year from its file.
    pub async fn load_calendar_year(&self, content: &str, actor: &str) -> Result<CalendarYearMessage, RegistryError> {
        let year = CalendarYear::parse(content)
            .map_err(|e| RegistryError::Invalid(koprik_proto::FieldError::new("content", e.0)))?;
        let row =
            Model { year: year.year, content: content.to_owned(), loaded_by: actor.to_owned(), loaded_at: Utc::now() };
        let txn = self.begin().await?;
        Entity::insert(ActiveModel {
            year: Set(row.year),
            content: Set(row.content.clone()),
            loaded_by: Set(row.loaded_by.clone()),
            loaded_at: Set(row.loaded_at),
        })
        .on_conflict(
            OnConflict::column(Column::Year)
                .update_columns([Column::Content, Column::LoadedBy, Column::LoadedAt])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        let loaded = message(&year, Some(&row));
        events::enqueue(&txn, &loaded).await?;
        self.commit(txn).await?;
        tracing::info!(year = year.year, days_off = year.days_off.len(), actor, "calendar year loaded");
        Ok(loaded)
    }

    /// The years in force, oldest first.
    pub async fn calendar_years(&self) -> Result<Vec<CalendarYearMessage>, RegistryError> {
        let rows = Entity::find().all(&self.db).await?;
        let calendar = calendar_in_force(&self.db).await?;
        Ok(calendar.years().map(|year| message(year, rows.iter().find(|row| row.year == year.year))).collect())
    }
}
