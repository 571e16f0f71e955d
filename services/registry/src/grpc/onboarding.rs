//! `koprik.registry.v1.Onboarding` over gRPC: translates requests into checked inputs and repository steps. The
//! applicant (a consumer subsystem) submits, resubmits and reads only its own applications, a provider consents only
//! for its own web services, the operator takes every other step; each step records the caller's certificate as
//! actor.

use koprik_authz::{Access, Owner, Role};
use koprik_proto::field::required;
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::registry::onboarding_server::Onboarding;
use koprik_proto::registry::{
    AgreeInstructionRequest, ApplicationActionRequest, ApplicationState, ConnectApplicationRequest,
    ConnectionApplication, GetApplicationRequest, ListApplicationsRequest, ListApplicationsResponse, ProviderConsent,
    RecordProviderConsentRequest, RefuseApplicationRequest, ResubmitApplicationRequest, SubmitApplicationRequest,
};
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::{optional, uuid_id, Reply};
use crate::domain::application_form;
use crate::domain::paging::Page;
use crate::error::RegistryError;
use crate::repository::{ApplicationFilter, Repository, StepRequest};

/// The gRPC face of the connection workflow.
pub struct OnboardingApi {
    repository: Repository,
}

impl OnboardingApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

fn step(id: &str, access: &Access, expected_revision: i64) -> Result<StepRequest, RegistryError> {
    Ok(StepRequest { id: uuid_id(id, "an application")?, actor: access.actor(), expected_revision })
}

/// Whom a stored application concerns: the consumer subsystem it is for, and the web services it asks for.
fn parties(application: &ConnectionApplication) -> Result<(SubsystemId, Vec<ServiceId>), RegistryError> {
    let stored = |e: FieldError| {
        RegistryError::Database(sea_orm::DbErr::Custom(format!("application {}: stored {e}", application.id)))
    };
    let form = application.form.as_ref().ok_or_else(|| stored(FieldError::missing("form")))?;
    let consumer = required(form.consumer.as_ref(), "form.consumer").map_err(stored)?;
    let services = form
        .services
        .iter()
        .map(|s| required(s.service.as_ref(), "form.services.service").map_err(stored))
        .collect::<Result<_, _>>()?;
    Ok((consumer, services))
}

#[tonic::async_trait]
impl Onboarding for OnboardingApi {
    async fn submit_application(&self, request: Request<SubmitApplicationRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let form = application_form::check(request.get_ref().form.as_ref()).map_err(RegistryError::from)?;
        access.require(Owner::Subsystem(&form.consumer), "subsystem's applications")?;
        Ok(Response::new(self.repository.submit_application(form, &access.actor()).await?))
    }

    async fn start_review(&self, request: Request<ApplicationActionRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        Ok(Response::new(self.repository.start_review(step(&r.id, &access, r.expected_revision)?).await?))
    }

    async fn refuse_application(&self, request: Request<RefuseApplicationRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let step = step(&r.id, &access, r.expected_revision)?;
        Ok(Response::new(self.repository.refuse_application(step, r.ground, &r.reasons).await?))
    }

    async fn approve_application(&self, request: Request<ApplicationActionRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        Ok(Response::new(self.repository.approve_application(step(&r.id, &access, r.expected_revision)?).await?))
    }

    async fn resubmit_application(&self, request: Request<ResubmitApplicationRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let step = step(&r.id, &access, r.expected_revision)?;
        let (consumer, _) = parties(&self.repository.get_application(&step.id).await?)?;
        access.require(Owner::Subsystem(&consumer), "subsystem's applications")?;
        let form = application_form::check(r.form.as_ref()).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.resubmit_application(step, form).await?))
    }

    async fn record_provider_consent(
        &self,
        request: Request<RecordProviderConsentRequest>,
    ) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let r = request.into_inner();
        let step = step(&r.id, &access, 0)?;
        let service: ServiceId = required(r.service.as_ref(), "service").map_err(RegistryError::from)?;
        access.require(Owner::Subsystem(service.subsystem()), "web services")?;
        let consent = ProviderConsent {
            service: r.service,
            decision: r.decision,
            reasons: r.reasons,
            document_reference: r.document_reference,
            ..Default::default()
        };
        Ok(Response::new(self.repository.record_provider_consent(step, consent).await?))
    }

    async fn agree_instruction(&self, request: Request<AgreeInstructionRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let step = step(&r.id, &access, r.expected_revision)?;
        Ok(Response::new(self.repository.agree_instruction(step, r.instruction.as_ref()).await?))
    }

    async fn connect_application(&self, request: Request<ConnectApplicationRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let step = step(&r.id, &access, r.expected_revision)?;
        Ok(Response::new(self.repository.connect_application(step, r.contract.as_ref()).await?))
    }

    async fn get_application(&self, request: Request<GetApplicationRequest>) -> Reply<ConnectionApplication> {
        let access = Access::of(&request)?;
        let id = uuid_id(&request.get_ref().id, "an application").map_err(RegistryError::from)?;
        let application = self.repository.get_application(&id).await?;
        let (consumer, services) = parties(&application)?;
        // A consumer reads its own subsystem's applications only, even when that subsystem also provides one of the
        // services asked for; a provider also reads those asking for one of its web services.
        if access.identity().role() == Role::Consumer {
            access.require(Owner::Subsystem(&consumer), "subsystem's applications")?;
        } else {
            let owners = std::iter::once(Owner::Subsystem(&consumer))
                .chain(services.iter().map(|service| Owner::Subsystem(service.subsystem())));
            access.require_any(owners, "applications")?;
        }
        Ok(Response::new(application))
    }

    async fn list_applications(&self, request: Request<ListApplicationsRequest>) -> Reply<ListApplicationsResponse> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let page = Page::from_request(r.page.as_ref()).map_err(RegistryError::from)?;
        let applicant: Option<MemberId> = optional(r.applicant.as_ref(), "applicant").map_err(RegistryError::from)?;
        let consumer: Option<SubsystemId> = optional(r.consumer.as_ref(), "consumer").map_err(RegistryError::from)?;
        let consumer = access.restrict_subsystem(consumer, "subsystem's applications")?;
        let state = match ApplicationState::try_from(r.state) {
            Ok(ApplicationState::Unspecified) => None,
            Ok(state) => Some(state),
            Err(_) => return Err(RegistryError::from(FieldError::new("state", "is not an ApplicationState")).into()),
        };
        let filter = ApplicationFilter {
            state,
            applicant: applicant.as_ref(),
            consumer: consumer.as_ref(),
            overdue_only: r.overdue_only,
        };
        let (applications, next_page_token) = self.repository.list_applications(&page, filter).await?;
        Ok(Response::new(ListApplicationsResponse { applications, next_page_token }))
    }
}
