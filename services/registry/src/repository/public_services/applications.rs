//! Applications for new entries and amendments: submission, the operator's review (register or refuse), the
//! registration notice, the body's remediation and resubmission (REG-1 pp. 8-15, App. 1 stages 4-7).

use chrono::{DateTime, Utc};
use koprik_proto::ids::MemberId;
use koprik_proto::prost::Message;
use koprik_proto::registry::{
    ChangeMark, EntryApplicationKind, EntryApplicationState, EntryStatus, PublicServiceApplication,
    PublicServiceContent, StepKind, VersionState,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{mapping, record_step, stored_number, StepRecord};
use crate::domain::paging::Page;
use crate::domain::public_service::requests::{Amendment, ApplicationStep, Refusal, Remediation, Submission};
use crate::domain::public_service::{deadlines, lifecycle};
use crate::error::RegistryError;
use crate::events;
use crate::repository::{member_roles, Repository};
use crate::store::public_service_application::{self as application, ActiveModel, Column, Entity};
use crate::store::{
    public_service_entry as entry, public_service_number as counter, public_service_version as version,
};

const KIND: &str = "public service application";

fn lifecycle_error(error: lifecycle::LifecycleError) -> RegistryError {
    RegistryError::FailedPrecondition(error.to_string())
}

fn state(row: &application::Model) -> EntryApplicationState {
    EntryApplicationState::from_str_name(&row.state).unwrap_or_default()
}

/// The application `id`, or `NotFound`.
async fn find<C: ConnectionTrait>(db: &C, id: &str) -> Result<application::Model, RegistryError> {
    Entity::find_by_id(id).one(db).await?.ok_or_else(|| RegistryError::NotFound { kind: KIND, id: id.to_owned() })
}

/// The content an application last submitted.
async fn content<C: ConnectionTrait>(db: &C, row: &application::Model) -> Result<PublicServiceContent, RegistryError> {
    let stored = version::Entity::find_by_id(row.version_id).one(db).await?.ok_or_else(|| {
        RegistryError::Database(sea_orm::DbErr::Custom(format!("application {} lost its content", row.id)))
    })?;
    mapping::decode(&stored.content, "content version")
}

/// Saves `changes` to the application read as `read`, guarded by its revision, and returns it as a message.
async fn save(
    txn: &DatabaseTransaction,
    read: &application::Model,
    mut changes: ActiveModel,
    now: DateTime<Utc>,
) -> Result<(application::Model, PublicServiceApplication), RegistryError> {
    changes.revision = Set(read.revision + 1);
    changes.updated_at = Set(now);
    let updated = Entity::update_many()
        .set(changes)
        .filter(Column::Id.eq(read.id.as_str()))
        .filter(Column::Revision.eq(read.revision))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(RegistryError::RevisionMismatch {
            kind: KIND,
            id: read.id.clone(),
            expected: read.revision,
            actual: read.revision + 1,
        });
    }
    let row = find(txn, &read.id).await?;
    let message = mapping::application(&row, content(txn, &row).await?, now)?;
    events::enqueue(txn, &message).await?;
    Ok((row, message))
}

/// Stores a submitted content version.
async fn insert_version(
    txn: &DatabaseTransaction,
    row: &application::Model,
    content: &PublicServiceContent,
    actor: &str,
) -> Result<i64, RegistryError> {
    let stored = version::ActiveModel {
        application_id: Set(row.id.clone()),
        kind: Set(row.kind.clone()),
        number: Set(row.number),
        submission: Set(row.submission),
        state: Set(VersionState::UnderReview.as_str_name().to_owned()),
        content: Set(content.encode_to_vec()),
        submitted_by: Set(actor.to_owned()),
        submitted_at: Set(row.submitted_at),
        change_mark: Set(row.change_mark.clone()),
        grounds: Set(row.grounds.clone()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(stored.id)
}

/// Marks a version registered or refused.
async fn decide_version(
    txn: &DatabaseTransaction,
    id: i64,
    state: VersionState,
    number: Option<i64>,
) -> Result<(), RegistryError> {
    let mut update = version::Entity::update_many()
        .col_expr(version::Column::State, Expr::value(state.as_str_name()))
        .filter(version::Column::Id.eq(id));
    if let Some(number) = number {
        update = update.col_expr(version::Column::Number, Expr::value(number));
    }
    update.exec(txn).await?;
    Ok(())
}

/// A step taken on the application `read` (and its entry, when it has one).
fn on_application<'a>(
    read: &'a application::Model,
    kind: StepKind,
    actor: &'a str,
    at: DateTime<Utc>,
    due_by: Option<DateTime<Utc>>,
    detail: &'a str,
) -> StepRecord<'a> {
    StepRecord { kind, actor, at, due_by, application_id: Some(&read.id), number: read.number, detail }
}

