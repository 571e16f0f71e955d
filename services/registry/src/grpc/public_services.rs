//! `koprik.registry.v1.PublicServices` over gRPC: translates requests into validated inputs and repository calls.
//! Decides nothing itself; the rules are in `domain::public_service`. An agency's registry editor or head acts
//! only on its own agency's entries and applications (the competent body), and an entry or application stays with
//! its agency: a resubmission or amendment must name the same body as the one stored. Every step records the
//! caller's certificate as actor.

use koprik_authz::{Access, Owner};
use koprik_proto::ids::MemberId;
use koprik_proto::registry::public_services_server::PublicServices;
use koprik_proto::registry::{
    AbolishEntryRequest, ConfirmInventoryRequest, DeclareRemediationRequest, EntryApplicationState,
    GetEntryApplicationRequest, GetEntryRequest, GetHistoryRequest, InventoryConfirmation, ListEntriesRequest,
    ListEntriesResponse, ListEntryApplicationsRequest, ListEntryApplicationsResponse, PublicServiceApplication,
    PublicServiceEntry, PublicServiceHistory, RefuseEntryRequest, RegisterEntryRequest, ReinventoryReportRequest,
    ReinventoryReportResponse, ResubmitEntryRequest, SendRegistrationNoticeRequest, SubmitAmendmentRequest,
    SubmitEntryRequest,
};
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::Reply;
use crate::domain::paging::Page;
use crate::domain::public_service::requests::{
    self, AbolitionNotice, Amendment, ApplicationStep, InventoryInput, Refusal, Remediation, Submission,
};
use crate::error::RegistryError;
use crate::repository::Repository;

/// The gRPC face of the Unified Registry of Public Services.
pub struct PublicServicesApi {
    repository: Repository,
}

impl PublicServicesApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

/// What an agency's registry editor or head reaches: its own agency's entries and applications.
const AGENCY: &str = "agency's entries and applications";

/// Validates a request into its domain input.
fn input<'a, W, D: TryFrom<&'a W, Error = FieldError>>(wire: &'a W) -> Result<D, RegistryError> {
    Ok(D::try_from(wire)?)
}

