//! The billing period: one calendar month in Tashkent time (UTC+5), written `YYYY-MM`. Tiers count a month's
//! requests, so a contract is always billed monthly (REQUIREMENTS 4.1 leaves the period to us; this is the
//! choice, documented in the README).

use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use koprik_calendar::TASHKENT;
use koprik_proto::FieldError;

/// One calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// The month `at` falls in, in Tashkent.
    pub fn of(at: DateTime<Utc>) -> Self {
        let local = at.with_timezone(&TASHKENT).date_naive();
        Self { year: local.year(), month: local.month() }
    }

    /// Parses `YYYY-MM`; the error names `field`.
    pub fn parse(text: &str, field: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, "must be a month written YYYY-MM, e.g. 2026-10");
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// The month after.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }

    /// 00:00 Tashkent on the first day.
    pub fn starts_at(self) -> DateTime<Utc> {
        local_midnight(self.first_day())
    }

    /// 00:00 Tashkent on the first day of the next month: the period is `[starts_at, ends_at)`.
    pub fn ends_at(self) -> DateTime<Utc> {
        self.next().starts_at()
    }

    /// The months from `self` to `last`, both included.
    pub fn through(self, last: Self) -> impl Iterator<Item = Self> {
        std::iter::successors(Some(self), move |p| Some(p.next()).filter(|n| *n <= last))
            .take_while(move |p| *p <= last)
    }

    /// The date `days` days after the last day.
    pub fn last_day_plus(self, days: u32) -> NaiveDate {
        self.last_day().checked_add_days(chrono::Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX)
    }
}

/// 00:00 Tashkent time on `day`, as UTC.
pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(TASHKENT).single())
        .map_or(DateTime::<Utc>::MAX_UTC, |d| d.with_timezone(&Utc))
}

/// The Tashkent date of `at`.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&TASHKENT).date_naive()
}

/// Parses `YYYY-MM-DD`; the error names `field`.
pub fn parse_date(text: &str, field: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2999).contains(&d.year()) && text.len() == 10)
        .ok_or_else(|| FieldError::new(field, "must be a date written YYYY-MM-DD, e.g. 2026-10-01"))
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The month `months` before `period`.
pub fn months_before(period: Period, months: u32) -> Period {
    let day = period.first_day().checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN);
    Period { year: day.year(), month: day.month() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_tashkent_midnight_to_tashkent_midnight() {
        let october = Period::parse("2026-10", "period").expect("valid");
        assert_eq!(october.starts_at().to_rfc3339(), "2026-09-30T19:00:00+00:00");
        assert_eq!(october.ends_at().to_rfc3339(), "2026-10-31T19:00:00+00:00");
        // 20:00 UTC on 31 October is already 1 November in Tashkent.
        let late = DateTime::parse_from_rfc3339("2026-10-31T20:00:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(Period::of(late).to_string(), "2026-11");
        assert_eq!(october.last_day().to_string(), "2026-10-31");
        assert_eq!(Period::parse("2026-12", "p").expect("valid").next().to_string(), "2027-01");
    }

    #[test]
    fn malformed_months_name_the_field() {
        for bad in ["2026-13", "2026-1", "26-10", "2026/10", "", "2026-00"] {
            let e = Period::parse(bad, "period").expect_err(bad);
            assert_eq!(e.field, "period", "{bad}");
        }
        assert!(parse_date("2026-02-30", "valid_from").is_err());
        assert!(parse_date("2026-2-3", "valid_from").is_err());
    }

    #[test]
    fn months_iterate_inclusively() {
        let from = Period::parse("2026-11", "p").expect("valid");
        let to = Period::parse("2027-02", "p").expect("valid");
        let months: Vec<String> = from.through(to).map(|p| p.to_string()).collect();
        assert_eq!(months, ["2026-11", "2026-12", "2027-01", "2027-02"]);
        assert_eq!(to.through(from).count(), 0);
        assert_eq!(months_before(from, 2).to_string(), "2026-09");
    }
}
