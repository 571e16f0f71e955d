//! `koprik.registry.v1.Announcements` over gRPC.

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
        let announcement = request
            .get_ref()
            .announcement
            .as_ref()
            .ok_or_else(|| RegistryError::from(FieldError::missing("announcement")))?;
        Ok(Response::new(self.repository.create_announcement(announcement).await?))
    }

    async fn list_announcements(&self, request: Request<ListAnnouncementsRequest>) -> Reply<ListAnnouncementsResponse> {
        let request = request.get_ref();
        let service: Option<ServiceId> = optional(request.service.as_ref(), "service").map_err(RegistryError::from)?;
        let consumer: Option<SubsystemId> =
            optional(request.consumer.as_ref(), "consumer").map_err(RegistryError::from)?;
        let announcements =
            self.repository.list_announcements(service.as_ref(), consumer.as_ref(), request.include_past).await?;
        Ok(Response::new(ListAnnouncementsResponse { announcements }))
    }
}
