//! `koprik.registry.v1.WorkingCalendar` over gRPC: load and read calendar years, compute deadlines.

use chrono::Utc;
use koprik_authz::Access;
use koprik_proto::registry::working_calendar_server::WorkingCalendar;
use koprik_proto::registry::{
    CalendarYear, ComputeDeadlineRequest, ComputeDeadlineResponse, GetCalendarYearRequest, ListCalendarYearsRequest,
    ListCalendarYearsResponse, LoadCalendarYearRequest,
};
use koprik_proto::time::{timestamp, to_datetime};
use koprik_proto::tonic::{self, Request, Response};

use super::Reply;
use crate::error::RegistryError;
use crate::repository::Repository;

/// The gRPC face of the working-day calendar.
pub struct CalendarApi {
    repository: Repository,
}

impl CalendarApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl WorkingCalendar for CalendarApi {
    async fn load_calendar_year(&self, request: Request<LoadCalendarYearRequest>) -> Reply<CalendarYear> {
        let access = Access::of(&request)?;
        Ok(Response::new(self.repository.load_calendar_year(&request.get_ref().content, &access.actor()).await?))
    }

    async fn get_calendar_year(&self, request: Request<GetCalendarYearRequest>) -> Reply<CalendarYear> {
        Access::of(&request)?;
        let year = request.get_ref().year;
        let years = self.repository.calendar_years().await?;
        let found = years.into_iter().find(|y| y.year == year);
        Ok(Response::new(found.ok_or(RegistryError::NotFound { kind: "calendar year", id: year.to_string() })?))
    }

    async fn list_calendar_years(
        &self,
        request: Request<ListCalendarYearsRequest>,
    ) -> Reply<ListCalendarYearsResponse> {
        Access::of(&request)?;
        Ok(Response::new(ListCalendarYearsResponse { years: self.repository.calendar_years().await? }))
    }

    async fn compute_deadline(&self, request: Request<ComputeDeadlineRequest>) -> Reply<ComputeDeadlineResponse> {
        Access::of(&request)?;
        let request = request.get_ref();
        let from = match &request.from {
            Some(t) => to_datetime(t).map_err(|e| RegistryError::from(e.within("from")))?,
            None => Utc::now(),
        };
        let due = self
            .repository
            .calendar()
            .await?
            .working_days_after(from, request.working_days)
            .map_err(RegistryError::from)?;
        Ok(Response::new(ComputeDeadlineResponse { due_by: Some(timestamp(due)) }))
    }
}
