//! The distribution of DDP revenue (R516 §4c): of what a paid request earns, 25 % goes to the data-providing
//! body, 25 % to the E-Government Center, 10 % to the Cybersecurity Center, 10 % to the Center for Development of
//! Electronic Technologies, and the remainder (30 %) to the State Budget.
//!
//! Rounding: every share except the budget's is rounded down to a whole tiyin, per invoice (a provider's share
//! from the sum of that provider's lines); the budget receives the remainder, leftovers included, so the shares
//! always sum exactly to the invoice total.

use std::collections::BTreeMap;

use koprik_proto::billing::Recipient;

/// Percent to the providing bodies (each its own lines' share).
pub const PROVIDERS_PERCENT: i64 = 25;
/// Percent to the E-Government Center.
pub const EGOV_CENTER_PERCENT: i64 = 25;
/// Percent to the Cybersecurity Center.
pub const CYBERSECURITY_CENTER_PERCENT: i64 = 10;
/// Percent to the Center for Development of Electronic Technologies.
pub const DIGITAL_TECHNOLOGIES_CENTER_PERCENT: i64 = 10;

/// One recipient's share of one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// Who receives it.
    pub recipient: Recipient,
    /// The providing body, for [`Recipient::Provider`].
    pub provider: Option<String>,
    /// Tiyin.
    pub amount: i64,
}

fn percent(amount: i64, percent: i64) -> i64 {
    // Amounts are non-negative; the division rounds down.
    amount * percent / 100
}

/// The shares of an invoice whose lines earned `by_provider` (provider → tiyin); they sum to the lines' total.
pub fn distribute(by_provider: &BTreeMap<String, i64>) -> Vec<Share> {
    let total: i64 = by_provider.values().sum();
    let mut shares: Vec<Share> = by_provider
        .iter()
        .map(|(provider, amount)| Share {
            recipient: Recipient::Provider,
            provider: Some(provider.clone()),
            amount: percent(*amount, PROVIDERS_PERCENT),
        })
        .collect();
    for (recipient, pct) in [
        (Recipient::EgovCenter, EGOV_CENTER_PERCENT),
        (Recipient::CybersecurityCenter, CYBERSECURITY_CENTER_PERCENT),
        (Recipient::DigitalTechnologiesCenter, DIGITAL_TECHNOLOGIES_CENTER_PERCENT),
    ] {
        shares.push(Share { recipient, provider: None, amount: percent(total, pct) });
    }
    let allotted: i64 = shares.iter().map(|s| s.amount).sum();
    shares.push(Share { recipient: Recipient::StateBudget, provider: None, amount: total - allotted });
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_decree_and_sum_to_the_tiyin() {
        let by_provider = BTreeMap::from([("UZ/GOV/201122919".to_owned(), 1_000_000)]);
        let shares = distribute(&by_provider);
        let amount = |r: Recipient| shares.iter().filter(|s| s.recipient == r).map(|s| s.amount).sum::<i64>();
        assert_eq!(amount(Recipient::Provider), 250_000);
        assert_eq!(amount(Recipient::EgovCenter), 250_000);
        assert_eq!(amount(Recipient::CybersecurityCenter), 100_000);
        assert_eq!(amount(Recipient::DigitalTechnologiesCenter), 100_000);
        assert_eq!(amount(Recipient::StateBudget), 300_000);
    }

    #[test]
    fn rounding_leftovers_go_to_the_budget() {
        // Two providers with odd amounts: every share rounds down, the budget takes what is left.
        let by_provider = BTreeMap::from([("A".to_owned(), 37_503), ("B".to_owned(), 1)]);
        let shares = distribute(&by_provider);
        let total: i64 = shares.iter().map(|s| s.amount).sum();
        assert_eq!(total, 37_504);
        assert_eq!(shares[0].amount, 9_375); // 25 % of 37 503 = 9 375.75
        assert_eq!(shares[1].amount, 0); // 25 % of 1
        let budget = shares.last().expect("budget");
        assert_eq!(budget.recipient, Recipient::StateBudget);
        // 37 504 - 9 375 - 0 - 9 376 - 3 750 - 3 750
        assert_eq!(budget.amount, 11_253);
    }

    #[test]
    fn any_total_is_distributed_exactly() {
        for total in [0_i64, 1, 3, 99, 101, 37_500, 123_456_789] {
            let shares =
                distribute(&BTreeMap::from([("A".to_owned(), total / 3), ("B".to_owned(), total - total / 3)]));
            assert_eq!(shares.iter().map(|s| s.amount).sum::<i64>(), total, "{total}");
            assert!(shares.iter().all(|s| s.amount >= 0));
        }
    }
}