/// How an application is opened: a new entry, or an amendment of entry `amended` (with its due date), with its
/// change mark, grounds and the step recorded.
struct Opening {
    kind: EntryApplicationKind,
    amended: Option<(i64, DateTime<Utc>)>,
    change_mark: Option<ChangeMark>,
    grounds: String,
    step: StepKind,
}

/// The next registry number, from the counter row (REG-1 p. 17: never reused, so never `max(number) + 1`). The
/// increment runs inside the registration's transaction, which holds the row until it commits.
async fn allocate_number(txn: &DatabaseTransaction) -> Result<i64, RegistryError> {
    counter::Entity::update_many()
        .col_expr(counter::Column::Last, Expr::col(counter::Column::Last).add(1))
        .filter(counter::Column::Name.eq("entry"))
        .exec(txn)
        .await?;
    let row = counter::Entity::find_by_id("entry").one(txn).await?.ok_or_else(|| {
        RegistryError::Database(sea_orm::DbErr::Custom("the registry number counter is missing".into()))
    })?;
    Ok(row.last)
}

impl Repository {
    /// REG-1 p. 8: a body submits an application for a new entry; the operator's decision is now due.
    pub async fn submit_public_service(
        &self,
        input: Submission,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let opening = Opening {
            kind: EntryApplicationKind::NewEntry,
            amended: None,
            change_mark: None,
            grounds: String::new(),
            step: StepKind::Submitted,
        };
        self.open_application(input, opening, actor).await
    }

    /// REG-1 p. 14: a body submits an amendment to a live entry, with its change mark and grounds, due within
    /// 1 working day of the change; it is reviewed like a new entry (p. 15).
    pub async fn submit_amendment(
        &self,
        input: Amendment,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let calendar = self.calendar().await?;
        let due_by = deadlines::amendment_due(&calendar, input.change_date)?;
        let mark = ChangeMark {
            date: input.change_date.to_string(),
            substance: Some(input.substance),
            registered_at: None,
            application_id: String::new(),
        };
        let submission = Submission { application_id: None, content: input.content };
        let opening = Opening {
            kind: EntryApplicationKind::Amendment,
            amended: Some((stored_number(input.number), due_by)),
            change_mark: Some(mark),
            grounds: input.grounds,
            step: StepKind::AmendmentSubmitted,
        };
        self.open_application(submission, opening, actor).await
    }

