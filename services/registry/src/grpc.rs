//! `koprik.registry.v1.Registry` over gRPC: translates requests into validated inputs and repository calls.
//! Decides nothing itself. Every handler takes the caller from the authorization guard ([`Access`]): the actor of
//! each recorded step is the caller's certificate, and where the policy limits a role to its own
//! (`crates/authz/src/policy.rs`), the handler names the owner of what the call reaches before it changes anything.

use koprik_authz::{Access, Owner, Role};
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

/// The consumer subsystem and the web service of a stored grant: whose it is.
fn grant_parties(grant: &Grant) -> Result<(SubsystemId, ServiceId), RegistryError> {
    let stored =
        |e: FieldError| RegistryError::Database(sea_orm::DbErr::Custom(format!("grant {}: stored {e}", grant.id)));
    let consumer = required(grant.consumer.as_ref(), "consumer").map_err(stored)?;
    let service = required(grant.service.as_ref(), "service").map_err(stored)?;
    Ok((consumer, service))
}

pub(crate) type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Registry for RegistryApi {
    async fn create_organization(&self, request: Request<CreateOrganizationRequest>) -> Reply<Organization> {
        Access::of(&request)?;
        let input: OrganizationInput =
            required(request.get_ref().organization.as_ref(), "organization").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.create_organization(input).await?))
    }

    async fn get_organization(&self, request: Request<GetOrganizationRequest>) -> Reply<Organization> {
        Access::of(&request)?;
        let id: MemberId = required(request.get_ref().id.as_ref(), "id").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_organization(&id).await?))
    }

    async fn list_organizations(&self, request: Request<ListOrganizationsRequest>) -> Reply<ListOrganizationsResponse> {
        Access::of(&request)?;
        let page = Page::from_request(request.get_ref().page.as_ref()).map_err(RegistryError::from)?;
        let (organizations, next_page_token) = self.repository.list_organizations(&page).await?;
        Ok(Response::new(ListOrganizationsResponse { organizations, next_page_token }))
    }

    async fn update_organization(&self, request: Request<UpdateOrganizationRequest>) -> Reply<Organization> {
        Access::of(&request)?;
        let request = request.into_inner();
        let input: OrganizationInput =
            required(request.organization.as_ref(), "organization").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.update_organization(input, request.expected_revision).await?))
    }

    async fn create_subsystem(&self, request: Request<CreateSubsystemRequest>) -> Reply<Subsystem> {
        Access::of(&request)?;
        let input: SubsystemInput =
            required(request.get_ref().subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.create_subsystem(input).await?))
    }

    async fn get_subsystem(&self, request: Request<GetSubsystemRequest>) -> Reply<Subsystem> {
        let access = Access::of(&request)?;
        let id: SubsystemId = required(request.get_ref().id.as_ref(), "id").map_err(RegistryError::from)?;
        access.require(Owner::Organization(id.member()), "organisation's subsystems")?;
        Ok(Response::new(self.repository.get_subsystem(&id).await?))
    }

    async fn list_subsystems(&self, request: Request<ListSubsystemsRequest>) -> Reply<ListSubsystemsResponse> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let member: Option<MemberId> = optional(request.member.as_ref(), "member").map_err(RegistryError::from)?;
        let member = access.restrict_organization(member, "organisation's subsystems")?;
        let (subsystems, next_page_token) = self.repository.list_subsystems(&page, member.as_ref()).await?;
        Ok(Response::new(ListSubsystemsResponse { subsystems, next_page_token }))
    }

    async fn update_subsystem(&self, request: Request<UpdateSubsystemRequest>) -> Reply<Subsystem> {
        let access = Access::of(&request)?;
        let request = request.into_inner();
        let input: SubsystemInput = required(request.subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        access.require(Owner::Subsystem(&input.id), "subsystems")?;
        Ok(Response::new(self.repository.update_subsystem(input, request.expected_revision).await?))
    }

    async fn create_service(&self, request: Request<CreateServiceRequest>) -> Reply<Service> {
        let access = Access::of(&request)?;
        let input: ServiceInput =
            required(request.get_ref().service.as_ref(), "service").map_err(RegistryError::from)?;
        access.require(Owner::Subsystem(input.id.subsystem()), "organisation's web services")?;
        Ok(Response::new(self.repository.create_service(input).await?))
    }

    async fn get_service(&self, request: Request<GetServiceRequest>) -> Reply<Service> {
        Access::of(&request)?;
        let id: ServiceId = required(request.get_ref().id.as_ref(), "id").map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.get_service(&id).await?))
    }

    async fn list_services(&self, request: Request<ListServicesRequest>) -> Reply<ListServicesResponse> {
        Access::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let provider: Option<SubsystemId> =
            optional(request.provider.as_ref(), "provider").map_err(RegistryError::from)?;
        let (services, next_page_token) = self.repository.list_services(&page, provider.as_ref()).await?;
        Ok(Response::new(ListServicesResponse { services, next_page_token }))
    }

    async fn update_service(&self, request: Request<UpdateServiceRequest>) -> Reply<Service> {
        let access = Access::of(&request)?;
        let request = request.into_inner();
        let input: ServiceInput = required(request.service.as_ref(), "service").map_err(RegistryError::from)?;
        access.require(Owner::Subsystem(input.id.subsystem()), "organisation's web services")?;
        Ok(Response::new(self.repository.update_service(input, request.expected_revision).await?))
    }

    async fn create_grant(&self, request: Request<CreateGrantRequest>) -> Reply<Grant> {
        let access = Access::of(&request)?;
        let request = request.into_inner();
        let grant = GrantRequest {
            consumer: required(request.consumer.as_ref(), "consumer").map_err(RegistryError::from)?,
            service: required(request.service.as_ref(), "service").map_err(RegistryError::from)?,
            permitted_items: request.permitted_items,
            approvals: request.approvals,
            contract: request.contract,
            application_id: String::new(),
            actor: access.actor(),
            max_requests_per_month: request.max_requests_per_month,
        };
        Ok(Response::new(self.repository.create_grant(grant).await?))
    }

    async fn get_grant(&self, request: Request<GetGrantRequest>) -> Reply<Grant> {
        let access = Access::of(&request)?;
        let id = grant_id(&request.get_ref().id).map_err(RegistryError::from)?;
        let grant = self.repository.get_grant(&id).await?;
        let (consumer, service) = grant_parties(&grant)?;
        // A consumer reads its own subsystem's grants only, even when that subsystem also provides the service
        // (other consumers' grants on it are theirs and the provider organisation's); a provider also reads the
        // grants on its own web services.
        if access.identity().role() == Role::Consumer {
            access.require(Owner::Subsystem(&consumer), "grants")?;
        } else {
            access.require_any([Owner::Subsystem(&consumer), Owner::Subsystem(service.subsystem())], "grants")?;
        }
        Ok(Response::new(grant))
    }

    async fn list_grants(&self, request: Request<ListGrantsRequest>) -> Reply<ListGrantsResponse> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref()).map_err(RegistryError::from)?;
        let consumer: Option<SubsystemId> =
            optional(request.consumer.as_ref(), "consumer").map_err(RegistryError::from)?;
        let service: Option<ServiceId> = optional(request.service.as_ref(), "service").map_err(RegistryError::from)?;
        let consumer = if access.identity().role() == Role::Provider && !access.reaches_all() {
            // A provider lists the grants on one of its own web services (whoever the consumers are).
            match &service {
                Some(service) => access.require(Owner::Subsystem(service.subsystem()), "web services' grants")?,
                None => return Err(access.refuse("web services' grants: name one service of your organisation")),
            }
            consumer
        } else {
            // A consumer lists its own grants; the operator and auditors anyone's.
            access.restrict_subsystem(consumer, "grants")?
        };
        let (grants, next_page_token) = self.repository.list_grants(&page, consumer.as_ref(), service.as_ref()).await?;
        Ok(Response::new(ListGrantsResponse { grants, next_page_token }))
    }

    async fn update_grant(&self, request: Request<UpdateGrantRequest>) -> Reply<Grant> {
        let access = Access::of(&request)?;
        let request = request.into_inner();
        let id = grant_id(&request.id).map_err(RegistryError::from)?;
        let status = GrantStatus::try_from(request.status).map_err(|_| {
            RegistryError::from(FieldError::new("status", format!("{} is not a GrantStatus", request.status)))
        })?;
        let actor = access.actor();
        let change =
            Change { next: status, ground: request.ground, reason: &request.reason, notice: request.notice.as_ref() };
        Ok(Response::new(self.repository.update_grant(&id, change, &actor, request.expected_revision).await?))
    }
}
