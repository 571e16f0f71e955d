//! Entries of the Unified Registry: reads, abolition (REG-1 pp. 16-17), the history of an entry or application,
//! and the bulk export behind the public HTTP endpoint.

use std::collections::BTreeMap;

use chrono::Utc;
use koprik_proto::ids::MemberId;
use koprik_proto::prost::Message;
use koprik_proto::registry::{
    Abolition, ChangeMark, EntryApplicationKind, EntryApplicationState, EntryStatus, PublicServiceEntry,
    PublicServiceHistory, StepKind,
};
use koprik_proto::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{mapping, record_step, stored_number, StepRecord};
use crate::domain::paging::Page;
use crate::domain::public_service::deadlines;
use crate::domain::public_service::lifecycle;
use crate::domain::public_service::requests::AbolitionNotice;
use crate::error::RegistryError;
use crate::events;
use crate::repository::Repository;
use crate::store::public_service_entry::{self as entry, Column, Entity};
use crate::store::{
    public_service_application as application, public_service_step as step, public_service_version as version,
};

const KIND: &str = "public service";

/// An entry with, when asked for, its whole history.
pub struct ExportedEntry {
    /// The entry as it stands.
    pub entry: PublicServiceEntry,
    /// Its versions and steps, oldest first.
    pub history: Option<PublicServiceHistory>,
}

async fn find<C: ConnectionTrait>(db: &C, number: i64) -> Result<entry::Model, RegistryError> {
    Entity::find_by_id(number)
        .one(db)
        .await?
        .ok_or_else(|| RegistryError::NotFound { kind: KIND, id: number.to_string() })
}

/// The registered amendments of the entries `numbers`, as change marks by entry, oldest first.
async fn change_marks<C: ConnectionTrait>(
    db: &C,
    numbers: &[i64],
) -> Result<BTreeMap<i64, Vec<ChangeMark>>, RegistryError> {
    let rows = application::Entity::find()
        .filter(application::Column::Number.is_in(numbers.iter().copied()))
        .filter(application::Column::Kind.eq(EntryApplicationKind::Amendment.as_str_name()))
        .filter(application::Column::State.eq(EntryApplicationState::Registered.as_str_name()))
        .order_by_asc(application::Column::RegisteredAt)
        .all(db)
        .await?;
    let mut marks: BTreeMap<i64, Vec<ChangeMark>> = BTreeMap::new();
    for row in &rows {
        if let (Some(number), Some(mark)) = (row.number, mapping::change_mark(row)?) {
            marks.entry(number).or_default().push(mark);
        }
    }
    Ok(marks)
}

/// Entry rows as messages, with their change marks.
async fn messages<C: ConnectionTrait>(db: &C, rows: &[entry::Model]) -> Result<Vec<PublicServiceEntry>, RegistryError> {
    let numbers: Vec<i64> = rows.iter().map(|r| r.number).collect();
    let mut marks = change_marks(db, &numbers).await?;
    rows.iter().map(|row| mapping::entry(row, marks.remove(&row.number).unwrap_or_default())).collect()
}

/// The entry `number` as a message.
pub(super) async fn entry_message<C: ConnectionTrait>(
    db: &C,
    number: i64,
) -> Result<PublicServiceEntry, RegistryError> {
    let row = find(db, number).await?;
    let mut all = messages(db, std::slice::from_ref(&row)).await?;
    all.pop().ok_or_else(|| RegistryError::NotFound { kind: KIND, id: number.to_string() })
}

