//! `koprik.registry.v1.Announcements` over gRPC. A provider announces works only on its own web services (A1
//! §23, A2 §22); a service's announcements are public, while the list of what concerns a consumer (its granted
//! services) is the consumer's own.

use koprik_authz::{Access, Owner};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::announcements_server::Announcements;
use koprik_proto::registry::{
    Announcement, CreateAnnouncementRequest, ListAnnouncementsRequest, ListAnnouncementsResponse,
};
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::{optional, Reply};
use crate::error::RegistryError;
use crate::repository::Repository;

/// The gRPC face of provider announcements.
pub struct AnnouncementsApi {
    repository: Repository,
}

impl AnnouncementsApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl Announcements for AnnouncementsApi {
    async fn create_announcement(&self, request: Request<CreateAnnouncementRequest>) -> Reply<Announcement> {
        let access = Access::of(&request)?;
        let announcement = request
            .get_ref()
            .announcement
            .as_ref()
            .ok_or_else(|| RegistryError::from(FieldError::missing("announcement")))?;
        let service: ServiceId = koprik_proto::field::required(announcement.service.as_ref(), "service")
            .map_err(|e| RegistryError::from(e.within("announcement")))?;
        access.require(Owner::Subsystem(service.subsystem()), "web services")?;
        Ok(Response::new(self.repository.create_announcement(announcement, &access.actor()).await?))
    }

    async fn list_announcements(&self, request: Request<ListAnnouncementsRequest>) -> Reply<ListAnnouncementsResponse> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let service: Option<ServiceId> = optional(request.service.as_ref(), "service").map_err(RegistryError::from)?;
        let consumer: Option<SubsystemId> =
            optional(request.consumer.as_ref(), "consumer").map_err(RegistryError::from)?;
        match &consumer {
            // What concerns a consumer reveals what it is granted: its own business.
            Some(consumer) => access.require(Owner::Subsystem(consumer), "subsystem's announcements")?,
            // A web service's announcements are public (A1 §23: every consumer of it is told).
            None => access.public(),
        }
        let announcements =
            self.repository.list_announcements(service.as_ref(), consumer.as_ref(), request.include_past).await?;
        Ok(Response::new(ListAnnouncementsResponse { announcements }))
    }
}
