//! The legal deadline of a submitted request's answer (REG-2 p. 17): the provider answers within 1 working day
//! following the day the request was received — the end of the next working day, Tashkent time, by the
//! platform's working-day calendar. Archive services are exempt: no deadline.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use koprik_calendar::Calendar;

use crate::error::GatewayError;

/// When the answer to a request received at `received_at` is due; `None` for an archive service. `test_override`
/// replaces the calendar's deadline with receipt plus that (configuration for tests only).
pub fn due(
    calendar: &Calendar,
    received_at: DateTime<Utc>,
    archive: bool,
    test_override: Option<Duration>,
) -> Result<Option<DateTime<Utc>>, GatewayError> {
    if archive {
        return Ok(None);
    }
    if let Some(after) = test_override {
        return Ok(Some((received_at + after).trunc_subsecs(6)));
    }
    calendar.end_of_next_working_day(received_at).map(Some).map_err(|e| {
        tracing::error!(error = %e, "no deadline: the calendar lacks the year");
        GatewayError::Platform(format!("the deadline of the answer cannot be computed: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
    }

    #[test]
    fn a_friday_request_is_due_at_the_end_of_monday_in_tashkent() {
        let calendar = Calendar::builtin();
        // Friday 20 November 2026, 15:00 Tashkent.
        let due = due(&calendar, at("2026-11-20T10:00:00Z"), false, None).expect("covered year");
        assert_eq!(due, Some(at("2026-11-23T18:59:59.999Z")), "Monday 23 November, 23:59:59.999 Tashkent");
    }

    #[test]
    fn archive_services_have_no_deadline() {
        assert_eq!(due(&Calendar::builtin(), at("2026-11-20T10:00:00Z"), true, None), Ok(None));
    }

    #[test]
    fn a_year_the_calendar_lacks_is_a_platform_error() {
        let error = due(&Calendar::builtin(), at("2040-01-10T10:00:00Z"), false, None).expect_err("no year 2040");
        assert!(matches!(error, GatewayError::Platform(m) if m.contains("2040")));
    }
}