/// The history of the applications `ids` and, with `number`, the steps taken on the entry itself (its abolition),
/// which belong to no application.
async fn history<C: ConnectionTrait>(
    db: &C,
    ids: Vec<String>,
    number: Option<i64>,
) -> Result<PublicServiceHistory, RegistryError> {
    let versions = version::Entity::find()
        .filter(version::Column::ApplicationId.is_in(ids.clone()))
        .order_by_asc(version::Column::Id)
        .all(db)
        .await?;
    let mut steps = step::Entity::find().order_by_asc(step::Column::Id);
    steps = match number {
        Some(number) => steps.filter(sea_orm::Condition::any().add(step::Column::ApplicationId.is_in(ids)).add(
            sea_orm::Condition::all().add(step::Column::Number.eq(number)).add(step::Column::ApplicationId.is_null()),
        )),
        None => steps.filter(step::Column::ApplicationId.is_in(ids)),
    };
    Ok(PublicServiceHistory {
        entry: None,
        versions: versions.iter().map(mapping::version).collect::<Result<_, _>>()?,
        steps: steps.all(db).await?.iter().map(mapping::step).collect(),
    })
}

/// The page token of an entry list: the last number returned.
fn after_number(page: &Page) -> Result<Option<i64>, FieldError> {
    page.after
        .as_deref()
        .map(|token| token.parse::<i64>().map_err(|_| FieldError::new("page.page_token", "must be a registry number")))
        .transpose()
}

impl Repository {
    /// The competent body of entry `number` as registered: whose it is.
    pub async fn public_service_body(&self, number: u64) -> Result<MemberId, RegistryError> {
        let row = find(&self.db, stored_number(number)).await?;
        row.competent_body.parse().map_err(|e| {
            RegistryError::Database(sea_orm::DbErr::Custom(format!(
                "entry {number}: stored competent body is invalid: {e}"
            )))
        })
    }

    /// One entry, abolished or not.
    pub async fn get_public_service(&self, number: u64) -> Result<PublicServiceEntry, RegistryError> {
        entry_message(&self.db, stored_number(number)).await
    }

    /// A page of entries in number order, abolished ones included, optionally of one competent body.
    pub async fn list_public_services(
        &self,
        page: &Page,
        body: Option<&MemberId>,
    ) -> Result<(Vec<PublicServiceEntry>, String), RegistryError> {
        let mut query = Entity::find().order_by_asc(Column::Number).limit(page.size);
        if let Some(after) = after_number(page)? {
            query = query.filter(Column::Number.gt(after));
        }
        if let Some(body) = body {
            query = query.filter(Column::CompetentBody.eq(body.to_string()));
        }
        let rows = query.all(&self.db).await?;
        let last = rows.last().map(|r| r.number.to_string());
        let next = page.next_token(rows.len(), last.as_deref());
        Ok((messages(&self.db, &rows).await?, next))
    }

