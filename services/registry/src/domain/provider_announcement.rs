//! Provider announcements (A1 §23, A2 §22): a planned change to a web service is announced at least two weeks
//! ahead; technical works at least three working days ahead, in writing.

use chrono::{DateTime, Duration, Utc};
use koprik_proto::registry::AnnouncementKind;
use koprik_proto::FieldError;

use crate::calendar::{Calendar, CalendarError};

/// A planned change: at least 14 days ahead.
pub const PLANNED_CHANGE_LEAD_DAYS: i64 = 14;
/// Technical works: at least 3 working days ahead.
pub const TECHNICAL_WORKS_LEAD_WORKING_DAYS: u32 = 3;

/// Why an announcement is refused.
#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    /// Too late, or malformed.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// The calendar does not cover the dates.
    #[error("{0}")]
    Calendar(#[from] CalendarError),
}

/// The earliest start an announcement made `now` may name.
pub fn earliest_start(
    kind: AnnouncementKind,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<DateTime<Utc>, LeadError> {
    match kind {
        AnnouncementKind::PlannedChange => Ok(now + Duration::days(PLANNED_CHANGE_LEAD_DAYS)),
        // Three whole working days after today must pass before the works start.
        AnnouncementKind::TechnicalWorks => {
            Ok(calendar.working_days_after(now, TECHNICAL_WORKS_LEAD_WORKING_DAYS)? + Duration::milliseconds(1))
        }
        AnnouncementKind::Unspecified => {
            Err(FieldError::new("announcement.kind", "must be PLANNED_CHANGE or TECHNICAL_WORKS").into())
        }
    }
}

/// Checks the times of an announcement made `now`.
pub fn check(
    kind: AnnouncementKind,
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    calendar: &Calendar,
) -> Result<(), LeadError> {
    let earliest = earliest_start(kind, now, calendar)?;
    if starts_at < earliest {
        let rule = match kind {
            AnnouncementKind::PlannedChange => "at least two weeks ahead (A1 §23, A2 §22)",
            _ => "at least three working days ahead (A1 §23, A2 §22)",
        };
        return Err(FieldError::new(
            "announcement.starts_at",
            format!("must be {rule}: not before {}", earliest.to_rfc3339()),
        )
        .into());
    }
    match (kind, ends_at) {
        (AnnouncementKind::TechnicalWorks, None) => {
            Err(FieldError::new("announcement.ends_at", "is required for technical works: when the service is back")
                .into())
        }
        (_, Some(end)) if end <= starts_at => {
            Err(FieldError::new("announcement.ends_at", "must be after starts_at").into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
    }

    #[test]
    fn technical_works_need_three_working_days_across_a_weekend_and_a_holiday() {
        let calendar = Calendar::builtin();
        // Friday 2026-08-28: Mon 31, Wed 2 Sep, Thu 3 Sep are the three working days (Tue 1 Sep is a holiday).
        let earliest =
            earliest_start(AnnouncementKind::TechnicalWorks, at("2026-08-28T06:00:00Z"), &calendar).expect("covered");
        assert_eq!(earliest, at("2026-09-03T19:00:00Z"));
        let now = at("2026-08-28T06:00:00Z");
        let works = |start: &str| {
            check(AnnouncementKind::TechnicalWorks, now, at(start), Some(at(start) + Duration::hours(2)), &calendar)
        };
        assert!(works("2026-09-03T10:00:00Z").is_err(), "Thursday 3rd is still within the notice period");
        assert!(works("2026-09-04T04:00:00Z").is_ok(), "Friday 4th 09:00 Tashkent");
    }

    #[test]
    fn a_planned_change_needs_two_weeks() {
        let calendar = Calendar::builtin();
        let now = at("2026-11-02T06:00:00Z");
        assert!(check(AnnouncementKind::PlannedChange, now, at("2026-11-15T06:00:00Z"), None, &calendar).is_err());
        assert!(check(AnnouncementKind::PlannedChange, now, at("2026-11-16T06:00:00Z"), None, &calendar).is_ok());
    }

    #[test]
    fn works_need_an_end_after_the_start() {
        let calendar = Calendar::builtin();
        let now = at("2026-11-02T06:00:00Z");
        let start = at("2026-11-20T06:00:00Z");
        assert!(check(AnnouncementKind::TechnicalWorks, now, start, None, &calendar).is_err());
        assert!(check(AnnouncementKind::TechnicalWorks, now, start, Some(start), &calendar).is_err());
        assert!(check(AnnouncementKind::Unspecified, now, start, None, &calendar).is_err());
    }
}
