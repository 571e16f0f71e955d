//! Connection applications (A1 §7-13, A2 §7-13): each workflow step loads the application document, checks the
//! step against [`crate::domain::connection_workflow`] and the closed lists, records who/when/due-by, computes the
//! next deadline with the working-day calendar and saves it with its event, in one transaction.

use chrono::{DateTime, Utc};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::prost::Message;
use koprik_proto::registry::{
    ApplicationState, ApplicationStep, ConnectionApplication, ConsentDecision, Contract, DataClassification,
    OrganizationRole, Platform, ProviderConsent, RefusalGround, ServicePermission, TechnologicalInstruction,
};
use koprik_proto::time::{datetime, timestamp};
use koprik_proto::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::grants::{insert_grant, platform_of, service_items, GrantRequest};
use super::{
    calendar::calendar_in_force, fetch_page, find, mapping, member_roles, page_query, update_versioned, Repository,
};
use crate::domain::application_form::CheckedForm;
use crate::domain::connection_workflow::{self, Step};
use crate::domain::data_item_access;
use crate::domain::paging::Page;
use crate::domain::{ddp_contract, provider_consent, refusal_grounds, text};
use crate::error::RegistryError;
use crate::events;
use crate::store::application::{ActiveModel, Column, Entity, Model};
use crate::store::subsystem;

/// A step's request: the application, who takes the step, and the revision the caller read.
#[derive(Debug, Clone)]
pub struct StepRequest {
    /// The application id.
    pub id: String,
    /// Who takes the step.
    pub actor: String,
    /// 0: don't check.
    pub expected_revision: i64,
}

/// Which applications a list returns; every filter set must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplicationFilter<'a> {
    /// Only in this state.
    pub state: Option<ApplicationState>,
    /// Only of this applicant organisation.
    pub applicant: Option<&'a MemberId>,
    /// Only for this consumer subsystem.
    pub consumer: Option<&'a SubsystemId>,
    /// Only those whose current step is overdue.
    pub overdue_only: bool,
}

/// The stored document as a message, with `overdue` computed against `now`.
fn application(row: &Model, now: DateTime<Utc>) -> Result<ConnectionApplication, RegistryError> {
    let mut document: ConnectionApplication = mapping::decode(&row.document, "application")?;
    document.id = row.id.clone();
    document.due_by = row.due_by.map(timestamp);
    document.overdue = row.due_by.is_some_and(|due| due < now);
    document.meta = Some(mapping::meta(row.revision, row.created_at, row.updated_at));
    Ok(document)
}

fn state(document: &ConnectionApplication) -> ApplicationState {
    ApplicationState::try_from(document.state).unwrap_or_default()
}

fn platform(document: &ConnectionApplication) -> Platform {
    document.form.as_ref().and_then(|f| Platform::try_from(f.platform).ok()).unwrap_or_default()
}

/// Records `step` on `document`: the new state, who, when, the deadline it was due by and whether it was late;
/// then sets the next deadline.
fn record(
    document: &mut ConnectionApplication,
    step: Step,
    actor: &str,
    now: DateTime<Utc>,
    calendar: &crate::calendar::Calendar,
    refusal: Option<(RefusalGround, &str)>,
) -> Result<(), RegistryError> {
    let next = connection_workflow::next(state(document), step).map_err(RegistryError::FailedPrecondition)?;
    let due = document.due_by.as_ref().and_then(datetime);
    let (ground, reasons) = refusal.map_or((RefusalGround::Unspecified, ""), |(g, r)| (g, r));
    document.history.push(ApplicationStep {
        state: next as i32,
        actor: actor.to_owned(),
        at: Some(timestamp(now)),
        due_by: due.map(timestamp),
        late: due.is_some_and(|due| now > due),
        ground: ground as i32,
        reasons: reasons.trim().to_owned(),
    });
    document.state = next as i32;
    // A review under way keeps the submission's deadline; other states start their own.
    if next != ApplicationState::UnderReview {
        document.due_by = connection_workflow::working_days_due(next)
            .map(|days| calendar.working_days_after(now, days))
            .transpose()?
            .map(timestamp);
    }
    Ok(())
}

