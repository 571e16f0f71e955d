//! Who a client certificate speaks for: one role and one principal, named by one URI subject alternative name
//! `urn:koprik:<role>:<principal>` (koprik/registry/v1/credentials.proto). Every gRPC API of the platform takes
//! its caller's identity from this name and from nothing the caller types.
//!
//! | role | who holds it | principal | example URI |
//! |---|---|---|---|
//! | `operator` | a person of the platform operator (the E-Government Center) | a person handle | `urn:koprik:operator:a.karimov` |
//! | `registry-reviewer` | the operator's reviewer of the Unified Registry of Public Services | a person handle | `urn:koprik:registry-reviewer:d.yusupova` |
//! | `registry-editor` | an agency's editor of its entries in that registry | the agency and a person | `urn:koprik:registry-editor:UZ/GOV/200935935/n.aliyeva` |
//! | `agency-head` | the head of an agency | the agency and a person | `urn:koprik:agency-head:UZ/GOV/200935935/b.tursunov` |
//! | `auditor` | a finance officer or inspector: reads everything, changes nothing | a person handle | `urn:koprik:auditor:s.rahimova` |
//! | `consumer` | a consumer's information system (subsystem) | the subsystem | `urn:koprik:consumer:UZ/GOV/200935935/tax-inspection` |
//! | `provider` | a provider agency and its adapter | the agency (member) | `urn:koprik:provider:UZ/GOV/201122919` |
//! | `supplier` | an open-data supplier | the organisation (member) | `urn:koprik:supplier:UZ/GOV/201122920` |
//! | `payment-channel` | a bank or payment organisation reporting payments | the channel name | `urn:koprik:payment-channel:agrobank` |

use std::fmt;
use std::str::FromStr;

use koprik_proto::ids::{MemberId, SubsystemId};
use koprik_proto::registry::Role as WireRole;
use koprik_proto::FieldError;

use crate::PkiError;

/// The prefix every identity URI starts with.
pub const URI_PREFIX: &str = "urn:koprik:";

/// What the holder of a certificate may be: the roles of the authorization policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A person of the platform operator: onboarding, grants, credentials, contracts, the base amount.
    Operator,
    /// The operator's reviewer of the Unified Registry of Public Services (REG-1 pp. 12-14).
    RegistryReviewer,
    /// An agency's editor of its own entries in the Unified Registry of Public Services (REG-1 pp. 12, 15-16).
    RegistryEditor,
    /// The head of an agency: confirms its yearly re-inventory (REG-1 p. 17).
    AgencyHead,
    /// A finance officer, auditor or inspector: reads across agencies, changes nothing.
    Auditor,
    /// A consumer's information system (subsystem): calls web services, applies for access, reads its own.
    Consumer,
    /// A provider agency (and its adapter): consents for and announces works on its own web services.
    Provider,
    /// An open-data supplier: publishes into its own data sets (OD §26-28).
    Supplier,
    /// A bank or payment organisation: reports payments under its own channel name.
    PaymentChannel,
}

impl Role {
    /// Every role, in the order of the table above.
    pub const ALL: [Role; 9] = [
        Role::Operator,
        Role::RegistryReviewer,
        Role::RegistryEditor,
        Role::AgencyHead,
        Role::Auditor,
        Role::Consumer,
        Role::Provider,
        Role::Supplier,
        Role::PaymentChannel,
    ];

    /// The role's name in the URI and everywhere it is written: `operator`, `payment-channel`, ...
    pub fn name(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::RegistryReviewer => "registry-reviewer",
            Role::RegistryEditor => "registry-editor",
            Role::AgencyHead => "agency-head",
            Role::Auditor => "auditor",
            Role::Consumer => "consumer",
            Role::Provider => "provider",
            Role::Supplier => "supplier",
            Role::PaymentChannel => "payment-channel",
        }
    }

    /// What the principal of this role is, as help text.
    pub fn principal_form(self) -> &'static str {
        match self {
            Role::Operator | Role::RegistryReviewer | Role::Auditor => "a person handle (e.g. a.karimov)",
            Role::RegistryEditor | Role::AgencyHead => {
                "the agency's member id and a person handle (UZ/GOV/200935935/n.aliyeva)"
            }
            Role::Consumer => "the subsystem id (UZ/GOV/200935935/tax-inspection)",
            Role::Provider | Role::Supplier => "the organisation's member id (UZ/GOV/201122919)",
            Role::PaymentChannel => "the channel name (e.g. agrobank)",
        }
    }

    /// The role as the registry's contracts carry it.
    pub fn wire(self) -> WireRole {
        match self {
            Role::Operator => WireRole::Operator,
            Role::RegistryReviewer => WireRole::RegistryReviewer,
            Role::RegistryEditor => WireRole::RegistryEditor,
            Role::AgencyHead => WireRole::AgencyHead,
            Role::Auditor => WireRole::Auditor,
            Role::Consumer => WireRole::Consumer,
            Role::Provider => WireRole::Provider,
            Role::Supplier => WireRole::Supplier,
            Role::PaymentChannel => WireRole::PaymentChannel,
        }
    }

    /// The role a wire value names, or `None` for `ROLE_UNSPECIFIED` and unknown numbers.
    pub fn from_wire(value: i32) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.wire() as i32 == value)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.name() == value).ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            FieldError::new("role", format!("must be one of {}", names.join(", ")))
        })
    }
}

