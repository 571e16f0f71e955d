//! Rating: turns a billing period's requests into priced invoice lines. Requests are taken in the order of
//! their legal time of receipt (then request id), so a request's position in the month — and with graduated
//! tiers its price — does not depend on the order the usage records happened to arrive in. Each request is
//! priced by its tier ([`crate::tariff`]) and by the BCA in force at its receipt ([`crate::base_amount`]), with
//! the rounding rule of [`crate::money`]; requests of one service and provider priced alike make one line.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use koprik_proto::billing as pb;

use crate::base_amount::Schedule;
use crate::money::unit_price;
use crate::tariff::{AppliedTier, Tariff};

/// No BCA was recorded for the time of a request.
#[derive(Debug, thiserror::Error)]
#[error(
    "no base calculation amount is in force at {0} (the receipt of a billed request); record it with SetBaseAmount"
)]
pub struct NoBaseAmount(pub DateTime<Utc>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LineKey {
    service: String,
    provider: String,
    tier: AppliedTier,
    base_amount: i64,
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The service's canonical id.
    pub service: String,
    /// The providing member's canonical id.
    pub provider: String,
    /// The tier applied.
    pub tier: AppliedTier,
    /// The BCA in tiyin.
    pub base_amount: i64,
    /// How many requests.
    pub requests: u64,
    /// Tiyin per request.
    pub unit_price: i64,
    /// `requests × unit_price`.
    pub amount: i64,
}

/// Accumulates one invoice's requests, in receipt order.
#[derive(Debug)]
pub struct Rater<'a> {
    tariff: &'a Tariff,
    schedule: &'a Schedule,
    total: u64,
    seen: u64,
    lines: BTreeMap<LineKey, u64>,
}

impl<'a> Rater<'a> {
    /// A rater for an invoice of `total` requests.
    pub fn new(tariff: &'a Tariff, schedule: &'a Schedule, total: u64) -> Self {
        Self { tariff, schedule, total, seen: 0, lines: BTreeMap::new() }
    }

    /// Adds the next request in receipt order.
    pub fn add(&mut self, received_at: DateTime<Utc>, service: &str, provider: &str) -> Result<(), NoBaseAmount> {
        self.seen += 1;
        let base_amount = self.schedule.in_force_at(received_at).ok_or(NoBaseAmount(received_at))?;
        let tier = self.tariff.tier_for(self.seen, self.total);
        let key = LineKey { service: service.to_owned(), provider: provider.to_owned(), tier, base_amount };
        *self.lines.entry(key).or_default() += 1;
        Ok(())
    }

    /// The priced lines, ordered by service, provider, tier and BCA.
    pub fn finish(self) -> Vec<Line> {
        self.lines
            .into_iter()
            .map(|(key, requests)| {
                let unit_price = unit_price(key.base_amount, key.tier.rate_basis_points);
                Line {
                    amount: unit_price.saturating_mul(i64::try_from(requests).unwrap_or(i64::MAX)),
                    service: key.service,
                    provider: key.provider,
                    tier: key.tier,
                    base_amount: key.base_amount,
                    requests,
                    unit_price,
                }
            })
            .collect()
    }
}

impl Line {
    /// The wire form.
    pub fn to_proto(&self) -> pb::InvoiceLine {
        pb::InvoiceLine {
            service: self.service.parse::<koprik_proto::ids::ServiceId>().ok().map(|s| (&s).into()),
            provider: self.provider.parse::<koprik_proto::ids::MemberId>().ok().map(|m| (&m).into()),
            tier: self.tier.index,
            rate_basis_points: self.tier.rate_basis_points,
            base_amount_tiyin: self.base_amount,
            requests: self.requests,
            unit_price_tiyin: self.unit_price,
            amount_tiyin: self.amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
    const PROVIDER: &str = "UZ/GOV/201122919";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    fn tariff(mode: pb::TierMode, tiers: &[(u64, u32)]) -> Tariff {
        Tariff::try_from(&pb::Tariff {
            mode: mode as i32,
            tiers: tiers
                .iter()
                .map(|&(from_request, rate_basis_points)| pb::Tier { from_request, rate_basis_points })
                .collect(),
        })
        .expect("valid tariff")
    }

    fn schedule() -> Schedule {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        Schedule::new(vec![(day("2026-01-01"), 37_500_000), (day("2026-10-15"), 41_200_000)])
    }

    #[test]
    fn a_tier_boundary_crossed_mid_month_splits_the_lines() {
        let t = tariff(pb::TierMode::Graduated, &[(1, 200), (4, 100)]);
        let s = schedule();
        let mut rater = Rater::new(&t, &s, 5);
        for day in 1..=5 {
            rater.add(at(&format!("2026-10-0{day}T10:00:00+05:00")), SERVICE, PROVIDER).expect("priced");
        }
        let lines = rater.finish();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].tier.index, lines[0].requests, lines[0].unit_price), (1, 3, 750_000));
        assert_eq!((lines[1].tier.index, lines[1].requests, lines[1].unit_price), (2, 2, 375_000));
        assert_eq!(lines.iter().map(|l| l.amount).sum::<i64>(), 3 * 750_000 + 2 * 375_000);
    }

    #[test]
    fn a_bca_change_mid_month_prices_by_the_time_of_receipt() {
        let t = tariff(pb::TierMode::Volume, &[(1, 10)]);
        let s = schedule();
        let mut rater = Rater::new(&t, &s, 2);
        rater.add(at("2026-10-14T23:59:59+05:00"), SERVICE, PROVIDER).expect("priced");
        rater.add(at("2026-10-15T00:00:00+05:00"), SERVICE, PROVIDER).expect("priced");
        let lines = rater.finish();
        assert_eq!(
            lines.iter().map(|l| (l.base_amount, l.unit_price)).collect::<Vec<_>>(),
            [(37_500_000, 37_500), (41_200_000, 41_200)]
        );
    }

    #[test]
    fn a_request_before_any_bca_cannot_be_priced() {
        let t = tariff(pb::TierMode::Volume, &[(1, 10)]);
        let s = schedule();
        let mut rater = Rater::new(&t, &s, 1);
        assert!(rater.add(at("2025-12-31T12:00:00+05:00"), SERVICE, PROVIDER).is_err());
    }
}
