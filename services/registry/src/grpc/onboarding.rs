//! `koprik.registry.v1.Onboarding` over gRPC: translates requests into checked inputs and repository steps.

use koprik_proto::ids::MemberId;
use koprik_proto::registry::onboarding_server::Onboarding;
use koprik_proto::registry::{
    AgreeInstructionRequest, ApplicationActionRequest, ApplicationState, ConnectApplicationRequest,
    ConnectionApplication, GetApplicationRequest, ListApplicationsRequest, ListApplicationsResponse, ProviderConsent,
    RecordProviderConsentRequest, RefuseApplicationRequest, ResubmitApplicationRequest, SubmitApplicationRequest,
};
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::{optional, uuid_id, Reply};
use crate::domain::actor::actor;
use crate::domain::application_form;
use crate::domain::paging::Page;
use crate::error::RegistryError;
use crate::repository::{Repository, StepRequest};

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

fn step(id: &str, who: &str, expected_revision: i64) -> Result<StepRequest, RegistryError> {
    Ok(StepRequest { id: uuid_id(id, "an application")?, actor: actor(who)?, expected_revision })
}

#[tonic::async_trait]
impl Onboarding for OnboardingApi {
    async fn submit_application(&self, request: Request<SubmitApplicationRequest>) -> Reply<ConnectionApplication> {
        let request = request.get_ref();
        let actor = actor(&request.actor).map_err(RegistryError::from)?;
        let form = application_form::check(request.form.as_ref()).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.submit_application(form, &actor).await?))
    }

    async fn start_review(&self, request: Request<ApplicationActionRequest>) -> Reply<ConnectionApplication> {
        let r = request.get_ref();
        Ok(Response::new(self.repository.start_review(step(&r.id, &r.actor, r.expected_revision)?).await?))
    }

    async fn refuse_application(&self, request: Request<RefuseApplicationRequest>) -> Reply<ConnectionApplication> {
        let r = request.get_ref();
        let step = step(&r.id, &r.actor, r.expected_revision)?;
        Ok(Response::new(self.repository.refuse_application(step, r.ground, &r.reasons).await?))
    }

    async fn approve_application(&self, request: Request<ApplicationActionRequest>) -> Reply<ConnectionApplication> {
        let r = request.get_ref();
        Ok(Response::new(self.repository.approve_application(step(&r.id, &r.actor, r.expected_revision)?).await?))
    }

    async fn resubmit_application(&self, request: Request<ResubmitApplicationRequest>) -> Reply<ConnectionApplication> {
        let r = request.get_ref();
        let step = step(&r.id, &r.actor, r.expected_revision)?;
        let form = application_form::check(r.form.as_ref()).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.resubmit_application(step, form).await?))
    }

    async fn record_provider_consent(
        &self,
        request: Request<RecordProviderConsentRequest>,
    ) -> Reply<ConnectionApplication> {
        let r = request.into_inner();
        let step = step(&r.id, &r.actor, 0)?;
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
        let r = request.get_ref();
        let step = step(&r.id, &r.actor, r.expected_revision)?;
        Ok(Response::new(self.repository.agree_instruction(step, r.instruction.as_ref()).await?))
    }

    async fn connect_application(&self, request: Request<ConnectApplicationRequest>) -> Reply<ConnectionApplication> {
        let r = request.get_ref();
        let step = step(&r.id, &r.actor, r.expected_revision)?;
        Ok(Response::new(self.repository.connect_application(step, r.contract.as_ref()).await?))
    }

    async fn get_application(&self, request: Request<GetApplicationRequest>) -> Reply<ConnectionApplication> {
        let id = uuid_id(&request.get_ref().id, "an application").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_application(&id).await?))
    }

    async fn list_applications(&self, request: Request<ListApplicationsRequest>) -> Reply<ListApplicationsResponse> {
        let r = request.get_ref();
        let page = Page::from_request(r.page.as_ref()).map_err(RegistryError::from)?;
        let applicant: Option<MemberId> = optional(r.applicant.as_ref(), "applicant").map_err(RegistryError::from)?;
        let state = match ApplicationState::try_from(r.state) {
            Ok(ApplicationState::Unspecified) => None,
            Ok(state) => Some(state),
            Err(_) => return Err(RegistryError::from(FieldError::new("state", "is not an ApplicationState")).into()),
        };
        let (applications, next_page_token) =
            self.repository.list_applications(&page, state, applicant.as_ref(), r.overdue_only).await?;
        Ok(Response::new(ListApplicationsResponse { applications, next_page_token }))
    }
}