/// Whom a certificate speaks for within its role.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A person, by handle (operator, registry reviewer, auditor).
    Person(String),
    /// A person acting for an agency (registry editor, agency head).
    AgencyPerson {
        /// The agency.
        agency: MemberId,
        /// The person's handle.
        person: String,
    },
    /// A consumer subsystem.
    Subsystem(SubsystemId),
    /// An organisation (provider, supplier).
    Member(MemberId),
    /// A payment channel, by name.
    Channel(String),
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Person(name) | Principal::Channel(name) => f.write_str(name),
            Principal::AgencyPerson { agency, person } => write!(f, "{agency}/{person}"),
            Principal::Subsystem(id) => write!(f, "{id}"),
            Principal::Member(id) => write!(f, "{id}"),
        }
    }
}

/// A person handle or channel name: 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or
/// digit (safe in URIs, logs and metric-free text).
pub fn handle(value: &str, field: &str) -> Result<String, FieldError> {
    let ok = (1..=64).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "must be 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
        ))
    }
}

/// A payment channel's name, as billing records payments under it and a payment channel's certificate names it:
/// 1-63 lower-case letters, digits or '-', starting with a letter or digit. One rule for both, so that every
/// channel certificate can report payments and every channel can have a certificate.
pub fn channel_name(value: &str, field: &str) -> Result<String, FieldError> {
    let ok = (1..=63).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(field, "must be 1-63 lower-case letters, digits or '-', starting with a letter or digit"))
    }
}

/// A role and its principal: the identity one certificate carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    role: Role,
    principal: Principal,
}

impl Identity {
    /// The identity of `role` for the principal written as `principal` (its form depends on the role, see
    /// [`Role::principal_form`]).
    pub fn new(role: Role, principal: &str) -> Result<Self, FieldError> {
        let principal = match role {
            Role::Operator | Role::RegistryReviewer | Role::Auditor => {
                Principal::Person(handle(principal, "principal")?)
            }
            Role::RegistryEditor | Role::AgencyHead => {
                let (agency, person) = principal
                    .rsplit_once('/')
                    .ok_or_else(|| FieldError::new("principal", format!("must be {}", role.principal_form())))?;
                let agency = agency.parse().map_err(|e: FieldError| e.within("principal"))?;
                Principal::AgencyPerson { agency, person: handle(person, "principal")? }
            }
            Role::Consumer => Principal::Subsystem(principal.parse().map_err(|e: FieldError| e.within("principal"))?),
            Role::Provider | Role::Supplier => {
                Principal::Member(principal.parse().map_err(|e: FieldError| e.within("principal"))?)
            }
            Role::PaymentChannel => Principal::Channel(channel_name(principal, "principal")?),
        };
        Ok(Self { role, principal })
    }

