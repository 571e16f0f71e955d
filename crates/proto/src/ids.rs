//! X-Road style identifiers, validated: a member (organisation), its subsystems (information systems) and their
//! services (web services). Each has one canonical text form, used in Kafka keys, logs, metadata and the CLI.

use std::fmt;
use std::str::FromStr;

use crate::common as pb;
use crate::field::{required, FieldError};

/// An organisation: `{instance}/{member_class}/{member_code}`, e.g. `UZ/GOV/201122919`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId {
    instance: String,
    member_class: String,
    member_code: String,
}

/// An information system of a member: `{member}/{subsystem_code}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubsystemId {
    member: MemberId,
    subsystem_code: String,
}

/// A web service of a subsystem: `{subsystem}/{service_code}/{version}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId {
    subsystem: SubsystemId,
    service_code: String,
    version: String,
}

fn check(ok: bool, field: &str, rule: &str) -> Result<(), FieldError> {
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(field, rule))
    }
}

fn validate_instance(value: &str) -> Result<(), FieldError> {
    let ok = (1..=16).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_uppercase())
        && value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    check(ok, "instance", "must be 1-16 upper-case letters, digits or '-', starting with a letter")
}

fn validate_member_class(value: &str) -> Result<(), FieldError> {
    let ok = (2..=8).contains(&value.len()) && value.chars().all(|c| c.is_ascii_uppercase());
    check(ok, "member_class", "must be 2-8 upper-case letters (GOV, COM, NGO, ...)")
}

fn validate_member_code(value: &str) -> Result<(), FieldError> {
    let ok = value.len() == 9 && value.chars().all(|c| c.is_ascii_digit());
    check(ok, "member_code", "must be 9 digits (the member's STIR)")
}

/// Subsystem and service codes: safe in URLs, topic names and file names.
fn validate_code(value: &str, field: &str) -> Result<(), FieldError> {
    let ok = (1..=63).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    check(ok, field, "must be 1-63 lower-case letters, digits or '-', starting with a letter or digit")
}

fn validate_version(value: &str) -> Result<(), FieldError> {
    let digits = value.strip_prefix('v').unwrap_or("");
    let ok = (1..=4).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    check(ok, "version", "must be 'v' followed by a number without leading zeros (v1, v2, ...)")
}

impl MemberId {
    /// A member id from its three parts, validated.
    pub fn new(instance: &str, member_class: &str, member_code: &str) -> Result<Self, FieldError> {
        validate_instance(instance)?;
        validate_member_class(member_class)?;
        validate_member_code(member_code)?;
        Ok(Self {
            instance: instance.to_owned(),
            member_class: member_class.to_owned(),
            member_code: member_code.to_owned(),
        })
    }

    /// The platform instance, e.g. `UZ`.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The member class, e.g. `GOV`.
    pub fn member_class(&self) -> &str {
        &self.member_class
    }

    /// The member code: the organisation's STIR.
    pub fn member_code(&self) -> &str {
        &self.member_code
    }
}

impl SubsystemId {
    /// A subsystem id of `member`, validated.
    pub fn new(member: MemberId, subsystem_code: &str) -> Result<Self, FieldError> {
        validate_code(subsystem_code, "subsystem_code")?;
        Ok(Self { member, subsystem_code: subsystem_code.to_owned() })
    }

    /// The member owning this subsystem.
    pub fn member(&self) -> &MemberId {
        &self.member
    }

    /// The subsystem code.
    pub fn subsystem_code(&self) -> &str {
        &self.subsystem_code
    }
}

impl ServiceId {
    /// A service id of `subsystem`, validated.
    pub fn new(subsystem: SubsystemId, service_code: &str, version: &str) -> Result<Self, FieldError> {
        validate_code(service_code, "service_code")?;
        validate_version(version)?;
        Ok(Self { subsystem, service_code: service_code.to_owned(), version: version.to_owned() })
    }

    /// The provider subsystem offering this service.
    pub fn subsystem(&self) -> &SubsystemId {
        &self.subsystem
    }

    /// The member (organisation) providing this service.
    pub fn provider(&self) -> &MemberId {
        self.subsystem.member()
    }

    /// The service code.
    pub fn service_code(&self) -> &str {
        &self.service_code
    }

    /// The version, e.g. `v1`.
    pub fn version(&self) -> &str {
        &self.version
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.instance, self.member_class, self.member_code)
    }
}

impl fmt::Display for SubsystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.member, self.subsystem_code)
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.subsystem, self.service_code, self.version)
    }
}

/// Splits a canonical id into exactly `N` '/'-separated parts.
fn split<'a, const N: usize>(text: &'a str, form: &str) -> Result<[&'a str; N], FieldError> {
    let parts: Vec<&str> = text.split('/').collect();
    parts.try_into().map_err(|_| FieldError::new("", format!("must have the form {form}")))
}

