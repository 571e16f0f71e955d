//! The base calculation amount (BCA, *bazaviy hisoblash miqdori*): the unit DDP prices are set in (R516 §4b:
//! "0.1 % to 2 % of the BCA per request"). It changes by decree, so it is an effective-dated schedule: a request
//! is priced by the amount in force on the Tashkent date of its legal time of receipt, so a change in the middle
//! of a month prices the requests before and after it differently.

use chrono::{DateTime, NaiveDate, Utc};
use koprik_proto::FieldError;

use crate::billing_period::local_date;

/// The largest BCA accepted, in tiyin (100 million soʻm): anything above is a typing error.
pub const MAX_BASE_AMOUNT_TIYIN: i64 = 10_000_000_000;

/// The recorded amounts, by the date each comes into force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    /// `(effective_from, amount in tiyin)`, sorted by date.
    amounts: Vec<(NaiveDate, i64)>,
}

impl Schedule {
    /// A schedule of `(effective_from, tiyin)` pairs in any order.
    pub fn new(mut amounts: Vec<(NaiveDate, i64)>) -> Self {
        amounts.sort_unstable();
        Self { amounts }
    }

    /// The amount in force at `at` (by its Tashkent date), or `None` before the first recorded one.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> Option<i64> {
        let day = local_date(at);
        let after = self.amounts.partition_point(|(from, _)| *from <= day);
        after.checked_sub(1).map(|i| self.amounts[i].1)
    }
}

/// Checks a BCA to record: positive and plausible.
pub fn validate_amount(amount_tiyin: i64) -> Result<(), FieldError> {
    if amount_tiyin <= 0 || amount_tiyin > MAX_BASE_AMOUNT_TIYIN {
        return Err(FieldError::new(
            "amount_tiyin",
            format!("must be between 1 and {MAX_BASE_AMOUNT_TIYIN} tiyin (the BCA in tiyin, e.g. 37500000)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn the_amount_in_force_follows_the_tashkent_date() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let schedule = Schedule::new(vec![(day("2026-10-15"), 41_200_000), (day("2025-08-01"), 37_500_000)]);
        assert_eq!(schedule.in_force_at(at("2025-07-31T12:00:00Z")), None);
        assert_eq!(schedule.in_force_at(at("2026-10-14T18:59:59Z")), Some(37_500_000));
        // 19:00 UTC on the 14th is 00:00 on the 15th in Tashkent.
        assert_eq!(schedule.in_force_at(at("2026-10-14T19:00:00Z")), Some(41_200_000));
        assert_eq!(schedule.in_force_at(at("2030-01-01T00:00:00Z")), Some(41_200_000));
    }

    #[test]
    fn implausible_amounts_are_refused() {
        assert!(validate_amount(0).is_err());
        assert!(validate_amount(-1).is_err());
        assert!(validate_amount(MAX_BASE_AMOUNT_TIYIN + 1).is_err());
        assert!(validate_amount(37_500_000).is_ok());
    }
}