    /// A consumer subsystem's identity.
    pub fn consumer(subsystem: &SubsystemId) -> Self {
        Self { role: Role::Consumer, principal: Principal::Subsystem(subsystem.clone()) }
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The principal.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The subsystem, for a consumer.
    pub fn subsystem(&self) -> Option<&SubsystemId> {
        match &self.principal {
            Principal::Subsystem(id) => Some(id),
            _ => None,
        }
    }

    /// The organisation the holder acts for: a consumer's member, a provider or supplier, an agency person's
    /// agency. `None` for the operator's people, auditors and payment channels.
    pub fn organization(&self) -> Option<&MemberId> {
        match &self.principal {
            Principal::Subsystem(id) => Some(id.member()),
            Principal::Member(id) => Some(id),
            Principal::AgencyPerson { agency, .. } => Some(agency),
            Principal::Person(_) | Principal::Channel(_) => None,
        }
    }

    /// The URI subject alternative name naming this identity.
    pub fn uri(&self) -> String {
        format!("{URI_PREFIX}{}:{}", self.role.name(), self.principal)
    }

    /// The identity a URI names: `None` for a URI that is not a Ko'prik identity, an error for a Ko'prik URI that
    /// names no valid role and principal.
    pub fn of_uri(uri: &str) -> Result<Option<Self>, PkiError> {
        let Some(rest) = uri.strip_prefix(URI_PREFIX) else {
            return Ok(None);
        };
        let invalid = |rule: String| PkiError::Invalid(format!("subject alternative name {uri:?}: {rule}"));
        let (role, principal) =
            rest.split_once(':').ok_or_else(|| invalid(format!("must be {URI_PREFIX}<role>:<principal>")))?;
        let role: Role = role.parse().map_err(|e: FieldError| invalid(e.to_string()))?;
        Identity::new(role, principal).map(Some).map_err(|e| invalid(e.to_string()))
    }
}

/// `<role>:<principal>`, e.g. `operator:a.karimov`: how a step's actor is recorded.
impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.role.name(), self.principal)
    }
}

/// Reads `<role>:<principal>`.
impl FromStr for Identity {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (role, principal) = value
            .split_once(':')
            .ok_or_else(|| FieldError::new("identity", "must be <role>:<principal>, e.g. operator:a.karimov"))?;
        Identity::new(role.parse()?, principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_uri() {
        let examples = [
            (Role::Operator, "a.karimov"),
            (Role::RegistryReviewer, "d.yusupova"),
            (Role::RegistryEditor, "UZ/GOV/200935935/n.aliyeva"),
            (Role::AgencyHead, "UZ/GOV/200935935/b.tursunov"),
            (Role::Auditor, "s.rahimova"),
            (Role::Consumer, "UZ/GOV/200935935/tax-inspection"),
            (Role::Provider, "UZ/GOV/201122919"),
            (Role::Supplier, "UZ/GOV/201122920"),
            (Role::PaymentChannel, "agrobank"),
        ];
        for (role, principal) in examples {
            let identity = Identity::new(role, principal).expect("valid");
            let uri = identity.uri();
            assert_eq!(uri, format!("urn:koprik:{}:{principal}", role.name()));
            assert_eq!(Identity::of_uri(&uri).expect("valid"), Some(identity.clone()));
            assert_eq!(identity.to_string().parse::<Identity>().expect("valid"), identity);
            assert_eq!(Role::from_wire(role.wire() as i32), Some(role));
        }
        assert_eq!(Role::from_wire(0), None);
    }

    #[test]
    fn principals_must_fit_their_role() {
        assert!(Identity::new(Role::Consumer, "UZ/GOV/200935935").is_err());
        assert!(Identity::new(Role::Provider, "UZ/GOV/200935935/tax").is_err());
        assert!(Identity::new(Role::Operator, "A.Karimov").is_err());
        assert!(Identity::new(Role::Operator, "").is_err());
        assert!(Identity::new(Role::RegistryEditor, "n.aliyeva").is_err());
        assert!(Identity::new(Role::PaymentChannel, &"a".repeat(64)).is_err());
        assert!(Identity::new(Role::PaymentChannel, "agro_bank").is_err(), "billing could not record its payments");
        assert!(Identity::new(Role::PaymentChannel, &"a".repeat(63)).is_ok());
        let editor = Identity::new(Role::RegistryEditor, "UZ/GOV/200935935/n.aliyeva").expect("valid");
        assert_eq!(editor.organization().map(ToString::to_string).as_deref(), Some("UZ/GOV/200935935"));
        let consumer = Identity::new(Role::Consumer, "UZ/GOV/200935935/tax-inspection").expect("valid");
        assert_eq!(consumer.organization().map(ToString::to_string).as_deref(), Some("UZ/GOV/200935935"));
        assert_eq!(Identity::new(Role::Auditor, "s.rahimova").expect("valid").organization(), None);
    }

    #[test]
    fn other_uris_are_not_identities_and_bad_koprik_uris_are_errors() {
        assert_eq!(Identity::of_uri("https://example.uz").expect("not ours"), None);
        assert!(Identity::of_uri("urn:koprik:subsystem:UZ/GOV/200935935/tax-inspection").is_err());
        assert!(Identity::of_uri("urn:koprik:consumer:UZ/GOV/1").is_err());
        assert!(Identity::of_uri("urn:koprik:operator").is_err());
    }
}
