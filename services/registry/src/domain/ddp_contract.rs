//! The DDP contract formalised at connection (A2 §11, R516 §4b): a reference, a price per request between 0.1 %
//! and 2 % of the base calculation amount, and a validity term whose end terminates access (A2 §26).

use chrono::{DateTime, Utc};
use koprik_proto::registry::Contract;
use koprik_proto::time::{timestamp, to_datetime};
use koprik_proto::FieldError;

use super::text;

/// R516 §4b: the lowest price per request, in basis points of the base calculation amount (0.1 %).
pub const MIN_PRICE_BASIS_POINTS: u32 = 10;
/// R516 §4b: the highest price per request (2 %).
pub const MAX_PRICE_BASIS_POINTS: u32 = 200;

/// Checks a contract given `now`; `valid_from` defaults to `now`. Returns it normalised, with its end.
pub fn check(contract: Option<&Contract>, now: DateTime<Utc>) -> Result<(Contract, DateTime<Utc>), FieldError> {
    let contract = contract.ok_or_else(|| FieldError::new("contract", "is required on the DDP (A2 §11)"))?;
    let within = |e: FieldError| e.within("contract");
    let reference = text::name(&contract.reference, "reference").map_err(within)?;
    if !(MIN_PRICE_BASIS_POINTS..=MAX_PRICE_BASIS_POINTS).contains(&contract.price_basis_points) {
        return Err(within(FieldError::new(
            "price_basis_points",
            "must be 10-200: 0.1 % to 2 % of the base calculation amount per request (R516 §4b)",
        )));
    }
    let valid_from = match &contract.valid_from {
        Some(t) => to_datetime(t).map_err(|e| within(e.within("valid_from")))?,
        None => now,
    };
    let valid_until = contract
        .valid_until
        .as_ref()
        .ok_or_else(|| within(FieldError::missing("valid_until")))
        .and_then(|t| to_datetime(t).map_err(|e| within(e.within("valid_until"))))?;
    if valid_until <= valid_from.max(now) {
        return Err(within(FieldError::new("valid_until", "must be in the future and after valid_from")));
    }
    let normalised = Contract {
        reference,
        price_basis_points: contract.price_basis_points,
        valid_from: Some(timestamp(valid_from)),
        valid_until: Some(timestamp(valid_until)),
    };
    Ok((normalised, valid_until))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(bp: u32, days: i64) -> Contract {
        Contract {
            reference: "DDP-2026/114".into(),
            price_basis_points: bp,
            valid_from: None,
            valid_until: Some(timestamp(Utc::now() + chrono::Duration::days(days))),
        }
    }

    #[test]
    fn price_is_bounded_by_r516() {
        let now = Utc::now();
        assert!(check(Some(&contract(10, 365)), now).is_ok());
        assert!(check(Some(&contract(200, 365)), now).is_ok());
        assert_eq!(check(Some(&contract(9, 365)), now).expect_err("too cheap").field, "contract.price_basis_points");
        assert_eq!(check(Some(&contract(201, 365)), now).expect_err("too dear").field, "contract.price_basis_points");
    }

    #[test]
    fn term_must_end_in_the_future() {
        let now = Utc::now();
        assert_eq!(check(Some(&contract(50, -1)), now).expect_err("expired").field, "contract.valid_until");
        assert_eq!(check(None, now).expect_err("missing").field, "contract");
    }
}
