//! What a valid organisation is: its member id, name, type, and the roles its type allows.

use koprik_proto::ids::MemberId;
use koprik_proto::registry::{Organization, OrganizationRole, OrganizationType};
use koprik_proto::FieldError;

use super::text;

/// An organisation as submitted, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationInput {
    /// Its member id; the member code is the STIR.
    pub id: MemberId,
    /// Its official name.
    pub name: String,
    /// State body, state organisation, commercial or other business.
    pub org_type: OrganizationType,
    /// Its roles, sorted and without duplicates.
    pub roles: Vec<OrganizationRole>,
}

/// State bodies and state organisations are the state side of the exchange.
pub fn is_state(org_type: OrganizationType) -> bool {
    matches!(org_type, OrganizationType::StateBody | OrganizationType::StateOrganization)
}

/// Member class `GOV` is for the state side and only for it (X-Road convention, kept so that the class in every
/// identifier tells which platform rules apply).
fn check_member_class(id: &MemberId, org_type: OrganizationType) -> Result<(), FieldError> {
    let gov = id.member_class() == "GOV";
    match (is_state(org_type), gov) {
        (true, false) => Err(FieldError::new("id.member_class", "must be GOV for a state body or state organisation")),
        (false, true) => {
            Err(FieldError::new("id.member_class", "GOV is only for state bodies and state organisations"))
        }
        _ => Ok(()),
    }
}

/// R516 §4a, A1 §6: IIP consumers are state bodies and state organisations.
/// R516 §4a-b, A2 §1: DDP consumers are commercial organisations and other business entities.
fn check_role(role: OrganizationRole, org_type: OrganizationType) -> Result<(), FieldError> {
    match role {
        OrganizationRole::Unspecified => {
            Err(FieldError::new("roles", "must not contain ORGANIZATION_ROLE_UNSPECIFIED"))
        }
        OrganizationRole::IipConsumer if !is_state(org_type) => {
            Err(FieldError::new("roles", "IIP_CONSUMER is only for state bodies and state organisations (R516 §4a)"))
        }
        OrganizationRole::DdpConsumer if is_state(org_type) => Err(FieldError::new(
            "roles",
            "DDP_CONSUMER is only for commercial organisations and other business entities (R516 §4b)",
        )),
        _ => Ok(()),
    }
}

/// Only a provider publishes web services (A1 §2: the web service belongs to the data provider).
pub fn may_provide(roles: &[OrganizationRole]) -> bool {
    roles.contains(&OrganizationRole::Provider)
}

/// Only an IIP or DDP consumer may be granted access to a web service (A1 §6, A2 §1).
pub fn may_consume(roles: &[OrganizationRole]) -> bool {
    roles.contains(&OrganizationRole::IipConsumer) || roles.contains(&OrganizationRole::DdpConsumer)
}

impl TryFrom<&Organization> for OrganizationInput {
    type Error = FieldError;

    fn try_from(wire: &Organization) -> Result<Self, Self::Error> {
        let id: MemberId = koprik_proto::field::required(wire.id.as_ref(), "id")?;
        let name = text::name(&wire.name, "name")?;
        let org_type =
            OrganizationType::try_from(wire.r#type).ok().filter(|t| *t != OrganizationType::Unspecified).ok_or_else(
                || FieldError::new("type", "must be one of STATE_BODY, STATE_ORGANIZATION, COMMERCIAL, OTHER_BUSINESS"),
            )?;
        check_member_class(&id, org_type)?;
        let mut roles = Vec::with_capacity(wire.roles.len());
        for (index, &value) in wire.roles.iter().enumerate() {
            let role = OrganizationRole::try_from(value)
                .map_err(|_| FieldError::new("", format!("{value} is not an OrganizationRole")).at("roles", index))?;
            check_role(role, org_type)?;
            roles.push(role);
        }
        roles.sort();
        roles.dedup();
        Ok(Self { id, name, org_type, roles })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(class: &str, org_type: OrganizationType, roles: &[OrganizationRole]) -> Organization {
        Organization {
            id: Some(koprik_proto::common::MemberId {
                instance: "UZ".into(),
                member_class: class.into(),
                member_code: "201122919".into(),
            }),
            name: "Adliya vazirligi".into(),
            r#type: org_type as i32,
            roles: roles.iter().map(|r| *r as i32).collect(),
            meta: None,
        }
    }

    #[test]
    fn a_state_body_may_provide_and_consume_on_the_iip() {
        let input = OrganizationInput::try_from(&wire(
            "GOV",
            OrganizationType::StateBody,
            &[OrganizationRole::IipConsumer, OrganizationRole::Provider, OrganizationRole::Provider],
        ))
        .expect("valid");
        assert_eq!(input.roles, vec![OrganizationRole::Provider, OrganizationRole::IipConsumer]);
    }

    #[test]
    fn r516_4a_a_company_cannot_be_an_iip_consumer() {
        let err =
            OrganizationInput::try_from(&wire("COM", OrganizationType::Commercial, &[OrganizationRole::IipConsumer]))
                .expect_err("company on IIP");
        assert_eq!(err.field, "roles");
    }

    #[test]
    fn r516_4b_a_state_body_cannot_be_a_ddp_consumer() {
        let err =
            OrganizationInput::try_from(&wire("GOV", OrganizationType::StateBody, &[OrganizationRole::DdpConsumer]))
                .expect_err("state body on DDP");
        assert_eq!(err.field, "roles");
    }

    #[test]
    fn member_class_must_match_the_type() {
        let err = OrganizationInput::try_from(&wire("COM", OrganizationType::StateBody, &[])).expect_err("mismatch");
        assert_eq!(err.field, "id.member_class");
        let err =
            OrganizationInput::try_from(&wire("GOV", OrganizationType::OtherBusiness, &[])).expect_err("mismatch");
        assert_eq!(err.field, "id.member_class");
    }

    #[test]
    fn type_is_required() {
        let err = OrganizationInput::try_from(&wire("GOV", OrganizationType::Unspecified, &[])).expect_err("no type");
        assert_eq!(err.field, "type");
    }
}