impl FromStr for MemberId {
    type Err = FieldError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let [instance, class, code] = split(text, "INSTANCE/CLASS/CODE")?;
        Self::new(instance, class, code)
    }
}

impl FromStr for SubsystemId {
    type Err = FieldError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let [instance, class, code, subsystem] = split(text, "INSTANCE/CLASS/CODE/SUBSYSTEM")?;
        Self::new(MemberId::new(instance, class, code)?, subsystem)
    }
}

impl FromStr for ServiceId {
    type Err = FieldError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let [instance, class, code, subsystem, service, version] =
            split(text, "INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE/VERSION")?;
        let subsystem = SubsystemId::new(MemberId::new(instance, class, code)?, subsystem)?;
        Self::new(subsystem, service, version)
    }
}

impl TryFrom<&pb::MemberId> for MemberId {
    type Error = FieldError;

    fn try_from(wire: &pb::MemberId) -> Result<Self, Self::Error> {
        Self::new(&wire.instance, &wire.member_class, &wire.member_code)
    }
}

impl TryFrom<&pb::SubsystemId> for SubsystemId {
    type Error = FieldError;

    fn try_from(wire: &pb::SubsystemId) -> Result<Self, Self::Error> {
        let member = required(wire.member.as_ref(), "member")?;
        Self::new(member, &wire.subsystem_code)
    }
}

impl TryFrom<&pb::ServiceId> for ServiceId {
    type Error = FieldError;

    fn try_from(wire: &pb::ServiceId) -> Result<Self, Self::Error> {
        let subsystem = required(wire.subsystem.as_ref(), "subsystem")?;
        Self::new(subsystem, &wire.service_code, &wire.version)
    }
}

impl From<&MemberId> for pb::MemberId {
    fn from(id: &MemberId) -> Self {
        Self {
            instance: id.instance.clone(),
            member_class: id.member_class.clone(),
            member_code: id.member_code.clone(),
        }
    }
}

impl From<&SubsystemId> for pb::SubsystemId {
    fn from(id: &SubsystemId) -> Self {
        Self { member: Some((&id.member).into()), subsystem_code: id.subsystem_code.clone() }
    }
}

impl From<&ServiceId> for pb::ServiceId {
    fn from(id: &ServiceId) -> Self {
        Self {
            subsystem: Some((&id.subsystem).into()),
            service_code: id.service_code.clone(),
            version: id.version.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_round_trips() {
        let text = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
        let id: ServiceId = text.parse().expect("a valid service id");
        assert_eq!(id.to_string(), text);
        assert_eq!(id.provider().member_code(), "201122919");
        assert_eq!(id.subsystem().to_string(), "UZ/GOV/201122919/civil-registry");
    }

    #[test]
    fn wire_round_trips() {
        let id: ServiceId = "UZ/COM/305123456/credit-bureau/score/v12".parse().expect("valid");
        let wire = pb::ServiceId::from(&id);
        assert_eq!(ServiceId::try_from(&wire).expect("valid"), id);
    }

    #[test]
    fn bad_parts_name_their_field() {
        let err = "UZ/GOV/12345/civil".parse::<SubsystemId>().expect_err("short STIR");
        assert_eq!(err.field, "member_code");
        let err = "UZ/GOV/201122919/Civil".parse::<SubsystemId>().expect_err("upper case");
        assert_eq!(err.field, "subsystem_code");
        let err = "UZ/GOV/201122919/civil/svc/1".parse::<ServiceId>().expect_err("no v");
        assert_eq!(err.field, "version");
        let err = "UZ/GOV/201122919/civil/svc/v01".parse::<ServiceId>().expect_err("leading zero");
        assert_eq!(err.field, "version");
        let err = "uz/GOV/201122919".parse::<MemberId>().expect_err("lower-case instance");
        assert_eq!(err.field, "instance");
        let err = "UZ/G/201122919".parse::<MemberId>().expect_err("short class");
        assert_eq!(err.field, "member_class");
    }

    #[test]
    fn wrong_number_of_parts_is_refused() {
        assert!("UZ/GOV".parse::<MemberId>().is_err());
        assert!("UZ/GOV/201122919/a/b".parse::<SubsystemId>().is_err());
        assert!("".parse::<ServiceId>().is_err());
    }

    #[test]
    fn missing_nested_messages_are_named() {
        let wire = pb::ServiceId {
            subsystem: Some(pb::SubsystemId { member: None, subsystem_code: "civil".into() }),
            service_code: "svc".into(),
            version: "v1".into(),
        };
        let err = ServiceId::try_from(&wire).expect_err("member missing");
        assert_eq!(err.to_string(), "subsystem.member: is required");
    }
}
