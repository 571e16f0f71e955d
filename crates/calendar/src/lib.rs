//! The working-day calendar every legal deadline is computed with (REQUIREMENTS 2.5): Monday to Friday minus
//! public holidays, plus transferred working days, read from one data file per year (see [`year_file`]).
//!
//! Deadlines are legal days in Tashkent time (UTC+5, no daylight saving): "within N working days" ends at the
//! last moment of the N-th working day after the day of the event. A date in a year no file covers is an error,
//! never a guess: operators load the next year's file before it starts.
//!
//! Shared by the registry (which keeps the years operators load) and the gateway (which computes the deadlines of
//! asynchronous requests from the same years, received as `calendar_year` registry events).

pub mod message;
pub mod year_file;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, Utc};

pub use year_file::{CalendarYear, YearFileError};

/// The legal time zone of deadlines: Tashkent, UTC+5 all year.
pub const TASHKENT: FixedOffset = match FixedOffset::east_opt(5 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+5 is a valid offset"),
};

/// The years shipped with the platform (`crates/calendar/years/`).
const BUILTIN: &[&str] = &[include_str!("../years/2026.toml"), include_str!("../years/2027.toml")];

/// The longest deadline computed, in working days: far beyond any legal one, so a loop cannot run away.
const MAX_WORKING_DAYS: u32 = 366;

/// A date the calendar cannot answer for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the working-day calendar has no year {0}; an operator must load it (koprik calendar-load <file>)")]
pub struct CalendarError(pub i32);

/// The calendar in force: the built-in years, replaced or extended by years operators loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, CalendarYear>,
}

impl Calendar {
    /// The shipped years only.
    pub fn builtin() -> Self {
        let mut calendar = Self { years: BTreeMap::new() };
        for text in BUILTIN {
            // The shipped files are checked by a unit test; a broken one is skipped rather than stopping start-up.
            match CalendarYear::parse(text) {
                Ok(year) => calendar.insert(year),
                Err(error) => tracing::error!(%error, "built-in calendar year is invalid"),
            }
        }
        calendar
    }

    /// Adds `year`, replacing a year already present.
    pub fn insert(&mut self, year: CalendarYear) {
        self.years.insert(year.year, year);
    }

    /// The years covered, oldest first.
    pub fn years(&self) -> impl Iterator<Item = &CalendarYear> {
        self.years.values()
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> Result<bool, CalendarError> {
        self.years.get(&day.year()).map(|year| year.is_working_day(day)).ok_or(CalendarError(day.year()))
    }

    /// The `n`-th working day after `day` (`day` itself does not count; `n` = 0 gives `day`).
    pub fn nth_working_day_after(&self, day: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut current = day;
        let mut left = n.min(MAX_WORKING_DAYS);
        while left > 0 {
            current = next_day(current)?;
            if self.is_working_day(current)? {
                left -= 1;
            }
        }
        Ok(current)
    }

    /// The end of the `n`-th working day after the Tashkent date of `at`: "within n working days".
    pub fn working_days_after(&self, at: DateTime<Utc>, n: u32) -> Result<DateTime<Utc>, CalendarError> {
        Ok(end_of(self.nth_working_day_after(local_date(at), n)?))
    }

    /// The end of the next working day after the Tashkent date of `at` (REG-2 p. 12: "within 1 working day
    /// following the day the request was sent").
    pub fn end_of_next_working_day(&self, at: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        self.working_days_after(at, 1)
    }

    /// The end of the `n`-th calendar day after the Tashkent date of `at`: "within one week" is `n` = 7.
    pub fn calendar_days_after(at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        end_of(local_date(at).checked_add_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX))
    }

    /// Working days from `now` to `due`: how many working days after today up to and including the day of `due`
    /// are left, or, when `due` has passed, minus the working days since (the day of `due` not counted).
    pub fn working_days_left(&self, now: DateTime<Utc>, due: DateTime<Utc>) -> Result<i64, CalendarError> {
        let (today, due_day) = (local_date(now), local_date(due));
        let (from, to, sign) = if due >= now { (today, due_day, 1) } else { (due_day, today, -1) };
        let mut count = 0i64;
        let mut day = from;
        while day < to && count <= i64::from(MAX_WORKING_DAYS) {
            day = next_day(day)?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }
}

impl Default for Calendar {
    fn default() -> Self {
        Self::builtin()
    }
}

/// The Tashkent date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&TASHKENT).date_naive()
}

