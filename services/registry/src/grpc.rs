//! `koprik.registry.v1.Registry` over gRPC: translates requests into validated inputs and repository calls.
//! Decides nothing itself.

use koprik_proto::field::required;
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::registry::registry_server::Registry;
use koprik_proto::registry::{
    CreateGrantRequest, CreateOrganizationRequest, CreateServiceRequest, CreateSubsystemRequest, GetGrantRequest,
    GetOrganizationRequest, GetServiceRequest, GetSubsystemRequest, Grant, GrantStatus, ListGrantsRequest,
    ListGrantsResponse, ListOrganizationsRequest, ListOrganizationsResponse, ListServicesRequest, ListServicesResponse,
    ListSubsystemsRequest, ListSubsystemsResponse, Organization, Service, Subsystem, UpdateGrantRequest,
    UpdateOrganizationRequest, UpdateServiceRequest, UpdateSubsystemRequest,
};
use koprik_proto::tonic::{self, Request, Response, Status};
use koprik_proto::FieldError;

use crate::domain::actor::actor;
use crate::domain::grant_lifecycle::Change;
use crate::domain::organization::OrganizationInput;
use crate::domain::paging::Page;
use crate::domain::service::ServiceInput;
use crate::domain::subsystem::SubsystemInput;
use crate::error::RegistryError;
use crate::repository::{GrantRequest, Repository};

/// The gRPC face of the registry.
pub struct RegistryApi {
    repository: Repository,
}

impl RegistryApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

pub mod announcements;
pub mod calendar;
pub mod certificates;
pub mod onboarding;
pub mod public_services;
pub mod signing_keys;

/// An optional filter field: absent means "no filter", present must be valid.
pub(crate) fn optional<'a, W, D>(value: Option<&'a W>, field: &str) -> Result<Option<D>, FieldError>
where
    D: TryFrom<&'a W, Error = FieldError>,
{
    value.map(|v| D::try_from(v).map_err(|e| e.within(field))).transpose()
}

/// A registry-assigned id: a UUID, in canonical form.
pub(crate) fn uuid_id(id: &str, what: &str) -> Result<String, FieldError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| FieldError::new("id", format!("must be {what} id (a UUID)")))
}

fn grant_id(id: &str) -> Result<String, FieldError> {
    uuid_id(id, "a grant")
}

