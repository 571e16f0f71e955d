//! Invoice numbers: 14 digits, unique, as the Unified Billing System numbers its invoices (A3: "each invoice has
//! a unique 14-digit number"). Here: the 4-digit year of issue followed by a 10-digit sequence that starts at 1
//! every year and has no gaps. The sequence is taken in the issuing transaction itself (a row per year, updated
//! under the transaction's lock), so a rolled-back issue gives its number back and the sequence stays gap-free;
//! credit notes draw from the same sequence.

use koprik_proto::FieldError;

/// Digits in a number.
pub const DIGITS: usize = 14;

/// The number for the `sequence`-th document of `year`.
pub fn format(year: i32, sequence: i64) -> String {
    format!("{year:04}{sequence:010}")
}

/// Checks that `text` looks like an invoice number; the error names `field`.
pub fn parse(text: &str, field: &str) -> Result<String, FieldError> {
    if text.len() == DIGITS && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(FieldError::new(field, "must be a 14-digit invoice number, e.g. 20260000000001"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_fourteen_digits() {
        assert_eq!(format(2026, 1), "20260000000001");
        assert_eq!(format(2026, 9_999_999_999), "20269999999999");
        assert!(parse("20260000000001", "number").is_ok());
        assert_eq!(parse("2026000000001", "number").expect_err("13 digits").field, "number");
        assert!(parse("2026000000000a", "number").is_err());
    }
}
