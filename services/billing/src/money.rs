//! Money: always an integer number of tiyin (1 soʻm = 100 tiyin), never a float. The one rounding rule of the
//! service is here: a request's price, BCA × rate, is rounded half up to a whole tiyin; every other amount is a
//! sum or a product of whole tiyin, or a revenue share rounded down whose leftovers go to the State Budget
//! (see [`crate::revenue_distribution`]).

/// Tiyin in one soʻm.
pub const TIYIN_PER_SOUM: i64 = 100;

/// Basis points in 100 % (one basis point is a hundredth of a percent).
pub const BASIS_POINTS: i64 = 10_000;

/// The price of one request: `base_amount` (tiyin) × `rate_basis_points` / 10 000, rounded half up to a whole
/// tiyin. With the BCA at 375 000 soʻm and 0.1 %, 37 500 000 × 10 / 10 000 = 37 500 tiyin (375 soʻm).
pub fn unit_price(base_amount_tiyin: i64, rate_basis_points: u32) -> i64 {
    let product = i128::from(base_amount_tiyin) * i128::from(rate_basis_points);
    let rounded = (product + i128::from(BASIS_POINTS / 2)) / i128::from(BASIS_POINTS);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// `tiyin` written as soʻm with two decimals and thin grouping: `1 234 567.89`.
pub fn soum(tiyin: i64) -> String {
    let sign = if tiyin < 0 { "-" } else { "" };
    let abs = tiyin.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// `tiyin` as a plain decimal number of soʻm (`1234567.89`), for CSV.
pub fn soum_plain(tiyin: i64) -> String {
    let sign = if tiyin < 0 { "-" } else { "" };
    let abs = tiyin.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_priced_to_the_tiyin_half_up() {
        assert_eq!(unit_price(37_500_000, 10), 37_500);
        assert_eq!(unit_price(37_500_000, 200), 750_000);
        // 41 200 000 × 15 / 10 000 = 61 800 exactly; 41 200 033 × 15 / 10 000 = 61 800.0495 → 61 800.
        assert_eq!(unit_price(41_200_000, 15), 61_800);
        assert_eq!(unit_price(41_200_033, 15), 61_800);
        // x.5 rounds up: 1 × 5 000 / 10 000 = 0.5 → 1.
        assert_eq!(unit_price(1, 5_000), 1);
        assert_eq!(unit_price(3, 1_666), 0);
        assert_eq!(unit_price(3, 1_667), 1);
    }

    #[test]
    fn amounts_are_written_as_soum() {
        assert_eq!(soum(123_456_789), "1\u{a0}234\u{a0}567.89");
        assert_eq!(soum(5), "0.05");
        assert_eq!(soum(-100_000), "-1\u{a0}000.00");
        assert_eq!(soum_plain(123_456_789), "1234567.89");
    }
}
