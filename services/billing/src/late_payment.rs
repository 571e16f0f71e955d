//! Late payment (A2 §25): DDP access is suspended while payment under the contract is late, and reinstated once
//! it is paid. An invoice is due `payment_terms_days` after the last day of its period (the contract's term,
//! 1-90 days); it is overdue from the next Tashkent day while not paid in full, and the account stays overdue
//! while any of its invoices is.
//!
//! The due date is fixed by the period, not by the day the invoice was issued: invoices are issued
//! automatically once the period's grace for late usage has passed, well within the term.

use chrono::{DateTime, NaiveDate, Utc};
use koprik_proto::FieldError;

use crate::billing_period::{local_date, Period};

/// The shortest payment term accepted, in days.
pub const MIN_TERMS_DAYS: u32 = 1;
/// The longest payment term accepted, in days.
pub const MAX_TERMS_DAYS: u32 = 90;

/// When the invoice of `period` must be paid by.
pub fn due_on(period: Period, terms_days: u32) -> NaiveDate {
    period.last_day_plus(terms_days)
}

/// True when an invoice due on `due_on` and not paid in full is late at `now`.
pub fn is_overdue(due_on: NaiveDate, now: DateTime<Utc>) -> bool {
    local_date(now) > due_on
}

/// Checks a contract's payment term.
pub fn validate_terms(days: u32) -> Result<(), FieldError> {
    if (MIN_TERMS_DAYS..=MAX_TERMS_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(FieldError::new(
            "payment_terms_days",
            format!("must be between {MIN_TERMS_DAYS} and {MAX_TERMS_DAYS} days after the end of the period"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoice_is_overdue_from_the_day_after_its_due_date() {
        let october = Period::parse("2026-10", "period").expect("valid");
        let due = due_on(october, 15);
        assert_eq!(due.to_string(), "2026-11-15");
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc);
        assert!(!is_overdue(due, at("2026-11-15T18:59:59Z")));
        // 19:00 UTC on the 15th is 00:00 on the 16th in Tashkent.
        assert!(is_overdue(due, at("2026-11-15T19:00:00Z")));
    }

    #[test]
    fn terms_are_bounded() {
        assert!(validate_terms(0).is_err());
        assert!(validate_terms(91).is_err());
        assert!(validate_terms(15).is_ok());
    }
}