    async fn open_application(
        &self,
        input: Submission,
        opening: Opening,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let Opening { kind, amended, change_mark, grounds, step } = opening;
        let calendar = self.calendar().await?;
        let now = Utc::now();
        let refuse_due_by = deadlines::refusal_due(&calendar, now)?;
        let txn = self.begin().await?;
        member_roles(&txn, &input.content.competent_body).await?;
        if let Some((number, _)) = amended {
            let entry = entry::Entity::find_by_id(number)
                .one(&txn)
                .await?
                .ok_or_else(|| RegistryError::NotFound { kind: "public service", id: number.to_string() })?;
            let open = Entity::find()
                .filter(Column::Number.eq(number))
                .filter(Column::State.is_in([
                    EntryApplicationState::UnderReview.as_str_name(),
                    EntryApplicationState::Refused.as_str_name(),
                ]))
                .one(&txn)
                .await?;
            let status = EntryStatus::from_str_name(&entry.status).unwrap_or_default();
            lifecycle::check_amendable(status, open.as_ref().map(|o| o.id.as_str())).map_err(lifecycle_error)?;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let row = ActiveModel {
            id: Set(id.clone()),
            kind: Set(kind.as_str_name().to_owned()),
            number: Set(amended.map(|(number, _)| number)),
            competent_body: Set(input.content.competent_body.to_string()),
            state: Set(EntryApplicationState::UnderReview.as_str_name().to_owned()),
            submission: Set(1),
            version_id: Set(0),
            submitted_at: Set(now),
            register_due_by: Set(deadlines::registration_due(now)),
            refuse_due_by: Set(refuse_due_by),
            change_mark: Set(change_mark.map(|m| m.encode_to_vec())),
            grounds: Set(grounds.clone()),
            refusal_reasons: Set("[]".to_owned()),
            refused_at: Set(None),
            remediation_due_by: Set(None),
            remediation_reason: Set(String::new()),
            registered_at: Set(None),
            notice_due_by: Set(None),
            notice_sent_at: Set(None),
            // The version is stored next (it refers to the application); saving its id makes this revision 1.
            revision: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| crate::error::on_insert(e, KIND, &id))?;
        let version_id = insert_version(&txn, &row, &input.content.content, actor).await?;
        let (_, message) =
            save(&txn, &row, ActiveModel { version_id: Set(version_id), ..Default::default() }, now).await?;
        record_step(
            &txn,
            StepRecord {
                kind: step,
                actor,
                at: now,
                due_by: amended.map(|(_, due)| due),
                application_id: Some(&id),
                number: amended.map(|(number, _)| number),
                detail: &grounds,
            },
        )
        .await?;
        self.commit(txn).await?;
        tracing::info!(application = %id, kind = kind.as_str_name(), "public service application submitted");
        Ok(message)
    }

    /// REG-1 p. 12: the operator registers an application under review. A new entry takes the next registry
    /// number; an amendment replaces the entry's content. The notice is then due within 1 working day.
    pub async fn register_public_service(
        &self,
        input: ApplicationStep,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let calendar = self.calendar().await?;
        let now = Utc::now();
        let notice_due_by = deadlines::notice_due(&calendar, now)?;
        let txn = self.begin().await?;
        let read = find(&txn, &input.application_id).await?;
        lifecycle::check_review(state(&read)).map_err(lifecycle_error)?;
        let content = content(&txn, &read).await?;
        let number = match read.number {
            Some(number) => amend_entry(&txn, number, &read, &content, now).await?,
            None => create_entry(&txn, &read, &content, now).await?,
        };
        decide_version(&txn, read.version_id, VersionState::Registered, Some(number)).await?;
        let changes = ActiveModel {
            number: Set(Some(number)),
            state: Set(EntryApplicationState::Registered.as_str_name().to_owned()),
            registered_at: Set(Some(now)),
            notice_due_by: Set(Some(notice_due_by)),
            ..Default::default()
        };
        let (_, message) = save(&txn, &read, changes, now).await?;
        record_step(
            &txn,
            StepRecord {
                kind: StepKind::Registered,
                actor,
                at: now,
                due_by: Some(read.register_due_by),
                application_id: Some(&read.id),
                number: Some(number),
                detail: "",
            },
        )
        .await?;
        let entry = super::entries::entry_message(&txn, number).await?;
        events::enqueue(&txn, &entry).await?;
        self.commit(txn).await?;
        tracing::info!(application = %read.id, number, "public service registered");
        Ok(message)
    }

    /// REG-1 p. 13: the operator refuses an application under review, with reasons; the body's resubmission is
    /// then due within 3 working days.
    pub async fn refuse_public_service(
        &self,
        input: Refusal,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let calendar = self.calendar().await?;
        let now = Utc::now();
        let remediation_due_by = deadlines::resubmission_due(&calendar, now)?;
        let reasons = serde_json::to_string(&input.reasons)
            .map_err(|e| RegistryError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
        let txn = self.begin().await?;
        let read = find(&txn, &input.application_id).await?;
        lifecycle::check_review(state(&read)).map_err(lifecycle_error)?;
        decide_version(&txn, read.version_id, VersionState::Refused, None).await?;
        let changes = ActiveModel {
            state: Set(EntryApplicationState::Refused.as_str_name().to_owned()),
            refusal_reasons: Set(reasons),
            refused_at: Set(Some(now)),
            remediation_due_by: Set(Some(remediation_due_by)),
            remediation_reason: Set(String::new()),
            ..Default::default()
        };
        let (_, message) = save(&txn, &read, changes, now).await?;
        record_step(
            &txn,
            on_application(&read, StepKind::Refused, actor, now, Some(read.refuse_due_by), &input.reasons.join("\n")),
        )
        .await?;
        self.commit(txn).await?;
        tracing::info!(application = %read.id, "public service application refused");
        Ok(message)
    }

    /// REG-1 p. 12: the operator records that the registration notice with the number was sent.
    pub async fn send_registration_notice(
        &self,
        input: ApplicationStep,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let now = Utc::now();
        let txn = self.begin().await?;
        let read = find(&txn, &input.application_id).await?;
        lifecycle::check_notice(state(&read), read.notice_sent_at.is_some()).map_err(lifecycle_error)?;
        let changes = ActiveModel { notice_sent_at: Set(Some(now)), ..Default::default() };
        let (_, message) = save(&txn, &read, changes, now).await?;
        record_step(&txn, on_application(&read, StepKind::NoticeSent, actor, now, read.notice_due_by, "")).await?;
        self.commit(txn).await?;
        Ok(message)
    }

    /// REG-1 p. 13, third paragraph: the body sets its own remediation date when other bodies must agree the fix.
    /// Declaring it is itself due within the ordinary 3 working days.
    pub async fn declare_remediation(
        &self,
        input: Remediation,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let now = Utc::now();
        let due_by = deadlines::declared_remediation_due(input.date);
        let txn = self.begin().await?;
        let read = find(&txn, &input.application_id).await?;
        lifecycle::check_refused(state(&read)).map_err(lifecycle_error)?;
        if read.refused_at.is_some_and(|refused| due_by < refused) || due_by < now {
            return Err(koprik_proto::FieldError::new("remediation_date", "must not be in the past").into());
        }
        let changes = ActiveModel {
            remediation_due_by: Set(Some(due_by)),
            remediation_reason: Set(input.reason.clone()),
            ..Default::default()
        };
        let (_, message) = save(&txn, &read, changes, now).await?;
        record_step(
            &txn,
            on_application(
                &read,
                StepKind::RemediationDeclared,
                actor,
                now,
                read.remediation_due_by,
                &format!("{}: {}", input.date, input.reason),
            ),
        )
        .await?;
        self.commit(txn).await?;
        Ok(message)
    }

    /// REG-1 p. 13: the body resubmits a refused application with the deficiencies fixed; the review starts over
    /// with fresh deadlines.
    pub async fn resubmit_public_service(
        &self,
        input: Submission,
        actor: &str,
    ) -> Result<PublicServiceApplication, RegistryError> {
        let calendar = self.calendar().await?;
        let now = Utc::now();
        let refuse_due_by = deadlines::refusal_due(&calendar, now)?;
        let id = input.application_id.clone().unwrap_or_default();
        let txn = self.begin().await?;
        member_roles(&txn, &input.content.competent_body).await?;
        let read = find(&txn, &id).await?;
        lifecycle::check_refused(state(&read)).map_err(lifecycle_error)?;
        let submitted = application::Model {
            submission: read.submission + 1,
            submitted_at: now,
            competent_body: input.content.competent_body.to_string(),
            ..read.clone()
        };
        let version_id = insert_version(&txn, &submitted, &input.content.content, actor).await?;
        let changes = ActiveModel {
            competent_body: Set(submitted.competent_body.clone()),
            state: Set(EntryApplicationState::UnderReview.as_str_name().to_owned()),
            submission: Set(submitted.submission),
            version_id: Set(version_id),
            submitted_at: Set(now),
            register_due_by: Set(deadlines::registration_due(now)),
            refuse_due_by: Set(refuse_due_by),
            ..Default::default()
        };
        let (_, message) = save(&txn, &read, changes, now).await?;
        record_step(&txn, on_application(&read, StepKind::Resubmitted, actor, now, read.remediation_due_by, ""))
            .await?;
        self.commit(txn).await?;
        tracing::info!(application = %read.id, submission = submitted.submission, "public service application resubmitted");
        Ok(message)
    }

    /// One application, its pending step computed now.
    pub async fn get_public_service_application(&self, id: &str) -> Result<PublicServiceApplication, RegistryError> {
        let row = find(&self.db, id).await?;
        mapping::application(&row, content(&self.db, &row).await?, Utc::now())
    }

    /// The competent body an application is (last) submitted for: whose it is.
    pub async fn public_service_application_body(&self, id: &str) -> Result<MemberId, RegistryError> {
        let row = find(&self.db, id).await?;
        row.competent_body.parse().map_err(|e| {
            RegistryError::Database(sea_orm::DbErr::Custom(format!(
                "application {id}: stored competent body is invalid: {e}"
            )))
        })
    }

    /// A page of applications in submission order, optionally of one competent body, in one state and/or overdue
    /// only. Overdue is the lifecycle's own judgement (computed per row), so rows are scanned until the page is full.
    pub async fn list_public_service_applications(
        &self,
        page: &Page,
        body: Option<&MemberId>,
        state: Option<EntryApplicationState>,
        overdue_only: bool,
    ) -> Result<(Vec<PublicServiceApplication>, String), RegistryError> {
        let now = Utc::now();
        let mut after = page.after.clone();
        let mut found = Vec::new();
        loop {
            let mut query = Entity::find().order_by_asc(Column::Id).limit(page.size);
            if let Some(after) = &after {
                query = query.filter(Column::Id.gt(after.as_str()));
            }
            if let Some(state) = state {
                query = query.filter(Column::State.eq(state.as_str_name()));
            }
            if let Some(body) = body {
                query = query.filter(Column::CompetentBody.eq(body.to_string()));
            }
            let rows = query.all(&self.db).await?;
            let exhausted = (rows.len() as u64) < page.size;
            for row in &rows {
                after = Some(row.id.clone());
                let message = mapping::application(row, content(&self.db, row).await?, now)?;
                if !overdue_only || message.overdue {
                    found.push(message);
                    if found.len() as u64 == page.size {
                        return Ok((found, row.id.clone()));
                    }
                }
            }
            if exhausted {
                return Ok((found, String::new()));
            }
        }
    }
}

/// Creates the entry of a registered new-entry application, numbered from the counter.
async fn create_entry(
    txn: &DatabaseTransaction,
    read: &application::Model,
    content: &PublicServiceContent,
    now: DateTime<Utc>,
) -> Result<i64, RegistryError> {
    let number = allocate_number(txn).await?;
    entry::ActiveModel {
        number: Set(number),
        competent_body: Set(read.competent_body.clone()),
        status: Set(EntryStatus::Live.as_str_name().to_owned()),
        content: Set(content.encode_to_vec()),
        content_version: Set(1),
        version_id: Set(read.version_id),
        registered_at: Set(now),
        abolition: Set(None),
        revision: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|e| crate::error::on_insert(e, "public service", &number.to_string()))?;
    Ok(number)
}

/// Replaces the content of the entry an amendment was registered for (REG-1 p. 15).
async fn amend_entry(
    txn: &DatabaseTransaction,
    number: i64,
    read: &application::Model,
    content: &PublicServiceContent,
    now: DateTime<Utc>,
) -> Result<i64, RegistryError> {
    let current = entry::Entity::find_by_id(number)
        .one(txn)
        .await?
        .ok_or_else(|| RegistryError::NotFound { kind: "public service", id: number.to_string() })?;
    let status = EntryStatus::from_str_name(&current.status).unwrap_or_default();
    lifecycle::check_amendable(status, None).map_err(lifecycle_error)?;
    let updated = entry::Entity::update_many()
        .col_expr(entry::Column::CompetentBody, Expr::value(read.competent_body.clone()))
        .col_expr(entry::Column::Content, Expr::value(content.encode_to_vec()))
        .col_expr(entry::Column::ContentVersion, Expr::value(current.content_version + 1))
        .col_expr(entry::Column::VersionId, Expr::value(read.version_id))
        .col_expr(entry::Column::Revision, Expr::value(current.revision + 1))
        .col_expr(entry::Column::UpdatedAt, Expr::value(now))
        .filter(entry::Column::Number.eq(number))
        .filter(entry::Column::Revision.eq(current.revision))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(RegistryError::RevisionMismatch {
            kind: "public service",
            id: number.to_string(),
            expected: current.revision,
            actual: current.revision + 1,
        });
    }
    Ok(number)
}
