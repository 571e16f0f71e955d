//! One year of the working-day calendar as operators write it: a TOML file listing the days that differ from
//! "Monday to Friday work, Saturday and Sunday rest" (REQUIREMENTS 2.5: the calendar is data, not code).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

/// A parsed, checked year: which dates are exceptions to the ordinary week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYear {
    /// The calendar year.
    pub year: i32,
    /// Where the dates come from (the decree, or a note that they are estimates).
    pub source: String,
    /// Weekdays that are not worked: public holidays and transferred days off, with their names.
    pub days_off: BTreeMap<NaiveDate, String>,
    /// Saturdays and Sundays that are worked, by transfer, with their names.
    pub working_days: BTreeMap<NaiveDate, String>,
}

/// A year as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawYear {
    pub(crate) year: i32,
    #[serde(default)]
    pub(crate) source: String,
    #[serde(default)]
    pub(crate) days_off: Vec<RawDay>,
    #[serde(default)]
    pub(crate) working_days: Vec<RawDay>,
}

/// One listed day as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDay {
    pub(crate) date: String,
    pub(crate) name: String,
}

/// Why a year file was refused; the message names the entry and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("calendar file: {0}")]
pub struct YearFileError(pub String);

/// The earliest and latest year accepted: deadlines outside this range mean a mistyped year, not a plan.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl CalendarYear {
    /// Parses and checks a year file.
    pub fn parse(text: &str) -> Result<Self, YearFileError> {
        let raw: RawYear = toml::from_str(text).map_err(|e| YearFileError(e.message().to_owned()))?;
        Self::check(raw)
    }

    /// Checks a year however it was written (a file, or a `calendar_year` registry event).
    pub(crate) fn check(raw: RawYear) -> Result<Self, YearFileError> {
        if !YEARS.contains(&raw.year) {
            return Err(YearFileError(format!("year: must be between {} and {}", YEARS.start(), YEARS.end())));
        }
        let days_off = days(raw.year, "days_off", raw.days_off)?;
        let working_days = days(raw.year, "working_days", raw.working_days)?;
        for date in working_days.keys() {
            if !is_weekend(*date) {
                return Err(YearFileError(format!(
                    "working_days: {date} is a {}; only a Saturday or Sunday can be made a working day",
                    date.weekday()
                )));
            }
        }
        if let Some(date) = days_off.keys().find(|d| working_days.contains_key(d)) {
            return Err(YearFileError(format!("{date} is listed both as a day off and as a working day")));
        }
        Ok(Self { year: raw.year, source: raw.source.trim().to_owned(), days_off, working_days })
    }

    /// Whether `day` (which must be in this year) is worked.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.working_days.contains_key(&day) {
            return true;
        }
        !is_weekend(day) && !self.days_off.contains_key(&day)
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn days(year: i32, field: &str, raw: Vec<RawDay>) -> Result<BTreeMap<NaiveDate, String>, YearFileError> {
    let mut days = BTreeMap::new();
    for (index, day) in raw.into_iter().enumerate() {
        let at = format!("{field}[{index}]");
        let date = NaiveDate::parse_from_str(day.date.trim(), "%Y-%m-%d")
            .map_err(|_| YearFileError(format!("{at}.date: {:?} must be a date as YYYY-MM-DD", day.date)))?;
        if date.year() != year {
            return Err(YearFileError(format!("{at}.date: {date} is not in the file's year {year}")));
        }
        if day.name.trim().is_empty() {
            return Err(YearFileError(format!("{at}.name: must name the holiday or the transfer")));
        }
        if days.insert(date, day.name.trim().to_owned()).is_some() {
            return Err(YearFileError(format!("{at}.date: {date} is listed twice")));
        }
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn shipped_years_parse() {
        for text in [include_str!("../years/2026.toml"), include_str!("../years/2027.toml")] {
            let year = CalendarYear::parse(text).expect("shipped file");
            assert!(year.days_off.len() >= 9, "{}: {:?}", year.year, year.days_off);
        }
    }

    #[test]
    fn weekends_holidays_and_transfers() {
        let year = CalendarYear::parse(
            r#"year = 2026
               days_off = [{ date = "2026-09-01", name = "Mustaqillik kuni" },
                           { date = "2026-09-02", name = "transferred from 2026-09-05" }]
               working_days = [{ date = "2026-09-05", name = "worked for 2026-09-02" }]"#,
        )
        .expect("valid");
        assert!(year.is_working_day(date("2026-08-31")), "Monday");
        assert!(!year.is_working_day(date("2026-09-01")), "holiday");
        assert!(!year.is_working_day(date("2026-09-02")), "transferred day off");
        assert!(year.is_working_day(date("2026-09-05")), "transferred working Saturday");
        assert!(!year.is_working_day(date("2026-09-06")), "Sunday");
    }

    #[test]
    fn bad_files_are_refused_with_the_entry_named() {
        let cases = [
            (r#"year = 1900"#, "year"),
            (
                r#"year = 2026
                days_off = [{ date = "2026-13-01", name = "x" }]"#,
                "days_off[0].date",
            ),
            (
                r#"year = 2026
                days_off = [{ date = "2027-01-01", name = "x" }]"#,
                "not in the file's year",
            ),
            (
                r#"year = 2026
                days_off = [{ date = "2026-01-01", name = " " }]"#,
                "days_off[0].name",
            ),
            (
                r#"year = 2026
                working_days = [{ date = "2026-09-02", name = "x" }]"#,
                "only a Saturday or Sunday",
            ),
            (
                r#"year = 2026
                days_off = [{ date = "2026-01-01", name = "a" }, { date = "2026-01-01", name = "b" }]"#,
                "twice",
            ),
            (
                r#"year = 2026
                holidays = []"#,
                "unknown field",
            ),
        ];
        for (text, expected) in cases {
            let error = CalendarYear::parse(text).expect_err(text).to_string();
            assert!(error.contains(expected), "{error} should mention {expected}");
        }
    }
}