    /// REG-1 pp. 16-17: the body notifies the abolition (due within a week of the act); the entry is marked
    /// ABOLISHED with the date and basis, never deleted, and its number is never reassigned.
    pub async fn abolish_public_service(
        &self,
        input: AbolitionNotice,
        actor: &str,
    ) -> Result<PublicServiceEntry, RegistryError> {
        let now = Utc::now();
        let number = stored_number(input.number);
        let due_by = deadlines::abolition_due(input.date);
        let txn = self.begin().await?;
        let current = find(&txn, number).await?;
        lifecycle::check_abolishable(EntryStatus::from_str_name(&current.status).unwrap_or_default())
            .map_err(|e| RegistryError::FailedPrecondition(e.to_string()))?;
        let abolition = Abolition {
            date: input.date.to_string(),
            act: Some(input.act),
            basis: Some(input.basis.clone()),
            notified_at: Some(koprik_proto::time::timestamp(now)),
            due_by: Some(koprik_proto::time::timestamp(due_by)),
            late: deadlines::is_late(now, due_by),
        };
        let updated = Entity::update_many()
            .col_expr(Column::Status, Expr::value(EntryStatus::Abolished.as_str_name()))
            .col_expr(Column::Abolition, Expr::value(abolition.encode_to_vec()))
            .col_expr(Column::Revision, Expr::value(current.revision + 1))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Number.eq(number))
            .filter(Column::Revision.eq(current.revision))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(RegistryError::RevisionMismatch {
                kind: KIND,
                id: number.to_string(),
                expected: current.revision,
                actual: current.revision + 1,
            });
        }
        record_step(
            &txn,
            StepRecord {
                kind: StepKind::Abolished,
                actor,
                at: now,
                due_by: Some(due_by),
                application_id: None,
                number: Some(number),
                detail: &input.basis.uz,
            },
        )
        .await?;
        let entry = entry_message(&txn, number).await?;
        events::enqueue(&txn, &entry).await?;
        self.commit(txn).await?;
        tracing::info!(number, "public service abolished");
        Ok(entry)
    }

    /// The public history of an entry (REG-1 p. 19): the entry, and the versions and steps of the applications
    /// that were registered for it (the one that created it, refused rounds included, and each registered
    /// amendment), with the steps on the entry itself. An amendment under review or refused is the agency's and the
    /// reviewer's business until it is registered: it is read through its application ([`Self::application_history`]).
    pub async fn public_service_history(&self, number: u64) -> Result<PublicServiceHistory, RegistryError> {
        let number = stored_number(number);
        let entry = entry_message(&self.db, number).await?;
        let ids = application::Entity::find()
            .filter(application::Column::Number.eq(number))
            .filter(application::Column::State.eq(EntryApplicationState::Registered.as_str_name()))
            .order_by_asc(application::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        Ok(PublicServiceHistory { entry: Some(entry), ..history(&self.db, ids, Some(number)).await? })
    }

    /// The history of one application: its versions and steps (and its entry once registered).
    pub async fn application_history(&self, id: &str) -> Result<PublicServiceHistory, RegistryError> {
        let row = application::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| RegistryError::NotFound { kind: "public service application", id: id.to_owned() })?;
        let entry = match row.number {
            Some(number) => Some(entry_message(&self.db, number).await?),
            None => None,
        };
        Ok(PublicServiceHistory { entry, ..history(&self.db, vec![row.id], None).await? })
    }

    /// Every entry in number order, abolished ones included, each with its public history when `with_history`
    /// (as [`Self::public_service_history`]: only what registered applications submitted and went through).
    pub async fn export_public_services(&self, with_history: bool) -> Result<Vec<ExportedEntry>, RegistryError> {
        let rows = Entity::find().order_by_asc(Column::Number).all(&self.db).await?;
        let entries = messages(&self.db, &rows).await?;
        if !with_history {
            return Ok(entries.into_iter().map(|entry| ExportedEntry { entry, history: None }).collect());
        }
        // Three queries for the whole registry rather than three per entry.
        let applications = application::Entity::find()
            .filter(application::Column::Number.is_not_null())
            .filter(application::Column::State.eq(EntryApplicationState::Registered.as_str_name()))
            .all(&self.db)
            .await?;
        let number_of: BTreeMap<String, i64> =
            applications.iter().filter_map(|a| a.number.map(|n| (a.id.clone(), n))).collect();
        let mut histories: BTreeMap<i64, PublicServiceHistory> = BTreeMap::new();
        let versions = version::Entity::find().order_by_asc(version::Column::Id).all(&self.db).await?;
        for row in &versions {
            if let Some(number) = number_of.get(&row.application_id) {
                histories.entry(*number).or_default().versions.push(mapping::version(row)?);
            }
        }
        for row in step::Entity::find().order_by_asc(step::Column::Id).all(&self.db).await? {
            // A step of an application counts once that application is registered; one on the entry alone always.
            let number = match &row.application_id {
                Some(id) => number_of.get(id).copied(),
                None => row.number,
            };
            if let Some(number) = number {
                histories.entry(number).or_default().steps.push(mapping::step(&row));
            }
        }
        Ok(entries
            .into_iter()
            .map(|entry| {
                let history = histories.remove(&stored_number(entry.number)).unwrap_or_default();
                ExportedEntry { entry, history: Some(history) }
            })
            .collect())
    }
}
