//! Column 6 of REG-1 App. 2: the price of a service. A fee is a fixed amount in so'm, a percentage, or a multiple
//! of the base calculation amount (BCA, which changes by decree: storing the multiple keeps the entry true across
//! such changes); a free service says so explicitly, so that "free" and "not stated" cannot be confused.

use koprik_proto::registry::{price::Kind, Free, Price};
use koprik_proto::FieldError;

use super::localized;

/// The most decimal places a percentage or a BCA multiple may have.
pub const MAX_DECIMALS: usize = 4;
/// The longest price note, in characters.
pub const MAX_NOTE: usize = 1000;

/// A price as submitted, checked and trimmed.
pub fn price(value: Option<&Price>) -> Result<Price, FieldError> {
    let value = value.ok_or_else(|| FieldError::missing("price"))?;
    let kind = match &value.kind {
        None => return Err(FieldError::new("price.kind", "is required: free, som, percent or bca_multiple")),
        Some(Kind::Free(_)) => Kind::Free(Free {}),
        Some(Kind::Som(0)) => {
            return Err(FieldError::new("price.som", "must be positive; a service without a fee is free"))
        }
        Some(Kind::Som(som)) => Kind::Som(*som),
        Some(Kind::Percent(text)) => {
            let text = decimal(text, "price.percent")?;
            if decimal_exceeds_100(&text) {
                return Err(FieldError::new("price.percent", "must be at most 100"));
            }
            Kind::Percent(text)
        }
        Some(Kind::BcaMultiple(text)) => Kind::BcaMultiple(decimal(text, "price.bca_multiple")?),
    };
    let note = localized::text(value.note.as_ref(), "price.note", false, MAX_NOTE)?;
    Ok(Price { kind: Some(kind), note: Some(note).filter(|n| !localized::is_empty(n)) })
}

/// A positive decimal such as "0.5" or "12", at most [`MAX_DECIMALS`] places, returned as written (trimmed).
fn decimal(text: &str, field: &str) -> Result<String, FieldError> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let well_formed = !whole.is_empty()
        && whole.len() <= 9
        && digits(whole)
        && digits(fraction)
        && fraction.len() <= MAX_DECIMALS
        && text.contains('.') != fraction.is_empty();
    if !well_formed {
        return Err(FieldError::new(
            field,
            format!("must be a decimal number such as \"0.5\", with at most {MAX_DECIMALS} decimal places"),
        ));
    }
    if text.chars().all(|c| c == '0' || c == '.') {
        return Err(FieldError::new(field, "must be positive; a service without a fee is free"));
    }
    Ok(text.to_owned())
}

fn decimal_exceeds_100(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: u64 = whole.parse().unwrap_or(u64::MAX);
    whole > 100 || (whole == 100 && fraction.chars().any(|c| c != '0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(kind: Kind) -> Option<Price> {
        Some(Price { kind: Some(kind), note: None })
    }

    #[test]
    fn each_kind_of_price_is_accepted() {
        assert!(price(of(Kind::Free(Free {})).as_ref()).is_ok());
        assert!(price(of(Kind::Som(34_000)).as_ref()).is_ok());
        assert_eq!(
            price(of(Kind::Percent(" 0.5 ".into())).as_ref()).expect("ok").kind,
            Some(Kind::Percent("0.5".into()))
        );
        assert!(price(of(Kind::BcaMultiple("2".into())).as_ref()).is_ok());
    }

    #[test]
    fn a_price_must_be_stated_and_positive() {
        assert_eq!(price(None).expect_err("absent").field, "price");
        assert_eq!(price(Some(&Price::default())).expect_err("no kind").field, "price.kind");
        assert_eq!(price(of(Kind::Som(0)).as_ref()).expect_err("zero").field, "price.som");
        for bad in ["", "0", "0.00", "1.", ".5", "1,5", "-1", "0.12345"] {
            assert_eq!(price(of(Kind::BcaMultiple(bad.into())).as_ref()).expect_err(bad).field, "price.bca_multiple");
        }
        assert_eq!(price(of(Kind::Percent("100.5".into())).as_ref()).expect_err("over 100").field, "price.percent");
        assert!(price(of(Kind::Percent("100".into())).as_ref()).is_ok());
    }
}
