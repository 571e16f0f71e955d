//! `koprik.registry.v1.PublicServices` over gRPC: translates requests into validated inputs and repository calls.
//! Decides nothing itself; the rules are in `domain::public_service`.

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

/// Validates a request into its domain input.
fn input<'a, W, D: TryFrom<&'a W, Error = FieldError>>(wire: &'a W) -> Result<D, RegistryError> {
    Ok(D::try_from(wire)?)
}

#[tonic::async_trait]
impl PublicServices for PublicServicesApi {
    async fn submit_entry(&self, request: Request<SubmitEntryRequest>) -> Reply<PublicServiceApplication> {
        let submission: Submission = input(request.get_ref())?;
        Ok(Response::new(self.repository.submit_public_service(submission).await?))
    }

    async fn register_entry(&self, request: Request<RegisterEntryRequest>) -> Reply<PublicServiceApplication> {
        let step: ApplicationStep = input(request.get_ref())?;
        Ok(Response::new(self.repository.register_public_service(step).await?))
    }

    async fn refuse_entry(&self, request: Request<RefuseEntryRequest>) -> Reply<PublicServiceApplication> {
        let refusal: Refusal = input(request.get_ref())?;
        Ok(Response::new(self.repository.refuse_public_service(refusal).await?))
    }

    async fn send_registration_notice(
        &self,
        request: Request<SendRegistrationNoticeRequest>,
    ) -> Reply<PublicServiceApplication> {
        let step: ApplicationStep = input(request.get_ref())?;
        Ok(Response::new(self.repository.send_registration_notice(step).await?))
    }

    async fn declare_remediation(
        &self,
        request: Request<DeclareRemediationRequest>,
    ) -> Reply<PublicServiceApplication> {
        let remediation: Remediation = input(request.get_ref())?;
        Ok(Response::new(self.repository.declare_remediation(remediation).await?))
    }

    async fn resubmit_entry(&self, request: Request<ResubmitEntryRequest>) -> Reply<PublicServiceApplication> {
        let submission: Submission = input(request.get_ref())?;
        Ok(Response::new(self.repository.resubmit_public_service(submission).await?))
    }

    async fn submit_amendment(&self, request: Request<SubmitAmendmentRequest>) -> Reply<PublicServiceApplication> {
        let amendment: Amendment = input(request.get_ref())?;
        Ok(Response::new(self.repository.submit_amendment(amendment).await?))
    }

    async fn abolish_entry(&self, request: Request<AbolishEntryRequest>) -> Reply<PublicServiceEntry> {
        let notice: AbolitionNotice = input(request.get_ref())?;
        Ok(Response::new(self.repository.abolish_public_service(notice).await?))
    }

    async fn confirm_inventory(&self, request: Request<ConfirmInventoryRequest>) -> Reply<InventoryConfirmation> {
        let confirmation: InventoryInput = input(request.get_ref())?;
        Ok(Response::new(self.repository.confirm_inventory(confirmation).await?))
    }

    async fn get_entry_application(
        &self,
        request: Request<GetEntryApplicationRequest>,
    ) -> Reply<PublicServiceApplication> {
        let id = requests::application_id(&request.get_ref().application_id).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_public_service_application(&id).await?))
    }

    async fn list_entry_applications(
        &self,
        request: Request<ListEntryApplicationsRequest>,
    ) -> Reply<ListEntryApplicationsResponse> {
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
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
            self.repository.list_public_service_applications(&page, state, request.overdue_only).await?;
        Ok(Response::new(ListEntryApplicationsResponse { applications, next_page_token }))
    }

    async fn get_entry(&self, request: Request<GetEntryRequest>) -> Reply<PublicServiceEntry> {
        let number = requests::number(request.get_ref().number).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_public_service(number).await?))
    }

    async fn list_entries(&self, request: Request<ListEntriesRequest>) -> Reply<ListEntriesResponse> {
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
        let request = request.get_ref();
        let history = match (request.number, request.application_id.trim().is_empty()) {
            (0, false) => {
                let id = requests::application_id(&request.application_id).map_err(RegistryError::from)?;
                self.repository.application_history(&id).await?
            }
            (number, true) if number > 0 => self.repository.public_service_history(number).await?,
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
        let year = requests::year(request.get_ref().year).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.reinventory_report(year).await?))
    }
}