pub(crate) type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Registry for RegistryApi {
    async fn create_organization(&self, request: Request<CreateOrganizationRequest>) -> Reply<Organization> {
        let input: OrganizationInput =
            required(request.get_ref().organization.as_ref(), "organization").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.create_organization(input).await?))
    }

    async fn get_organization(&self, request: Request<GetOrganizationRequest>) -> Reply<Organization> {
        let id: MemberId = required(request.get_ref().id.as_ref(), "id").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_organization(&id).await?))
    }

    async fn list_organizations(&self, request: Request<ListOrganizationsRequest>) -> Reply<ListOrganizationsResponse> {
        let page = Page::from_request(request.get_ref().page.as_ref()).map_err(RegistryError::from)?;
        let (organizations, next_page_token) = self.repository.list_organizations(&page).await?;
        Ok(Response::new(ListOrganizationsResponse { organizations, next_page_token }))
    }

    async fn update_organization(&self, request: Request<UpdateOrganizationRequest>) -> Reply<Organization> {
        let request = request.into_inner();
        let input: OrganizationInput =
            required(request.organization.as_ref(), "organization").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.update_organization(input, request.expected_revision).await?))
    }

    async fn create_subsystem(&self, request: Request<CreateSubsystemRequest>) -> Reply<Subsystem> {
        let input: SubsystemInput =
            required(request.get_ref().subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.create_subsystem(input).await?))
    }

    async fn get_subsystem(&self, request: Request<GetSubsystemRequest>) -> Reply<Subsystem> {
        let id: SubsystemId = required(request.get_ref().id.as_ref(), "id").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_subsystem(&id).await?))
    }

    async fn list_subsystems(&self, request: Request<ListSubsystemsRequest>) -> Reply<ListSubsystemsResponse> {
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let member: Option<MemberId> = optional(request.member.as_ref(), "member").map_err(RegistryError::from)?;
        let (subsystems, next_page_token) = self.repository.list_subsystems(&page, member.as_ref()).await?;
        Ok(Response::new(ListSubsystemsResponse { subsystems, next_page_token }))
    }

    async fn update_subsystem(&self, request: Request<UpdateSubsystemRequest>) -> Reply<Subsystem> {
        let request = request.into_inner();
        let input: SubsystemInput = required(request.subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.update_subsystem(input, request.expected_revision).await?))
    }

    async fn create_service(&self, request: Request<CreateServiceRequest>) -> Reply<Service> {
        let input: ServiceInput =
            required(request.get_ref().service.as_ref(), "service").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.create_service(input).await?))
    }

    async fn get_service(&self, request: Request<GetServiceRequest>) -> Reply<Service> {
        let id: ServiceId = required(request.get_ref().id.as_ref(), "id").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_service(&id).await?))
    }

    async fn list_services(&self, request: Request<ListServicesRequest>) -> Reply<ListServicesResponse> {
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let provider: Option<SubsystemId> =
            optional(request.provider.as_ref(), "provider").map_err(RegistryError::from)?;
        let (services, next_page_token) = self.repository.list_services(&page, provider.as_ref()).await?;
        Ok(Response::new(ListServicesResponse { services, next_page_token }))
    }

    async fn update_service(&self, request: Request<UpdateServiceRequest>) -> Reply<Service> {
        let request = request.into_inner();
        let input: ServiceInput = required(request.service.as_ref(), "service").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.update_service(input, request.expected_revision).await?))
    }

    async fn create_grant(&self, request: Request<CreateGrantRequest>) -> Reply<Grant> {
        let request = request.into_inner();
        let grant = GrantRequest {
            consumer: required(request.consumer.as_ref(), "consumer").map_err(RegistryError::from)?,
            service: required(request.service.as_ref(), "service").map_err(RegistryError::from)?,
            permitted_items: request.permitted_items,
            approvals: request.approvals,
            contract: request.contract,
            application_id: String::new(),
            actor: actor(&request.actor).map_err(RegistryError::from)?,
            max_requests_per_month: request.max_requests_per_month,
        };
        Ok(Response::new(self.repository.create_grant(grant).await?))
    }

    async fn get_grant(&self, request: Request<GetGrantRequest>) -> Reply<Grant> {
        let id = grant_id(&request.get_ref().id).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_grant(&id).await?))
    }

    async fn list_grants(&self, request: Request<ListGrantsRequest>) -> Reply<ListGrantsResponse> {
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let consumer: Option<SubsystemId> =
            optional(request.consumer.as_ref(), "consumer").map_err(RegistryError::from)?;
        let service: Option<ServiceId> = optional(request.service.as_ref(), "service").map_err(RegistryError::from)?;
        let (grants, next_page_token) = self.repository.list_grants(&page, consumer.as_ref(), service.as_ref()).await?;
        Ok(Response::new(ListGrantsResponse { grants, next_page_token }))
    }

    async fn update_grant(&self, request: Request<UpdateGrantRequest>) -> Reply<Grant> {
        let request = request.into_inner();
        let id = grant_id(&request.id).map_err(RegistryError::from)?;
        let status = GrantStatus::try_from(request.status).map_err(|_| {
            RegistryError::from(FieldError::new("status", format!("{} is not a GrantStatus", request.status)))
        })?;
        let actor = actor(&request.actor).map_err(RegistryError::from)?;
        let change =
            Change { next: status, ground: request.ground, reason: &request.reason, notice: request.notice.as_ref() };
        Ok(Response::new(self.repository.update_grant(&id, change, &actor, request.expected_revision).await?))
    }
}
