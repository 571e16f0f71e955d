//! The mutating requests of the Unified Registry, validated: every field is checked here so that the repository
//! only ever sees well-formed input. Who takes a step is not part of a request: it is the caller's certificate.

use chrono::NaiveDate;
use koprik_proto::ids::MemberId;
use koprik_proto::registry::{
    AbolishEntryRequest, ConfirmInventoryRequest, DeclareRemediationRequest, LocalizedText, NormativeAct,
    RefuseEntryRequest, RegisterEntryRequest, ResubmitEntryRequest, SendRegistrationNoticeRequest,
    SubmitAmendmentRequest, SubmitEntryRequest,
};
use koprik_proto::FieldError;

use super::content::{act, ValidContent};
use super::{fields, localized};
use crate::domain::text::MAX_DESCRIPTION;

/// The years a re-inventory can be confirmed for.
pub const YEARS: std::ops::RangeInclusive<u32> = 2015..=2100;

/// An application id: the UUID the registry assigned.
pub fn application_id(value: &str) -> Result<String, FieldError> {
    uuid::Uuid::parse_str(value.trim())
        .map(|u| u.to_string())
        .map_err(|_| FieldError::new("application_id", "must be an application id (a UUID)"))
}

/// A registry number: assigned from 1 up.
pub fn number(value: u64) -> Result<u64, FieldError> {
    if value == 0 {
        return Err(FieldError::new("number", "must be a registry number (1 or more)"));
    }
    Ok(value)
}

fn content(value: Option<&koprik_proto::registry::PublicServiceContent>) -> Result<ValidContent, FieldError> {
    koprik_proto::field::required(value, "content")
}

/// A new application (REG-1 p. 8) or a resubmission (p. 13): the content.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The application resubmitted; `None` for a new application.
    pub application_id: Option<String>,
    /// The content.
    pub content: ValidContent,
}

impl TryFrom<&SubmitEntryRequest> for Submission {
    type Error = FieldError;

    fn try_from(wire: &SubmitEntryRequest) -> Result<Self, Self::Error> {
        Ok(Self { application_id: None, content: content(wire.content.as_ref())? })
    }
}

impl TryFrom<&ResubmitEntryRequest> for Submission {
    type Error = FieldError;

    fn try_from(wire: &ResubmitEntryRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            application_id: Some(application_id(&wire.application_id)?),
            content: content(wire.content.as_ref())?,
        })
    }
}

/// A step on an application that needs nothing but the application: registration, the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationStep {
    /// The application.
    pub application_id: String,
}

impl TryFrom<&RegisterEntryRequest> for ApplicationStep {
    type Error = FieldError;

    fn try_from(wire: &RegisterEntryRequest) -> Result<Self, Self::Error> {
        Ok(Self { application_id: application_id(&wire.application_id)? })
    }
}

impl TryFrom<&SendRegistrationNoticeRequest> for ApplicationStep {
    type Error = FieldError;

    fn try_from(wire: &SendRegistrationNoticeRequest) -> Result<Self, Self::Error> {
        Ok(Self { application_id: application_id(&wire.application_id)? })
    }
}

/// REG-1 p. 13: a reasoned refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The application.
    pub application_id: String,
    /// The reasons, at least one.
    pub reasons: Vec<String>,
}

impl TryFrom<&RefuseEntryRequest> for Refusal {
    type Error = FieldError;

    fn try_from(wire: &RefuseEntryRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            application_id: application_id(&wire.application_id)?,
            reasons: fields::refusal_reasons(&wire.reasons)?,
        })
    }
}

/// REG-1 p. 13, third paragraph: the body's own remediation date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remediation {
    /// The refused application.
    pub application_id: String,
    /// The day by which the body resubmits.
    pub date: NaiveDate,
    /// Why three working days do not suffice.
    pub reason: String,
}

impl TryFrom<&DeclareRemediationRequest> for Remediation {
    type Error = FieldError;

    fn try_from(wire: &DeclareRemediationRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            application_id: application_id(&wire.application_id)?,
            date: fields::date(&wire.remediation_date, "remediation_date")?,
            reason: fields::reason(&wire.reason, "reason", "REG-1 p. 13: why the fix needs other bodies' agreement")?,
        })
    }
}