/// The last millisecond of `day` in Tashkent, as UTC.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    let last = NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN);
    // A fixed offset maps every local time to exactly one instant.
    day.and_time(last).and_local_timezone(TASHKENT).single().map_or(DateTime::<Utc>::MAX_UTC, |d| d.with_timezone(&Utc))
}

fn next_day(day: NaiveDate) -> Result<NaiveDate, CalendarError> {
    day.succ_opt().ok_or(CalendarError(day.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
    }

    #[test]
    fn working_days_skip_the_weekend_and_a_holiday() {
        let calendar = Calendar::builtin();
        // Friday 2026-08-28; Sat 29, Sun 30, Mon 31 works, Tue 1 September is Independence Day.
        assert_eq!(calendar.nth_working_day_after(date("2026-08-28"), 1), Ok(date("2026-08-31")));
        assert_eq!(calendar.nth_working_day_after(date("2026-08-28"), 2), Ok(date("2026-09-02")));
        assert_eq!(calendar.nth_working_day_after(date("2026-08-28"), 7), Ok(date("2026-09-09")));
        assert_eq!(calendar.nth_working_day_after(date("2026-08-28"), 0), Ok(date("2026-08-28")));
    }

    #[test]
    fn deadlines_end_at_midnight_in_tashkent() {
        let calendar = Calendar::builtin();
        // 2026-08-28 20:30 UTC is already Saturday 29th 01:30 in Tashkent; the next working day is Monday 31st.
        let due = calendar.end_of_next_working_day(at("2026-08-28T20:30:00Z")).expect("covered");
        assert_eq!(due, at("2026-08-31T18:59:59.999Z"));
        assert_eq!(Calendar::calendar_days_after(at("2026-08-28T10:00:00Z"), 7), at("2026-09-04T18:59:59.999Z"));
    }

    #[test]
    fn deadlines_cross_into_the_next_year() {
        let calendar = Calendar::builtin();
        // Thursday 2026-12-31: Friday 1 January 2027 is New Year, so the next working day is Monday 4th.
        assert_eq!(calendar.nth_working_day_after(date("2026-12-31"), 1), Ok(date("2027-01-04")));
    }

    #[test]
    fn an_uncovered_year_is_an_error_not_a_guess() {
        let calendar = Calendar::builtin();
        assert_eq!(calendar.nth_working_day_after(date("2027-12-30"), 3), Err(CalendarError(2028)));
        assert_eq!(calendar.is_working_day(date("2025-06-02")), Err(CalendarError(2025)));
    }

    #[test]
    fn a_loaded_year_replaces_the_shipped_one() {
        let mut calendar = Calendar::builtin();
        let year = CalendarYear::parse(
            r#"year = 2026
               days_off = [{ date = "2026-08-31", name = "transferred from 2026-09-05" }]
               working_days = [{ date = "2026-09-05", name = "worked for 2026-08-31" }]"#,
        )
        .expect("valid");
        calendar.insert(year);
        assert_eq!(calendar.nth_working_day_after(date("2026-08-28"), 1), Ok(date("2026-09-01")));
        assert_eq!(calendar.nth_working_day_after(date("2026-09-04"), 1), Ok(date("2026-09-05")));
    }

    #[test]
    fn remaining_working_days_count_forward_and_back() {
        let calendar = Calendar::builtin();
        let friday = at("2026-08-28T06:00:00Z");
        let due = calendar.working_days_after(friday, 2).expect("covered");
        assert_eq!(calendar.working_days_left(friday, due), Ok(2));
        assert_eq!(calendar.working_days_left(at("2026-09-03T06:00:00Z"), due), Ok(-1));
        assert_eq!(calendar.working_days_left(due, due), Ok(0));
    }
}
