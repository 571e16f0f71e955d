//! Announced technical works (A1 §23, A2 §22: providers announce works in writing at least three working days
//! ahead). During the announced window calls to the service fail fast with UNAVAILABLE and the announced end,
//! instead of waiting for an adapter that is down on purpose.

use chrono::{DateTime, Utc};
use koprik_proto::ids::ServiceId;

use crate::cache::RegistryCache;
use crate::error::GatewayError;

/// Refuses a call to `service` at `now` if it falls in an announced technical-works window.
pub fn check(cache: &RegistryCache, service: &ServiceId, now: DateTime<Utc>) -> Result<(), GatewayError> {
    match cache.maintenance_at(service, now) {
        None => Ok(()),
        Some(window) => Err(GatewayError::ServiceUnavailable(format!(
            "service {service} is under announced technical works until {} (notice {}); call again after that",
            window.ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            window.letter_reference
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use koprik_proto::events::registry_event::Entity;
    use koprik_proto::registry::{Announcement, AnnouncementKind};
    use koprik_proto::time::timestamp;

    const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";

    #[test]
    fn calls_inside_the_window_fail_with_its_end_and_calls_outside_pass() {
        let service: ServiceId = SERVICE.parse().expect("id");
        let cache = RegistryCache::default();
        let start = Utc::now();
        let end = start + Duration::hours(2);
        cache
            .apply(&Entity::Announcement(Announcement {
                id: "a-1".into(),
                service: Some((&service).into()),
                kind: AnnouncementKind::TechnicalWorks as i32,
                starts_at: Some(timestamp(start)),
                ends_at: Some(timestamp(end)),
                letter_reference: "04-17/552".into(),
                ..Announcement::default()
            }))
            .expect("applied");
        let err = check(&cache, &service, start + Duration::minutes(1)).expect_err("in the window");
        assert!(matches!(&err, GatewayError::ServiceUnavailable(m) if m.contains("04-17/552")), "{err}");
        assert!(err.to_string().contains(&end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)), "{err}");
        assert_eq!(check(&cache, &service, start - Duration::minutes(1)), Ok(()));
        assert_eq!(check(&cache, &service, end), Ok(()));
    }

    #[test]
    fn planned_changes_do_not_close_the_service() {
        let service: ServiceId = SERVICE.parse().expect("id");
        let cache = RegistryCache::default();
        cache
            .apply(&Entity::Announcement(Announcement {
                id: "a-2".into(),
                service: Some((&service).into()),
                kind: AnnouncementKind::PlannedChange as i32,
                starts_at: Some(timestamp(Utc::now() - Duration::minutes(1))),
                ..Announcement::default()
            }))
            .expect("applied");
        assert_eq!(check(&cache, &service, Utc::now()), Ok(()));
    }
}
