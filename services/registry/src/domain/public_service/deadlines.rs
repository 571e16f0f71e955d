//! Every deadline of the Unified Registry's procedure (REG-1 pp. 12-16, 21 and the scheme of App. 1), as pure
//! functions of the working-day calendar and the moment the deadline runs from. Deadlines are Tashkent legal days
//! (see [`crate::calendar`]): "within N days" ends at the last moment of the N-th day after the day of the event.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::calendar::{Calendar, CalendarError, TASHKENT};

/// REG-1 p. 12, App. 1 stage 4: the operator reviews the information and registers the service within one week
/// (seven calendar days) of its submission.
pub fn registration_due(submitted_at: DateTime<Utc>) -> DateTime<Utc> {
    Calendar::calendar_days_after(submitted_at, 7)
}

/// REG-1 p. 13, App. 1 stage 5: a refusal, with its reasons, within 5 working days of the submission.
pub fn refusal_due(calendar: &Calendar, submitted_at: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
    calendar.working_days_after(submitted_at, 5)
}

/// REG-1 p. 12, App. 1 stage 5: the registration notice with the registry number within 1 working day after the
/// day of registration.
pub fn notice_due(calendar: &Calendar, registered_at: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
    calendar.working_days_after(registered_at, 1)
}

/// REG-1 p. 13, App. 1 stage 6: the body fixes the deficiencies and resubmits within 3 working days of the refusal.
pub fn resubmission_due(calendar: &Calendar, refused_at: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
    calendar.working_days_after(refused_at, 3)
}

/// REG-1 p. 13, third paragraph: when the fix must be agreed with other bodies the body sets its own date; the
/// resubmission is then due by the end of that day.
pub fn declared_remediation_due(date: NaiveDate) -> DateTime<Utc> {
    Calendar::calendar_days_after(noon(date), 0)
}

/// REG-1 p. 14, App. 1 stage 7: an amendment is entered within 1 working day of the change. The change is a date
/// (the day the amended regulation took effect), so the amendment is due by the end of the next working day.
/// (p. 14 says "one day"; the scheme of App. 1 makes it a working day, which is what is applied.)
pub fn amendment_due(calendar: &Calendar, change_date: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
    calendar.working_days_after(noon(change_date), 1)
}

/// REG-1 p. 16: the body notifies the abolition of a service within one week of the abolishing act's date.
pub fn abolition_due(act_date: NaiveDate) -> DateTime<Utc> {
    Calendar::calendar_days_after(noon(act_date), 7)
}

/// REG-1 p. 21: every body re-inventories its services "by 1 October" each year: the confirmation is due before
/// 1 October begins in Tashkent, i.e. by the end of 30 September.
pub fn inventory_due(year: i32) -> Option<DateTime<Utc>> {
    NaiveDate::from_ymd_opt(year, 9, 30).map(|day| Calendar::calendar_days_after(noon(day), 0))
}

/// A step done after its deadline is late (the deadline's last millisecond is still on time).
pub fn is_late(at: DateTime<Utc>, due_by: DateTime<Utc>) -> bool {
    at > due_by
}

/// Midday of `date` in Tashkent: an instant whose Tashkent date is `date`, to count days from.
fn noon(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN + chrono::Duration::hours(12))
        .and_local_timezone(TASHKENT)
        .single()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    // The built-in 2026 calendar: Tuesday 1 September is Independence Day; Friday 20 March (Ramazon hayiti) and
    // Saturday 21 March (Navro'z) are holidays.

    #[test]
    fn reg1_p12_registration_within_one_calendar_week() {
        // Friday 28 August, 15:00 Tashkent: the week ends on Friday 4 September, holiday or not.
        assert_eq!(registration_due(at("2026-08-28T10:00:00Z")), at("2026-09-04T18:59:59.999Z"));
    }

    #[test]
    fn reg1_p13_refusal_within_five_working_days_across_a_weekend_and_a_holiday() {
        let calendar = Calendar::builtin();
        // Friday 28 August: Mon 31 (1), Tue 1 September is a holiday, Wed 2 (2), Thu 3 (3), Fri 4 (4), Mon 7 (5).
        assert_eq!(refusal_due(&calendar, at("2026-08-28T10:00:00Z")), Ok(at("2026-09-07T18:59:59.999Z")));
        // Thursday 19 March: Fri 20 and Sat 21 are holidays, Sun 22 rests: Mon 23 (1) ... Fri 27 (5).
        assert_eq!(refusal_due(&calendar, at("2026-03-19T04:00:00Z")), Ok(at("2026-03-27T18:59:59.999Z")));
    }

    #[test]
    fn reg1_p12_the_notice_is_due_the_next_working_day() {
        let calendar = Calendar::builtin();
        // Registered Monday 31 August: Tuesday 1 September is a holiday, so the notice is due Wednesday 2nd.
        assert_eq!(notice_due(&calendar, at("2026-08-31T06:00:00Z")), Ok(at("2026-09-02T18:59:59.999Z")));
        // Registered Thursday 19 March 23:30 Tashkent (18:30 UTC): due Monday 23rd.
        assert_eq!(notice_due(&calendar, at("2026-03-19T18:30:00Z")), Ok(at("2026-03-23T18:59:59.999Z")));
    }

    #[test]
    fn reg1_p13_resubmission_within_three_working_days() {
        let calendar = Calendar::builtin();
        // Refused Friday 28 August: Mon 31 (1), Wed 2 (2), Thu 3 (3).
        assert_eq!(resubmission_due(&calendar, at("2026-08-28T10:00:00Z")), Ok(at("2026-09-03T18:59:59.999Z")));
        assert_eq!(declared_remediation_due(date("2026-10-15")), at("2026-10-15T18:59:59.999Z"));
    }

    #[test]
    fn reg1_p14_amendment_within_one_working_day_of_the_change() {
        let calendar = Calendar::builtin();
        // Changed Monday 31 August: Tuesday is Independence Day, so the amendment is due Wednesday 2 September.
        assert_eq!(amendment_due(&calendar, date("2026-08-31")), Ok(at("2026-09-02T18:59:59.999Z")));
        // Changed Thursday 19 March: due Monday 23 March.
        assert_eq!(amendment_due(&calendar, date("2026-03-19")), Ok(at("2026-03-23T18:59:59.999Z")));
    }

    #[test]
    fn reg1_p16_abolition_within_one_week_of_the_act() {
        assert_eq!(abolition_due(date("2026-08-28")), at("2026-09-04T18:59:59.999Z"));
    }

    #[test]
    fn reg1_p21_reinventory_by_1_october() {
        let due = inventory_due(2026).expect("valid year");
        assert_eq!(due, at("2026-09-30T18:59:59.999Z"));
        assert!(!is_late(at("2026-09-30T18:59:59.999Z"), due));
        assert!(is_late(at("2026-09-30T19:00:00Z"), due), "1 October 00:00 in Tashkent is late");
    }

    #[test]
    fn an_uncovered_year_is_an_error() {
        let calendar = Calendar::builtin();
        assert!(refusal_due(&calendar, at("2030-03-01T10:00:00Z")).is_err());
    }
}
