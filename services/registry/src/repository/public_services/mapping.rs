//! Stored public-service rows to wire messages. Content, change marks and abolitions are stored as encoded
//! protobuf, so a stored version reads back exactly as it was submitted; enums are stored as protobuf names.

use chrono::{DateTime, Utc};
use koprik_proto::ids::MemberId;
use koprik_proto::prost::Message;
use koprik_proto::registry::{
    Abolition, ChangeMark, ContentVersion, EntryApplicationKind, EntryApplicationState, EntryStatus,
    InventoryConfirmation, Meta, PublicServiceApplication, PublicServiceContent, PublicServiceEntry, Step, StepKind,
    VersionState,
};
use koprik_proto::time::timestamp;

use super::wire_number;
use crate::domain::public_service::lifecycle::{self, Progress};
use crate::error::RegistryError;
use crate::store::{
    public_service_application as application, public_service_entry as entry, public_service_inventory as inventory,
    public_service_step as step, public_service_version as version,
};

/// A stored value that does not read back means the table was edited by hand or by a newer version.
fn corrupt(what: &str, detail: impl std::fmt::Display) -> RegistryError {
    RegistryError::Database(sea_orm::DbErr::Custom(format!("stored {what} is invalid: {detail}")))
}

/// Decodes a stored protobuf column.
pub fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M, RegistryError> {
    M::decode(bytes).map_err(|e| corrupt(what, e))
}

fn optional<M: Message + Default>(bytes: Option<&Vec<u8>>, what: &str) -> Result<Option<M>, RegistryError> {
    bytes.map(|b| decode(b, what)).transpose()
}

fn meta(revision: i64, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Meta {
    Meta { revision, created_at: Some(timestamp(created_at)), updated_at: Some(timestamp(updated_at)) }
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// An entry row with its change marks (oldest first) as a message.
pub fn entry(row: &entry::Model, change_marks: Vec<ChangeMark>) -> Result<PublicServiceEntry, RegistryError> {
    Ok(PublicServiceEntry {
        number: wire_number(row.number),
        status: EntryStatus::from_str_name(&row.status).unwrap_or_default() as i32,
        content: Some(decode(&row.content, "entry content")?),
        content_version: count(row.content_version),
        registered_at: Some(timestamp(row.registered_at)),
        change_marks,
        abolition: optional::<Abolition>(row.abolition.as_ref(), "abolition")?,
        meta: Some(meta(row.revision, row.created_at, row.updated_at)),
    })
}

/// The change mark a registered amendment left on its entry.
pub fn change_mark(row: &application::Model) -> Result<Option<ChangeMark>, RegistryError> {
    let mark: Option<ChangeMark> = optional(row.change_mark.as_ref(), "change mark")?;
    Ok(mark.map(|mark| ChangeMark {
        registered_at: row.registered_at.map(timestamp),
        application_id: row.id.clone(),
        ..mark
    }))
}

/// The deadlines an application row has reached.
pub fn progress(row: &application::Model) -> Progress {
    Progress {
        state: EntryApplicationState::from_str_name(&row.state).unwrap_or_default(),
        register_due_by: row.register_due_by,
        refuse_due_by: row.refuse_due_by,
        remediation_due_by: row.remediation_due_by,
        notice_due_by: row.notice_due_by,
        notice_sent_at: row.notice_sent_at,
    }
}

/// An application row with the content it last submitted, its pending step computed at `now`.
pub fn application(
    row: &application::Model,
    content: PublicServiceContent,
    now: DateTime<Utc>,
) -> Result<PublicServiceApplication, RegistryError> {
    let pending = lifecycle::pending(&progress(row), now);
    let reasons: Vec<String> = serde_json::from_str(&row.refusal_reasons).map_err(|e| corrupt("refusal reasons", e))?;
    Ok(PublicServiceApplication {
        id: row.id.clone(),
        kind: EntryApplicationKind::from_str_name(&row.kind).unwrap_or_default() as i32,
        number: row.number.map_or(0, wire_number),
        state: EntryApplicationState::from_str_name(&row.state).unwrap_or_default() as i32,
        content: Some(content),
        submission: count(row.submission),
        submitted_at: Some(timestamp(row.submitted_at)),
        change_mark: optional(row.change_mark.as_ref(), "change mark")?,
        grounds: row.grounds.clone(),
        register_due_by: Some(timestamp(row.register_due_by)),
        refuse_due_by: Some(timestamp(row.refuse_due_by)),
        refusal_reasons: reasons,
        refused_at: row.refused_at.map(timestamp),
        remediation_due_by: row.remediation_due_by.map(timestamp),
        remediation_reason: row.remediation_reason.clone(),
        registered_at: row.registered_at.map(timestamp),
        notice_due_by: row.notice_due_by.map(timestamp),
        notice_sent_at: row.notice_sent_at.map(timestamp),
        pending: pending.step as i32,
        due_by: pending.due_by.map(timestamp),
        overdue: pending.overdue,
        meta: Some(meta(row.revision, row.created_at, row.updated_at)),
    })
}

/// A content version row as a message.
pub fn version(row: &version::Model) -> Result<ContentVersion, RegistryError> {
    Ok(ContentVersion {
        id: wire_number(row.id),
        application_id: row.application_id.clone(),
        kind: EntryApplicationKind::from_str_name(&row.kind).unwrap_or_default() as i32,
        submission: count(row.submission),
        state: VersionState::from_str_name(&row.state).unwrap_or_default() as i32,
        content: Some(decode(&row.content, "content version")?),
        submitted_by: row.submitted_by.clone(),
        submitted_at: Some(timestamp(row.submitted_at)),
        change_mark: optional(row.change_mark.as_ref(), "change mark")?,
        grounds: row.grounds.clone(),
    })
}

/// A step row as a message.
pub fn step(row: &step::Model) -> Step {
    Step {
        kind: StepKind::from_str_name(&row.kind).unwrap_or_default() as i32,
        actor: row.actor.clone(),
        at: Some(timestamp(row.at)),
        due_by: row.due_by.map(timestamp),
        late: row.late,
        application_id: row.application_id.clone().unwrap_or_default(),
        number: row.number.map_or(0, wire_number),
        detail: row.detail.clone(),
    }
}

/// An inventory confirmation row as a message.
pub fn inventory(row: &inventory::Model) -> Result<InventoryConfirmation, RegistryError> {
    let body: MemberId = row.body.parse().map_err(|e| corrupt("member id", e))?;
    Ok(InventoryConfirmation {
        body: Some((&body).into()),
        year: u32::try_from(row.year).unwrap_or(0),
        confirmed_at: Some(timestamp(row.confirmed_at)),
        actor: row.actor.clone(),
        due_by: Some(timestamp(row.due_by)),
        late: row.late,
    })
}