/// The checks of a form against the registry: the system registered with its form, the organisation on the
/// platform, each service registered, each item one of its items and never a state secret.
async fn check_against_registry(txn: &DatabaseTransaction, form: &CheckedForm) -> Result<(), RegistryError> {
    let system = find::<subsystem::Entity, _>(txn, &form.consumer.to_string())
        .await
        .map_err(|_| RegistryError::FailedPrecondition(format!("subsystem {} is not registered", form.consumer)))?;
    if system.form.is_none() {
        return Err(RegistryError::FailedPrecondition(format!(
            "subsystem {} has no application-form fields (purpose, support e-mail, users...); update it first",
            form.consumer
        )));
    }
    let roles = member_roles(txn, form.consumer.member()).await?;
    if platform_of(&roles) != Some(form.platform) {
        let role = match form.platform {
            Platform::Ddp => OrganizationRole::DdpConsumer,
            _ => OrganizationRole::IipConsumer,
        };
        return Err(RegistryError::FailedPrecondition(format!(
            "organisation {} applies for {} but lacks the {} role",
            form.consumer.member(),
            form.platform.as_str_name(),
            role.as_str_name()
        )));
    }
    for (index, (id, requested)) in form.services.iter().zip(&form.form.services).enumerate() {
        let items = service_items(txn, id).await?;
        for (item_index, item) in requested.items.iter().enumerate() {
            let field = || format!("form.services[{index}].items[{item_index}].code");
            match items.iter().find(|(code, _)| code == &item.code) {
                None => {
                    return Err(FieldError::new(field(), format!("{:?} is not a data item of {id}", item.code)).into())
                }
                Some((_, DataClassification::StateSecret)) => {
                    return Err(FieldError::new(
                        field(),
                        format!("{:?} is a STATE_SECRET item and can never be granted (R516 §6b)", item.code),
                    )
                    .into())
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// The latest decision of the provider of `service` (A2 §18-19).
fn consent_of(document: &ConnectionApplication, service: &ServiceId) -> ConsentDecision {
    provider_consent::decision(&document.consents, &service.into())
}

fn requested_services(document: &ConnectionApplication) -> Result<Vec<ServiceId>, RegistryError> {
    document
        .form
        .iter()
        .flat_map(|f| &f.services)
        .map(|s| koprik_proto::field::required(s.service.as_ref(), "service").map_err(RegistryError::from))
        .collect()
}

impl Repository {
    async fn load(&self, txn: &DatabaseTransaction, id: &str) -> Result<(Model, ConnectionApplication), RegistryError> {
        let row = find::<Entity, _>(txn, id).await?;
        let document = application(&row, Utc::now())?;
        Ok((row, document))
    }

    /// Saves the changed `document` of `row` with its event; commits.
    async fn save(
        &self,
        txn: DatabaseTransaction,
        row: &Model,
        mut document: ConnectionApplication,
        expected_revision: i64,
    ) -> Result<ConnectionApplication, RegistryError> {
        let due_by = document.due_by.as_ref().and_then(datetime);
        let state = self::state(&document);
        document.meta = None;
        document.overdue = false;
        let changes = Entity::update_many()
            .col_expr(Column::State, Expr::value(state.as_str_name()))
            .col_expr(Column::DueBy, Expr::value(due_by))
            .col_expr(Column::Document, Expr::value(document.encode_to_vec()));
        let updated = update_versioned(&txn, &row.id, expected_revision, row.revision, changes).await?;
        let saved = application(&updated, Utc::now())?;
        events::enqueue(&txn, &saved).await?;
        self.commit(txn).await?;
        tracing::info!(application = %row.id, state = state.as_str_name(), "application step recorded");
        Ok(saved)
    }

    /// A1 §8, A2 §8: the applicant submits its form; the review is due within 7 working days.
    pub async fn submit_application(
        &self,
        form: CheckedForm,
        actor: &str,
    ) -> Result<ConnectionApplication, RegistryError> {
        let txn = self.begin().await?;
        check_against_registry(&txn, &form).await?;
        let calendar = calendar_in_force(&txn).await?;
        let now = Utc::now();
        let id = uuid::Uuid::now_v7().to_string();
        let due = calendar.working_days_after(now, connection_workflow::REVIEW_WORKING_DAYS)?;
        let document = ConnectionApplication {
            form: Some(form.form.clone()),
            state: ApplicationState::Submitted as i32,
            history: vec![ApplicationStep {
                state: ApplicationState::Submitted as i32,
                actor: actor.to_owned(),
                at: Some(timestamp(now)),
                ..Default::default()
            }],
            ..Default::default()
        };
        let row = ActiveModel {
            id: Set(id.clone()),
            platform: Set(form.platform.as_str_name().to_owned()),
            applicant_id: Set(form.consumer.member().to_string()),
            consumer_id: Set(form.consumer.to_string()),
            state: Set(ApplicationState::Submitted.as_str_name().to_owned()),
            due_by: Set(Some(due)),
            document: Set(document.encode_to_vec()),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let saved = application(&row, now)?;
        events::enqueue(&txn, &saved).await?;
        self.commit(txn).await?;
        tracing::info!(application = %id, consumer = %form.consumer, platform = form.platform.as_str_name(), "application submitted");
        Ok(saved)
    }

    /// The operator takes the application into review.
    pub async fn start_review(&self, request: StepRequest) -> Result<ConnectionApplication, RegistryError> {
        self.simple_step(request, Step::StartReview).await
    }

    /// The operator approves; on the DDP each requested service needs its provider's consent (A2 §18-19).
    pub async fn approve_application(&self, request: StepRequest) -> Result<ConnectionApplication, RegistryError> {
        let txn = self.begin().await?;
        let (row, document) = self.load(&txn, &request.id).await?;
        if platform(&document) == Platform::Ddp {
            for service in requested_services(&document)? {
                match consent_of(&document, &service) {
                    ConsentDecision::Given => {}
                    ConsentDecision::Refused => {
                        return Err(RegistryError::FailedPrecondition(format!(
                            "the provider of {service} refused; refuse the application with PROVIDER_REFUSED (A2 §13)"
                        )))
                    }
                    ConsentDecision::Unspecified => {
                        return Err(RegistryError::FailedPrecondition(format!(
                            "DDP access needs the provider's consent, and none is recorded for {service} (A2 §18-19)"
                        )))
                    }
                }
            }
        }
        self.finish_step(txn, row, document, request, Step::Approve, None).await
    }

    /// A1 §13, A2 §13: the operator refuses on a ground of the platform's closed list, with reasons.
    pub async fn refuse_application(
        &self,
        request: StepRequest,
        ground: i32,
        reasons: &str,
    ) -> Result<ConnectionApplication, RegistryError> {
        let txn = self.begin().await?;
        let (row, document) = self.load(&txn, &request.id).await?;
        let provider_refused = requested_services(&document)?
            .iter()
            .any(|service| consent_of(&document, service) == ConsentDecision::Refused);
        refusal_grounds::check(platform(&document), ground, reasons, provider_refused)?;
        let ground = RefusalGround::try_from(ground).unwrap_or_default();
        self.finish_step(txn, row, document, request, Step::Refuse, Some((ground, reasons))).await
    }

    /// The applicant fixes the form and submits again; the review deadline starts again. A provider's consent
    /// stays only for a service whose request is unchanged: for one asked for differently or no longer, the
    /// provider must decide again (A2 §18-19, [`provider_consent::carried_over`]).
    pub async fn resubmit_application(
        &self,
        request: StepRequest,
        form: CheckedForm,
    ) -> Result<ConnectionApplication, RegistryError> {
        let txn = self.begin().await?;
        let (row, mut document) = self.load(&txn, &request.id).await?;
        if form.consumer.to_string() != row.consumer_id || form.platform.as_str_name() != row.platform {
            return Err(FieldError::new("form", "must keep the application's consumer and platform").into());
        }
        check_against_registry(&txn, &form).await?;
        let before = document.form.take().unwrap_or_default();
        let consents = std::mem::take(&mut document.consents);
        let (kept, dropped) = provider_consent::carried_over(consents, &before, &form.form);
        if !dropped.is_empty() {
            let services: Vec<String> = dropped
                .iter()
                .map(|s| ServiceId::try_from(s).map_or_else(|_| "?".to_owned(), |id| id.to_string()))
                .collect();
            tracing::info!(application = %row.id, services = ?services, "provider consents dropped: the request changed");
        }
        document.consents = kept;
        document.form = Some(form.form);
        self.finish_step(txn, row, document, request, Step::Resubmit, None).await
    }

    /// A2 §18-19: the provider gives or refuses consent for one requested service.
    pub async fn record_provider_consent(
        &self,
        request: StepRequest,
        mut consent: ProviderConsent,
    ) -> Result<ConnectionApplication, RegistryError> {
        let txn = self.begin().await?;
        let (row, mut document) = self.load(&txn, &request.id).await?;
        if platform(&document) != Platform::Ddp {
            return Err(RegistryError::FailedPrecondition("provider consent applies to DDP applications only".into()));
        }
        if !connection_workflow::awaits_consent(state(&document)) {
            return Err(RegistryError::FailedPrecondition(format!(
                "consent is recorded while the application is submitted or under review, not {}",
                state(&document).as_str_name()
            )));
        }
        let service: ServiceId = koprik_proto::field::required(consent.service.as_ref(), "service")?;
        if !requested_services(&document)?.contains(&service) {
            return Err(FieldError::new("service", format!("{service} is not requested by this application")).into());
        }
        let decision = ConsentDecision::try_from(consent.decision)
            .ok()
            .filter(|d| *d != ConsentDecision::Unspecified)
            .ok_or_else(|| FieldError::new("decision", "must be GIVEN or REFUSED"))?;
        if decision == ConsentDecision::Refused && consent.reasons.trim().is_empty() {
            return Err(FieldError::new(
                "reasons",
                "are required when the provider refuses (a lawful refusal, A2 §13)",
            )
            .into());
        }
        consent.document_reference = text::name(&consent.document_reference, "document_reference")?;
        consent.reasons = text::description(&consent.reasons, "reasons")?;
        consent.actor = request.actor.clone();
        consent.at = Some(timestamp(Utc::now()));
        consent.service = Some((&service).into());
        document.consents.push(consent);
        self.save(txn, &row, document, request.expected_revision).await
    }

    /// A1 §10, A2 §10: the technological instruction fixes the permitted items per service; the connection is due
    /// within 5 working days.
    pub async fn agree_instruction(
        &self,
        request: StepRequest,
        instruction: Option<&TechnologicalInstruction>,
    ) -> Result<ConnectionApplication, RegistryError> {
        let instruction = instruction.ok_or_else(|| FieldError::missing("instruction"))?;
        let reference = text::name(&instruction.reference, "instruction.reference")?;
        if instruction.permissions.is_empty() {
            return Err(FieldError::new("instruction.permissions", "must permit items of at least one service").into());
        }
        let txn = self.begin().await?;
        let (row, mut document) = self.load(&txn, &request.id).await?;
        let form = document.form.clone().unwrap_or_default();
        let mut permissions = Vec::with_capacity(instruction.permissions.len());
        for (index, permission) in instruction.permissions.iter().enumerate() {
            let at = |e: FieldError| e.at("instruction.permissions", index);
            let service: ServiceId =
                koprik_proto::field::required(permission.service.as_ref(), "service").map_err(at)?;
            let wire: koprik_proto::common::ServiceId = (&service).into();
            let Some(requested) = form.services.iter().find(|s| s.service.as_ref() == Some(&wire)) else {
                return Err(
                    at(FieldError::new("service", format!("{service} is not requested by this application"))).into()
                );
            };
            if let Some(extra) =
                permission.data_items.iter().find(|code| !requested.items.iter().any(|i| &i.code == *code))
            {
                return Err(
                    at(FieldError::new("data_items", format!("{extra:?} was not requested for {service}"))).into()
                );
            }
            if permission.data_items.is_empty() {
                return Err(at(FieldError::new("data_items", "must list the permitted items")).into());
            }
            let items = service_items(&txn, &service).await?;
            let checked =
                data_item_access::permit(&items, &permission.data_items, &permission.approvals).map_err(at)?;
            permissions.push(ServicePermission {
                service: Some(wire),
                data_items: checked.items,
                approvals: checked.approvals,
            });
        }
        document.instruction = Some(TechnologicalInstruction { reference, permissions });
        self.finish_step(txn, row, document, request, Step::AgreeInstruction, None).await
    }

    /// A1 §11, A2 §11: connects the system: one grant per service of the instruction (with the DDP contract).
    pub async fn connect_application(
        &self,
        request: StepRequest,
        contract: Option<&Contract>,
    ) -> Result<ConnectionApplication, RegistryError> {
        let txn = self.begin().await?;
        let (row, mut document) = self.load(&txn, &request.id).await?;
        connection_workflow::next(state(&document), Step::Connect).map_err(RegistryError::FailedPrecondition)?;
        let contract = match platform(&document) {
            Platform::Ddp => Some(ddp_contract::check(contract, Utc::now())?.0),
            _ => None,
        };
        let consumer: koprik_proto::ids::SubsystemId =
            koprik_proto::field::required(document.form.as_ref().and_then(|f| f.consumer.as_ref()), "consumer")?;
        let permissions = document.instruction.clone().unwrap_or_default().permissions;
        let requested = document.form.as_ref().map(|f| f.services.clone()).unwrap_or_default();
        let mut grant_ids = Vec::with_capacity(permissions.len());
        for permission in permissions {
            let service: koprik_proto::ids::ServiceId =
                koprik_proto::field::required(permission.service.as_ref(), "service")?;
            // The maximum the consumer declared for this service in its application (A1 Ap2, A2 Ap2).
            let max_requests_per_month = requested
                .iter()
                .find(|r| {
                    r.service.as_ref().and_then(|s| koprik_proto::ids::ServiceId::try_from(s).ok()).as_ref()
                        == Some(&service)
                })
                .map_or(0, |r| r.max_requests_per_month);
            let grant = insert_grant(
                &txn,
                GrantRequest {
                    consumer: consumer.clone(),
                    service,
                    permitted_items: permission.data_items,
                    approvals: permission.approvals,
                    contract: contract.clone(),
                    application_id: row.id.clone(),
                    actor: request.actor.clone(),
                    max_requests_per_month,
                },
            )
            .await?;
            grant_ids.push(grant.id);
        }
        document.grant_ids = grant_ids;
        document.contract = contract;
        self.finish_step(txn, row, document, request, Step::Connect, None).await
    }

    async fn simple_step(&self, request: StepRequest, step: Step) -> Result<ConnectionApplication, RegistryError> {
        let txn = self.begin().await?;
        let (row, document) = self.load(&txn, &request.id).await?;
        self.finish_step(txn, row, document, request, step, None).await
    }

    async fn finish_step(
        &self,
        txn: DatabaseTransaction,
        row: Model,
        mut document: ConnectionApplication,
        request: StepRequest,
        step: Step,
        refusal: Option<(RefusalGround, &str)>,
    ) -> Result<ConnectionApplication, RegistryError> {
        let calendar = calendar_in_force(&txn).await?;
        record(&mut document, step, &request.actor, Utc::now(), &calendar, refusal)?;
        self.save(txn, &row, document, request.expected_revision).await
    }

    /// One application.
    pub async fn get_application(&self, id: &str) -> Result<ConnectionApplication, RegistryError> {
        application(&find::<Entity, _>(&self.db, id).await?, Utc::now())
    }

    /// A page of applications in id order, filtered.
    pub async fn list_applications(
        &self,
        page: &Page,
        filter: ApplicationFilter<'_>,
    ) -> Result<(Vec<ConnectionApplication>, String), RegistryError> {
        let ApplicationFilter { state, applicant, consumer, overdue_only } = filter;
        let now = Utc::now();
        let mut query = page_query::<Entity>(page);
        if let Some(consumer) = consumer {
            query = query.filter(Column::ConsumerId.eq(consumer.to_string()));
        }
        if let Some(state) = state {
            query = query.filter(Column::State.eq(state.as_str_name()));
        }
        if let Some(applicant) = applicant {
            query = query.filter(Column::ApplicantId.eq(applicant.to_string()));
        }
        if overdue_only {
            query = query.filter(Column::DueBy.lt(now));
        }
        fetch_page(&self.db, page, query, |r| &r.id, |r| application(r, now)).await
    }
}