#[tonic::async_trait]
impl PublicServices for PublicServicesApi {
    async fn submit_entry(&self, request: Request<SubmitEntryRequest>) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let submission: Submission = input(request.get_ref())?;
        access.require(Owner::Organization(&submission.content.competent_body), AGENCY)?;
        Ok(Response::new(self.repository.submit_public_service(submission, &access.actor()).await?))
    }

    async fn register_entry(&self, request: Request<RegisterEntryRequest>) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let step: ApplicationStep = input(request.get_ref())?;
        Ok(Response::new(self.repository.register_public_service(step, &access.actor()).await?))
    }

    async fn refuse_entry(&self, request: Request<RefuseEntryRequest>) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let refusal: Refusal = input(request.get_ref())?;
        Ok(Response::new(self.repository.refuse_public_service(refusal, &access.actor()).await?))
    }

    async fn send_registration_notice(
        &self,
        request: Request<SendRegistrationNoticeRequest>,
    ) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let step: ApplicationStep = input(request.get_ref())?;
        Ok(Response::new(self.repository.send_registration_notice(step, &access.actor()).await?))
    }

    async fn declare_remediation(
        &self,
        request: Request<DeclareRemediationRequest>,
    ) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let remediation: Remediation = input(request.get_ref())?;
        let body = self.repository.public_service_application_body(&remediation.application_id).await?;
        access.require(Owner::Organization(&body), AGENCY)?;
        Ok(Response::new(self.repository.declare_remediation(remediation, &access.actor()).await?))
    }

    async fn resubmit_entry(&self, request: Request<ResubmitEntryRequest>) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let submission: Submission = input(request.get_ref())?;
        let id = submission.application_id.as_deref().unwrap_or_default();
        let stored = self.repository.public_service_application_body(id).await?;
        // The application stays with its agency: both the body it was submitted for and the one now named.
        access.require(Owner::Organization(&stored), AGENCY)?;
        access.require(Owner::Organization(&submission.content.competent_body), AGENCY)?;
        Ok(Response::new(self.repository.resubmit_public_service(submission, &access.actor()).await?))
    }

    async fn submit_amendment(&self, request: Request<SubmitAmendmentRequest>) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let amendment: Amendment = input(request.get_ref())?;
        let stored = self.repository.public_service_body(amendment.number).await?;
        // The entry stays with its agency: both the body it is registered for and the one now named.
        access.require(Owner::Organization(&stored), AGENCY)?;
        access.require(Owner::Organization(&amendment.content.competent_body), AGENCY)?;
        Ok(Response::new(self.repository.submit_amendment(amendment, &access.actor()).await?))
    }

    async fn abolish_entry(&self, request: Request<AbolishEntryRequest>) -> Reply<PublicServiceEntry> {
        let access = Access::of(&request)?;
        let notice: AbolitionNotice = input(request.get_ref())?;
        let body = self.repository.public_service_body(notice.number).await?;
        access.require(Owner::Organization(&body), AGENCY)?;
        Ok(Response::new(self.repository.abolish_public_service(notice, &access.actor()).await?))
    }

    async fn confirm_inventory(&self, request: Request<ConfirmInventoryRequest>) -> Reply<InventoryConfirmation> {
        let access = Access::of(&request)?;
        let confirmation: InventoryInput = input(request.get_ref())?;
        access.require(Owner::Organization(&confirmation.body), "agency's inventory")?;
        Ok(Response::new(self.repository.confirm_inventory(confirmation, &access.actor()).await?))
    }

    async fn get_entry_application(
        &self,
        request: Request<GetEntryApplicationRequest>,
    ) -> Reply<PublicServiceApplication> {
        let access = Access::of(&request)?;
        let id = requests::application_id(&request.get_ref().application_id).map_err(RegistryError::from)?;
        let body = self.repository.public_service_application_body(&id).await?;
        access.require(Owner::Organization(&body), AGENCY)?;
        Ok(Response::new(self.repository.get_public_service_application(&id).await?))
    }

    async fn list_entry_applications(
        &self,
        request: Request<ListEntryApplicationsRequest>,
    ) -> Reply<ListEntryApplicationsResponse> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let body: Option<MemberId> =
            super::optional(request.competent_body.as_ref(), "competent_body").map_err(RegistryError::from)?;
        let body = access.restrict_organization(body, AGENCY)?;
        let state = match EntryApplicationState::try_from(request.state) {
            Ok(EntryApplicationState::Unspecified) => None,
            Ok(state) => Some(state),
            Err(_) => {
                return Err(RegistryError::from(FieldError::new(
                    "state",
                    format!("{} is not an EntryApplicationState", request.state),
                ))
                .into())
            }
        };
        let (applications, next_page_token) =
            self.repository.list_public_service_applications(&page, body.as_ref(), state, request.overdue_only).await?;
        Ok(Response::new(ListEntryApplicationsResponse { applications, next_page_token }))
    }

    async fn get_entry(&self, request: Request<GetEntryRequest>) -> Reply<PublicServiceEntry> {
        Access::of(&request)?;
        let number = requests::number(request.get_ref().number).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_public_service(number).await?))
    }

    async fn list_entries(&self, request: Request<ListEntriesRequest>) -> Reply<ListEntriesResponse> {
        Access::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let body: Option<MemberId> = request
            .competent_body
            .as_ref()
            .map(|b| MemberId::try_from(b).map_err(|e| e.within("competent_body")))
            .transpose()
            .map_err(RegistryError::from)?;
        let (entries, next_page_token) = self.repository.list_public_services(&page, body.as_ref()).await?;
        Ok(Response::new(ListEntriesResponse { entries, next_page_token }))
    }

    async fn get_history(&self, request: Request<GetHistoryRequest>) -> Reply<PublicServiceHistory> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let history = match (request.number, request.application_id.trim().is_empty()) {
            (0, false) => {
                // An application's correspondence is its agency's until registered (REG-1 p. 19 opens entries).
                let id = requests::application_id(&request.application_id).map_err(RegistryError::from)?;
                let body = self.repository.public_service_application_body(&id).await?;
                access.require(Owner::Organization(&body), AGENCY)?;
                self.repository.application_history(&id).await?
            }
            (number, true) if number > 0 => {
                // An entry's history is public, as the open export publishes it (REG-1 p. 19): what registered
                // applications submitted and went through; an open or refused amendment is read by application.
                access.public();
                self.repository.public_service_history(number).await?
            }
            _ => {
                return Err(RegistryError::from(FieldError::new(
                    "number",
                    "give exactly one of number and application_id",
                ))
                .into())
            }
        };
        Ok(Response::new(history))
    }

    async fn reinventory_report(&self, request: Request<ReinventoryReportRequest>) -> Reply<ReinventoryReportResponse> {
        Access::of(&request)?;
        let year = requests::year(request.get_ref().year).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.reinventory_report(year).await?))
    }
}
