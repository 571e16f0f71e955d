//! The Unified Registry of Public Services (REG-1): applications and their review, entries, history and the
//! yearly re-inventory. Every change runs in one transaction with its history step(s) and its outbox event(s).
//!
//! - `applications`: submission, review (register / refuse), notice, remediation, resubmission, amendments.
//! - `entries`: reading entries, abolition, history and the bulk export.
//! - `inventory`: the yearly re-inventory confirmations and report.
//! - `catalogue`: the public catalogue of web services.
//! - [`mapping`]: stored rows to wire messages.

mod applications;
mod catalogue;
mod entries;
mod inventory;
pub mod mapping;

use chrono::{DateTime, Utc};
use koprik_proto::registry::StepKind;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::error::RegistryError;
use crate::store::public_service_step;

pub use entries::ExportedEntry;

/// What a step records beyond its kind.
struct StepRecord<'a> {
    kind: StepKind,
    actor: &'a str,
    at: DateTime<Utc>,
    due_by: Option<DateTime<Utc>>,
    application_id: Option<&'a str>,
    number: Option<i64>,
    detail: &'a str,
}

/// Appends a step to the history; late when taken after its deadline.
async fn record_step<C: ConnectionTrait>(db: &C, step: StepRecord<'_>) -> Result<(), RegistryError> {
    public_service_step::ActiveModel {
        kind: Set(step.kind.as_str_name().to_owned()),
        actor: Set(step.actor.to_owned()),
        at: Set(step.at),
        due_by: Set(step.due_by),
        late: Set(step.due_by.is_some_and(|due| crate::domain::public_service::deadlines::is_late(step.at, due))),
        application_id: Set(step.application_id.map(str::to_owned)),
        number: Set(step.number),
        detail: Set(step.detail.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A registry number as stored (numbers start at 1 and fit an `i64` many times over).
fn stored_number(number: u64) -> i64 {
    i64::try_from(number).unwrap_or(i64::MAX)
}

/// A stored number as on the wire.
fn wire_number(number: i64) -> u64 {
    u64::try_from(number).unwrap_or(0)
}
