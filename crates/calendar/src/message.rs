//! A calendar year as the registry publishes it (`koprik.registry.v1.CalendarYear`, the `calendar_year` entity of
//! `registry.events`), checked by the same rules as a year file.

use koprik_proto::registry::CalendarYear as CalendarYearMessage;

use crate::year_file::{CalendarYear, RawDay, RawYear, YearFileError};

impl TryFrom<&CalendarYearMessage> for CalendarYear {
    type Error = YearFileError;

    fn try_from(message: &CalendarYearMessage) -> Result<Self, Self::Error> {
        let days = |days: &[koprik_proto::registry::CalendarDay]| {
            days.iter().map(|d| RawDay { date: d.date.clone(), name: d.name.clone() }).collect()
        };
        CalendarYear::check(RawYear {
            year: message.year,
            source: message.source.clone(),
            days_off: days(&message.days_off),
            working_days: days(&message.working_days),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use koprik_proto::registry::CalendarDay;

    fn day(date: &str, name: &str) -> CalendarDay {
        CalendarDay { date: date.into(), name: name.into() }
    }

    #[test]
    fn a_published_year_reads_like_its_file() {
        let message = CalendarYearMessage {
            year: 2028,
            source: "decree".into(),
            days_off: vec![day("2028-01-03", "transferred")],
            working_days: vec![day("2028-01-08", "worked for 2028-01-03")],
            ..CalendarYearMessage::default()
        };
        let year = CalendarYear::try_from(&message).expect("valid");
        let date = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert!(!year.is_working_day(date("2028-01-03")));
        assert!(year.is_working_day(date("2028-01-08")));
    }

    #[test]
    fn a_bad_published_year_names_the_entry() {
        let message = CalendarYearMessage { year: 2028, days_off: vec![day("2027-12-31", "x")], ..Default::default() };
        let error = CalendarYear::try_from(&message).expect_err("wrong year").to_string();
        assert!(error.contains("days_off[0].date"), "{error}");
    }
}
