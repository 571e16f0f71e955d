//! The tariff of a DDP contract (R516 §4b): a price per request between 0.1 % and 2 % of the base calculation
//! amount, "depending on the number of requests" — tiers by monthly volume, each tier within those bounds. A
//! tariff with any tier outside them is refused.
//!
//! - Volume tiers: every request of the month is priced by the tier the month's total reaches.
//! - Graduated tiers: the n-th request of the month is priced by the tier n falls in.

use koprik_proto::billing as pb;
use koprik_proto::FieldError;

/// The lowest rate the law allows: 0.1 % of the BCA, in basis points.
pub const MIN_RATE_BASIS_POINTS: u32 = 10;
/// The highest rate the law allows: 2 % of the BCA, in basis points.
pub const MAX_RATE_BASIS_POINTS: u32 = 200;
/// At most this many tiers.
pub const MAX_TIERS: usize = 20;

/// How tiers apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All of the month's requests at the rate of the tier the total reaches.
    Volume,
    /// Each request at the rate of its own position's tier.
    Graduated,
}

/// A validated tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    mode: Mode,
    /// `(first request of the tier, rate in basis points)`, the first from 1, strictly increasing.
    tiers: Vec<(u64, u32)>,
}

/// A tier as applied: its 1-based index and its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppliedTier {
    /// 1-based, as shown on invoices.
    pub index: u32,
    /// Basis points of the BCA.
    pub rate_basis_points: u32,
}

impl Tariff {
    /// The tier request number `n` (1-based) falls in.
    fn tier_of(&self, n: u64) -> AppliedTier {
        let position = self.tiers.partition_point(|(from, _)| *from <= n).max(1);
        let index = u32::try_from(position).unwrap_or(u32::MAX);
        AppliedTier { index, rate_basis_points: self.tiers[position - 1].1 }
    }

    /// The tier of the `n`-th request (1-based) of a month with `total` requests.
    pub fn tier_for(&self, n: u64, total: u64) -> AppliedTier {
        match self.mode {
            Mode::Volume => self.tier_of(total),
            Mode::Graduated => self.tier_of(n),
        }
    }

    /// The wire form.
    pub fn to_proto(&self) -> pb::Tariff {
        pb::Tariff {
            mode: match self.mode {
                Mode::Volume => pb::TierMode::Volume,
                Mode::Graduated => pb::TierMode::Graduated,
            } as i32,
            tiers: self
                .tiers
                .iter()
                .map(|&(from_request, rate_basis_points)| pb::Tier { from_request, rate_basis_points })
                .collect(),
        }
    }
}

impl TryFrom<&pb::Tariff> for Tariff {
    type Error = FieldError;

    fn try_from(wire: &pb::Tariff) -> Result<Self, FieldError> {
        let mode = match pb::TierMode::try_from(wire.mode).unwrap_or_default() {
            pb::TierMode::Volume => Mode::Volume,
            pb::TierMode::Graduated => Mode::Graduated,
            pb::TierMode::Unspecified => {
                return Err(FieldError::new("mode", "must be TIER_MODE_VOLUME or TIER_MODE_GRADUATED"))
            }
        };
        if wire.tiers.is_empty() {
            return Err(FieldError::new("tiers", "must have at least one tier"));
        }
        if wire.tiers.len() > MAX_TIERS {
            return Err(FieldError::new("tiers", format!("must have at most {MAX_TIERS} tiers")));
        }
        let mut tiers = Vec::with_capacity(wire.tiers.len());
        for (i, tier) in wire.tiers.iter().enumerate() {
            let at = |e: FieldError| e.at("tiers", i);
            if !(MIN_RATE_BASIS_POINTS..=MAX_RATE_BASIS_POINTS).contains(&tier.rate_basis_points) {
                return Err(at(FieldError::new(
                    "rate_basis_points",
                    format!(
                        "must be between {MIN_RATE_BASIS_POINTS} (0.1 %) and {MAX_RATE_BASIS_POINTS} (2 %) basis \
                         points of the base calculation amount (R516 §4b); got {}",
                        tier.rate_basis_points
                    ),
                )));
            }
            match tiers.last() {
                None if tier.from_request != 1 => {
                    return Err(at(FieldError::new("from_request", "the first tier must start at request 1")))
                }
                Some(&(previous, _)) if tier.from_request <= previous => {
                    return Err(at(FieldError::new(
                        "from_request",
                        format!("must be greater than the previous tier's ({previous})"),
                    )))
                }
                _ => {}
            }
            tiers.push((tier.from_request, tier.rate_basis_points));
        }
        Ok(Self { mode, tiers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff(mode: pb::TierMode, tiers: &[(u64, u32)]) -> Result<Tariff, FieldError> {
        Tariff::try_from(&pb::Tariff {
            mode: mode as i32,
            tiers: tiers
                .iter()
                .map(|&(from_request, rate_basis_points)| pb::Tier { from_request, rate_basis_points })
                .collect(),
        })
    }

    #[test]
    fn graduated_tiers_price_each_request_by_its_position() {
        let t = tariff(pb::TierMode::Graduated, &[(1, 200), (1_001, 100), (10_001, 10)]).expect("valid");
        assert_eq!(t.tier_for(1, 20_000), AppliedTier { index: 1, rate_basis_points: 200 });
        assert_eq!(t.tier_for(1_000, 20_000).index, 1);
        assert_eq!(t.tier_for(1_001, 20_000), AppliedTier { index: 2, rate_basis_points: 100 });
        assert_eq!(t.tier_for(10_001, 20_000).rate_basis_points, 10);
    }

    #[test]
    fn volume_tiers_price_every_request_by_the_total() {
        let t = tariff(pb::TierMode::Volume, &[(1, 200), (1_001, 100)]).expect("valid");
        assert_eq!(t.tier_for(1, 1_000).rate_basis_points, 200);
        assert_eq!(t.tier_for(1, 1_001).rate_basis_points, 100);
        assert_eq!(t.tier_for(1_001, 1_001).rate_basis_points, 100);
    }

    #[test]
    fn rates_outside_the_legal_bounds_are_refused_by_field() {
        let e = tariff(pb::TierMode::Volume, &[(1, 200), (500, 9)]).expect_err("0.09 %");
        assert_eq!(e.field, "tiers[1].rate_basis_points");
        assert!(e.rule.contains("R516"), "{e}");
        let e = tariff(pb::TierMode::Volume, &[(1, 201)]).expect_err("2.01 %");
        assert_eq!(e.field, "tiers[0].rate_basis_points");
        assert!(tariff(pb::TierMode::Volume, &[(1, 10)]).is_ok());
        assert!(tariff(pb::TierMode::Volume, &[(1, 200)]).is_ok());
    }

    #[test]
    fn malformed_tiers_are_refused_by_field() {
        assert_eq!(tariff(pb::TierMode::Volume, &[(2, 100)]).expect_err("start").field, "tiers[0].from_request");
        assert_eq!(
            tariff(pb::TierMode::Volume, &[(1, 100), (1, 50)]).expect_err("order").field,
            "tiers[1].from_request"
        );
        assert_eq!(tariff(pb::TierMode::Volume, &[]).expect_err("empty").field, "tiers");
        assert_eq!(tariff(pb::TierMode::Unspecified, &[(1, 100)]).expect_err("mode").field, "mode");
    }

    #[test]
    fn the_wire_form_round_trips() {
        let t = tariff(pb::TierMode::Graduated, &[(1, 150), (101, 50)]).expect("valid");
        assert_eq!(Tariff::try_from(&t.to_proto()).expect("valid"), t);
    }
}