/// REG-1 pp. 14-15: an amendment with its change mark and grounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Amendment {
    /// The entry amended.
    pub number: u64,
    /// The new content.
    pub content: ValidContent,
    /// The date of the change.
    pub change_date: NaiveDate,
    /// The substance of the change.
    pub substance: LocalizedText,
    /// The grounds.
    pub grounds: String,
}

impl TryFrom<&SubmitAmendmentRequest> for Amendment {
    type Error = FieldError;

    fn try_from(wire: &SubmitAmendmentRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            number: number(wire.number)?,
            content: content(wire.content.as_ref())?,
            change_date: fields::date(&wire.change_date, "change_date")?,
            substance: localized::text(wire.change_substance.as_ref(), "change_substance", true, MAX_DESCRIPTION)?,
            grounds: fields::reason(&wire.grounds, "grounds", "REG-1 p. 14: an amendment states its grounds")?,
        })
    }
}

/// REG-1 p. 16: the notice that a service was abolished.
#[derive(Debug, Clone, PartialEq)]
pub struct AbolitionNotice {
    /// The entry.
    pub number: u64,
    /// The abolishing act; its date is the date of abolition.
    pub act: NormativeAct,
    /// The act's date, parsed.
    pub date: NaiveDate,
    /// The basis.
    pub basis: LocalizedText,
}

impl TryFrom<&AbolishEntryRequest> for AbolitionNotice {
    type Error = FieldError;

    fn try_from(wire: &AbolishEntryRequest) -> Result<Self, Self::Error> {
        let act = act(wire.act.as_ref(), "act")?;
        Ok(Self {
            number: number(wire.number)?,
            date: fields::date(&act.date, "act.date")?,
            act,
            basis: localized::text(wire.basis.as_ref(), "basis", true, MAX_DESCRIPTION)?,
        })
    }
}

/// REG-1 p. 21: a body's yearly re-inventory confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryInput {
    /// The body.
    pub body: MemberId,
    /// The year.
    pub year: i32,
}

/// A re-inventory year.
pub fn year(value: u32) -> Result<i32, FieldError> {
    if !YEARS.contains(&value) {
        return Err(FieldError::new("year", format!("must be between {} and {}", YEARS.start(), YEARS.end())));
    }
    i32::try_from(value).map_err(|_| FieldError::new("year", "is out of range"))
}

impl TryFrom<&ConfirmInventoryRequest> for InventoryInput {
    type Error = FieldError;

    fn try_from(wire: &ConfirmInventoryRequest) -> Result<Self, Self::Error> {
        Ok(Self { body: koprik_proto::field::required(wire.body.as_ref(), "body")?, year: year(wire.year)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_numbers_and_years_are_checked() {
        assert_eq!(application_id("nope").expect_err("not a uuid").field, "application_id");
        assert_eq!(number(0).expect_err("zero").field, "number");
        assert_eq!(year(1999).expect_err("too early").field, "year");
        assert_eq!(year(2026), Ok(2026));
    }

    #[test]
    fn reg1_p14_an_amendment_needs_grounds_and_a_change_mark() {
        let request = SubmitAmendmentRequest {
            number: 1,
            content: Some(super::super::content::tests::sample()),
            change_date: "2026-08-31".into(),
            change_substance: Some(LocalizedText { uz: "Narx o'zgardi".into(), ..Default::default() }),
            grounds: " ".into(),
        };
        assert_eq!(Amendment::try_from(&request).expect_err("no grounds").field, "grounds");
        let no_mark = SubmitAmendmentRequest { grounds: "PQ-5".into(), change_substance: None, ..request.clone() };
        assert_eq!(Amendment::try_from(&no_mark).expect_err("no substance").field, "change_substance.uz");
        let amendment =
            Amendment::try_from(&SubmitAmendmentRequest { grounds: "PQ-5".into(), ..request }).expect("valid");
        assert_eq!(amendment.change_date, NaiveDate::from_ymd_opt(2026, 8, 31).expect("date"));
    }
}
