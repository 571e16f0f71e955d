//! Typed identifiers of the applicant a request is about (LAW Art. 10): PINFL for individuals, STIR for legal
//! entities, cadastral numbers for land and real estate. Validated on the way in, so a malformed identifier
//! never reaches a provider.

use std::fmt;

use chrono::NaiveDate;

use crate::common as pb;
use crate::common::applicant_id::Kind;
use crate::field::FieldError;

/// A validated applicant identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ApplicantId {
    /// Personal identification number of an individual.
    Pinfl(String),
    /// Taxpayer identification number of a legal entity.
    Stir(String),
    /// Cadastral number of a land plot or real-estate object.
    CadastralNumber(String),
}

fn all_digits(value: &str) -> bool {
    value.chars().all(|c| c.is_ascii_digit())
}

/// A PINFL is 14 digits: the first gives sex and century of birth (1-6), the next six the birth date as DDMMYY,
/// then district, serial number and a check digit.
fn validate_pinfl(value: &str) -> Result<(), FieldError> {
    const RULE: &str = "must be 14 digits: sex-and-century digit 1-6, birth date DDMMYY, district, serial, check digit";
    if value.len() != 14 || !all_digits(value) {
        return Err(FieldError::new("pinfl", RULE));
    }
    let century = match &value[0..1] {
        "1" | "2" => 1800,
        "3" | "4" => 1900,
        "5" | "6" => 2000,
        _ => return Err(FieldError::new("pinfl", RULE)),
    };
    let number = |range: std::ops::Range<usize>| value[range].parse::<u32>().unwrap_or(0);
    let (day, month, year) = (number(1..3), number(3..5), number(5..7));
    let year = i32::try_from(year).unwrap_or(0) + century;
    if NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return Err(FieldError::new("pinfl", "digits 2-7 must be a valid birth date (DDMMYY)"));
    }
    Ok(())
}

fn validate_stir(value: &str) -> Result<(), FieldError> {
    let ok = value.len() == 9 && all_digits(value) && !value.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("stir", "must be 9 digits, not starting with 0"))
    }
}

fn validate_cadastral_number(value: &str) -> Result<(), FieldError> {
    let groups: Vec<&str> = value.split(':').collect();
    let ok = value.len() <= 40 && groups.len() >= 3 && groups.iter().all(|g| !g.is_empty() && all_digits(g));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "cadastral_number",
            "must be at least three groups of digits separated by ':' (e.g. 10:09:04:02:01:0123), at most 40 characters",
        ))
    }
}

impl ApplicantId {
    /// The kind of identifier, as named in the proto (`pinfl`, `stir`, `cadastral_number`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Pinfl(_) => "pinfl",
            Self::Stir(_) => "stir",
            Self::CadastralNumber(_) => "cadastral_number",
        }
    }

    /// The identifier's value.
    pub fn value(&self) -> &str {
        match self {
            Self::Pinfl(v) | Self::Stir(v) | Self::CadastralNumber(v) => v,
        }
    }
}

impl fmt::Display for ApplicantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.value())
    }
}

impl TryFrom<&pb::ApplicantId> for ApplicantId {
    type Error = FieldError;

    fn try_from(wire: &pb::ApplicantId) -> Result<Self, Self::Error> {
        match &wire.kind {
            Some(Kind::Pinfl(v)) => validate_pinfl(v).map(|()| Self::Pinfl(v.clone())),
            Some(Kind::Stir(v)) => validate_stir(v).map(|()| Self::Stir(v.clone())),
            Some(Kind::CadastralNumber(v)) => validate_cadastral_number(v).map(|()| Self::CadastralNumber(v.clone())),
            None => Err(FieldError::new("kind", "one of pinfl, stir or cadastral_number is required")),
        }
    }
}

impl From<&ApplicantId> for pb::ApplicantId {
    fn from(id: &ApplicantId) -> Self {
        let kind = match id {
            ApplicantId::Pinfl(v) => Kind::Pinfl(v.clone()),
            ApplicantId::Stir(v) => Kind::Stir(v.clone()),
            ApplicantId::CadastralNumber(v) => Kind::CadastralNumber(v.clone()),
        };
        Self { kind: Some(kind) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(kind: Kind) -> Result<ApplicantId, FieldError> {
        ApplicantId::try_from(&pb::ApplicantId { kind: Some(kind) })
    }

    #[test]
    fn a_well_formed_pinfl_is_accepted() {
        // Male, born 14 March 1985.
        let id = parse(Kind::Pinfl("31403850260017".into())).expect("valid PINFL");
        assert_eq!(id.to_string(), "pinfl:31403850260017");
    }

    #[test]
    fn pinfl_rules_are_enforced() {
        for bad in ["3140385026001", "3140385026001X", "71403850260017", "33102850260017", "30000000000000"] {
            let err = parse(Kind::Pinfl(bad.into())).expect_err(bad);
            assert_eq!(err.field, "pinfl", "{bad}");
        }
    }

    #[test]
    fn stir_must_be_nine_digits() {
        assert!(parse(Kind::Stir("201122919".into())).is_ok());
        for bad in ["20112291", "2011229190", "01112291A", "011122919"] {
            assert_eq!(parse(Kind::Stir(bad.into())).expect_err(bad).field, "stir");
        }
    }

    #[test]
    fn cadastral_numbers_are_digit_groups() {
        assert!(parse(Kind::CadastralNumber("10:09:04:02:01:0123".into())).is_ok());
        for bad in ["10:09", "10::09:01", "10:09:0a", ""] {
            assert!(parse(Kind::CadastralNumber(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_identifier_is_refused() {
        let err = ApplicantId::try_from(&pb::ApplicantId { kind: None }).expect_err("empty");
        assert_eq!(err.field, "kind");
    }
}
