//! The authorization policy: for every gRPC method the platform serves, which roles may call it and how far each
//! reaches. One table for every service, enforced by [`crate::guard`]; a method that is not in it is refused, so a
//! new method is closed until someone decides who may call it (and the generated test matrix fails until then).
//!
//! Reach is either everything the method can touch ([`Reach::All`]) or only what belongs to the caller
//! ([`Reach::Own`]): a consumer's own subsystem, a provider's or supplier's own organisation, an agency person's own
//! agency, a payment channel's own name ([`crate::access::Owner`]). The service decides what a resource's owner is
//! (it knows its data); the guard refuses any call of reach `Own` that reaches its answer without that check.
//!
//! Roles in short below: O operator, RR registry reviewer, RE registry editor, AH agency head, AU auditor,
//! C consumer, P provider, S supplier, PC payment channel. The rules follow the law's division of work: the
//! operator connects, grants, suspends and bills (A1/A2 §7-13, §25-26); the provider consents for and announces
//! works on its own services (A2 §18-19, A1 §23); the applicant submits and resubmits its own application; the
//! agencies' editors submit and amend their own entries in the Unified Registry of Public Services and the
//! operator's reviewer registers or refuses them (REG-1 pp. 12-17); suppliers publish their own data sets
//! (OD §26-28); payment channels report payments (A3); auditors read everything and change nothing.

use std::fmt::Write as _;

use crate::Role;
use Role::{
    AgencyHead as AH, Auditor as AU, Consumer as C, Operator as O, PaymentChannel as PC, Provider as P,
    RegistryEditor as RE, RegistryReviewer as RR, Supplier as S,
};

/// How far a role's calls of a method reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Everything the method can touch.
    All,
    /// Only what belongs to the caller's principal; the service checks it.
    Own,
}

/// One role allowed to call a method, and its reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allow {
    /// The role.
    pub role: Role,
    /// How far it reaches.
    pub reach: Reach,
}

const fn all(role: Role) -> Allow {
    Allow { role, reach: Reach::All }
}

const fn own(role: Role) -> Allow {
    Allow { role, reach: Reach::Own }
}

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, with or without a certificate: gRPC health (for probes) and reflection (the public contracts).
    Open,
    /// Callers with a registered certificate of one of these roles.
    Roles(&'static [Allow]),
}

/// One method's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The gRPC path, `/package.Service/Method`.
    pub method: &'static str,
    /// Who may call it.
    pub rule: Rule,
    /// What "own" means for the roles of reach `Own`, in words (empty when no role is limited).
    pub own: &'static str,
}

impl Entry {
    /// The allowance of `role`, if the role may call the method at all.
    pub fn allowance(&self, role: Role) -> Option<Allow> {
        match self.rule {
            Rule::Open => Some(all(role)),
            Rule::Roles(allowed) => allowed.iter().copied().find(|a| a.role == role),
        }
    }

    /// The roles that may call it, for messages: `operator, auditor`.
    pub fn role_names(&self) -> String {
        match self.rule {
            Rule::Open => "any".into(),
            Rule::Roles(allowed) => allowed.iter().map(|a| a.role.name()).collect::<Vec<_>>().join(", "),
        }
    }
}

/// Every role, each reaching everything: reads of public information.
const EVERYONE: &[Allow] = &[all(O), all(RR), all(RE), all(AH), all(AU), all(C), all(P), all(S), all(PC)];

const fn entry(method: &'static str, allowed: &'static [Allow], own: &'static str) -> Entry {
    Entry { method, rule: Rule::Roles(allowed), own }
}

const fn open(method: &'static str) -> Entry {
    Entry { method, rule: Rule::Open, own: "" }
}

/// The policy. Grouped by service, in the order of the `.proto` files.
pub const POLICY: &[Entry] = &[
    // Probes and tools.
    open("/grpc.health.v1.Health/Check"),
    open("/grpc.health.v1.Health/Watch"),
    open("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
    open("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
    // koprik.registry.v1.Registry: participants, information systems, web services, grants.
    entry("/koprik.registry.v1.Registry/CreateOrganization", &[all(O)], ""),
    entry("/koprik.registry.v1.Registry/GetOrganization", EVERYONE, ""),
    entry("/koprik.registry.v1.Registry/ListOrganizations", EVERYONE, ""),
    entry("/koprik.registry.v1.Registry/UpdateOrganization", &[all(O)], ""),
    entry("/koprik.registry.v1.Registry/CreateSubsystem", &[all(O)], ""),
    entry(
        "/koprik.registry.v1.Registry/GetSubsystem",
        &[all(O), all(AU), own(C), own(P)],
        "the subsystems of its own organisation",
    ),
    entry(
        "/koprik.registry.v1.Registry/ListSubsystems",
        &[all(O), all(AU), own(C), own(P)],
        "the subsystems of its own organisation",
    ),
    entry(
        "/koprik.registry.v1.Registry/UpdateSubsystem",
        &[all(O), own(C), own(P)],
        "C: its own subsystem (A1/A2 Ap2: changes reported by the applicant); P: its organisation's",
    ),
    entry("/koprik.registry.v1.Registry/CreateService", &[all(O), own(P)], "web services of its own organisation"),
    entry("/koprik.registry.v1.Registry/GetService", EVERYONE, ""),
    entry("/koprik.registry.v1.Registry/ListServices", EVERYONE, ""),
    entry("/koprik.registry.v1.Registry/UpdateService", &[all(O), own(P)], "web services of its own organisation"),
    entry("/koprik.registry.v1.Registry/CreateGrant", &[all(O)], ""),
    entry(
        "/koprik.registry.v1.Registry/GetGrant",
        &[all(O), all(AU), own(C), own(P)],
        "C: its own grants; P: grants on its own services",
    ),
    entry(
        "/koprik.registry.v1.Registry/ListGrants",
        &[all(O), all(AU), own(C), own(P)],
        "C: its own grants; P: grants on one of its own services",
    ),
    entry("/koprik.registry.v1.Registry/UpdateGrant", &[all(O)], ""),
    // koprik.registry.v1.Onboarding: the connection workflow (A1/A2 §7-13).
    entry("/koprik.registry.v1.Onboarding/SubmitApplication", &[own(C)], "applications for its own subsystem"),
    entry("/koprik.registry.v1.Onboarding/StartReview", &[all(O)], ""),
    entry("/koprik.registry.v1.Onboarding/RefuseApplication", &[all(O)], ""),
    entry("/koprik.registry.v1.Onboarding/ApproveApplication", &[all(O)], ""),
    entry("/koprik.registry.v1.Onboarding/ResubmitApplication", &[own(C)], "its own subsystem's applications"),
    entry("/koprik.registry.v1.Onboarding/RecordProviderConsent", &[own(P)], "its own services (A2 §18-19)"),
    entry("/koprik.registry.v1.Onboarding/AgreeInstruction", &[all(O)], ""),
    entry("/koprik.registry.v1.Onboarding/ConnectApplication", &[all(O)], ""),
    entry(
        "/koprik.registry.v1.Onboarding/GetApplication",
        &[all(O), all(AU), own(C), own(P)],
        "C: its own subsystem's applications; P: applications asking for one of its services",
    ),
    entry(
        "/koprik.registry.v1.Onboarding/ListApplications",
        &[all(O), all(AU), own(C)],
        "its own subsystem's applications",
    ),
    // koprik.registry.v1.Announcements: planned changes and technical works (A1 §23, A2 §22).
    entry("/koprik.registry.v1.Announcements/CreateAnnouncement", &[all(O), own(P)], "its own services"),
    entry(
        "/koprik.registry.v1.Announcements/ListAnnouncements",
        &[all(O), all(AU), all(RR), own(RE), own(AH), own(C), own(P), own(S)],
        "a service's announcements are public; by consumer, only a subsystem of its own organisation",
    ),
    // koprik.registry.v1.WorkingCalendar.
    entry("/koprik.registry.v1.WorkingCalendar/LoadCalendarYear", &[all(O)], ""),
    entry("/koprik.registry.v1.WorkingCalendar/GetCalendarYear", EVERYONE, ""),
    entry("/koprik.registry.v1.WorkingCalendar/ListCalendarYears", EVERYONE, ""),
    entry("/koprik.registry.v1.WorkingCalendar/ComputeDeadline", EVERYONE, ""),
    // koprik.registry.v1.Certificates and SigningKeys: credentials.
    entry("/koprik.registry.v1.Certificates/RegisterCertificate", &[all(O)], ""),
    entry(
        "/koprik.registry.v1.Certificates/RevokeCertificate",
        &[all(O), own(C), own(P)],
        "certificates of its own subsystem (C) or organisation (P), e.g. after a key is lost",
    ),
    entry(
        "/koprik.registry.v1.Certificates/ListCertificates",
        &[all(O), all(AU), own(C), own(P)],
        "certificates of its own subsystem (C) or organisation's subsystems (P)",
    ),
    entry("/koprik.registry.v1.SigningKeys/RegisterSigningKey", &[all(O)], ""),
    entry(
        "/koprik.registry.v1.SigningKeys/RevokeSigningKey",
        &[all(O), own(C), own(P)],
        "keys of its own subsystem (C) or organisation (P)",
    ),
    entry(
        "/koprik.registry.v1.SigningKeys/ListSigningKeys",
        &[all(O), all(AU), own(C), own(P)],
        "keys of its own subsystem (C) or organisation's subsystems (P)",
    ),
    // koprik.registry.v1.PublicServices: the Unified Registry of Public Services (REG-1 pp. 12-17).
    entry(
        "/koprik.registry.v1.PublicServices/SubmitEntry",
        &[own(RE), own(AH)],
        "entries of its own agency (the competent body)",
    ),
    entry("/koprik.registry.v1.PublicServices/RegisterEntry", &[all(RR)], ""),
    entry("/koprik.registry.v1.PublicServices/RefuseEntry", &[all(RR)], ""),
    entry("/koprik.registry.v1.PublicServices/SendRegistrationNotice", &[all(RR)], ""),
    entry(
        "/koprik.registry.v1.PublicServices/DeclareRemediation",
        &[own(RE), own(AH)],
        "applications of its own agency",
    ),
    entry(
        "/koprik.registry.v1.PublicServices/ResubmitEntry",
        &[own(RE), own(AH)],
        "applications of its own agency, staying with it",
    ),
    entry(
        "/koprik.registry.v1.PublicServices/SubmitAmendment",
        &[own(RE), own(AH)],
        "entries of its own agency, staying with it",
    ),
    entry("/koprik.registry.v1.PublicServices/AbolishEntry", &[own(RE), own(AH)], "entries of its own agency"),
    entry(
        "/koprik.registry.v1.PublicServices/ConfirmInventory",
        &[own(AH)],
        "its own agency's inventory (REG-1 p. 17)",
    ),
    entry(
        "/koprik.registry.v1.PublicServices/GetEntryApplication",
        &[all(RR), all(O), all(AU), own(RE), own(AH)],
        "applications of its own agency",
    ),
    entry(
        "/koprik.registry.v1.PublicServices/ListEntryApplications",
        &[all(RR), all(O), all(AU), own(RE), own(AH)],
        "applications of its own agency",
    ),
    entry("/koprik.registry.v1.PublicServices/GetEntry", EVERYONE, ""),
    entry("/koprik.registry.v1.PublicServices/ListEntries", EVERYONE, ""),
    entry(
        "/koprik.registry.v1.PublicServices/GetHistory",
        &[all(RR), all(O), all(AU), own(RE), own(AH), own(C), own(P), own(S)],
        "an entry's history is public; an application's, only its own agency's",
    ),
    entry("/koprik.registry.v1.PublicServices/ReinventoryReport", &[all(RR), all(O), all(AU)], ""),
    // koprik.exchange.v1.Exchange: the gateway. Which services a consumer may call is its grants' business.
    entry("/koprik.exchange.v1.Exchange/Call", &[all(C)], ""),
    entry("/koprik.exchange.v1.Exchange/Submit", &[all(C)], ""),
    entry("/koprik.exchange.v1.Exchange/Get", &[own(C)], "requests its own subsystem submitted"),
    // koprik.billing.v1: the base amount, contracts, invoices, payments, revenue.
    entry("/koprik.billing.v1.BaseAmounts/SetBaseAmount", &[all(O)], ""),
    entry("/koprik.billing.v1.BaseAmounts/ListBaseAmounts", EVERYONE, ""),
    entry("/koprik.billing.v1.Contracts/CreateContract", &[all(O)], ""),
    entry(
        "/koprik.billing.v1.Contracts/GetContract",
        &[all(O), all(AU), own(C)],
        "contracts whose account is its own organisation",
    ),
    entry(
        "/koprik.billing.v1.Contracts/ListContracts",
        &[all(O), all(AU), own(C)],
        "contracts whose account is its own organisation",
    ),
    entry(
        "/koprik.billing.v1.Invoices/GetInvoice",
        &[all(O), all(AU), own(C)],
        "invoices of its own organisation's account",
    ),
    entry(
        "/koprik.billing.v1.Invoices/ListInvoices",
        &[all(O), all(AU), own(C)],
        "invoices of its own organisation's account",
    ),
    entry("/koprik.billing.v1.Invoices/IssueInvoices", &[all(O)], ""),
    entry("/koprik.billing.v1.Invoices/VoidInvoice", &[all(O)], ""),
    entry("/koprik.billing.v1.Invoices/ListHeldUsage", &[all(O), all(AU)], ""),
    entry(
        "/koprik.billing.v1.Invoices/RenderInvoice",
        &[all(O), all(AU), own(C)],
        "invoices of its own organisation's account",
    ),
    entry("/koprik.billing.v1.Payments/RecordPayment", &[own(PC)], "payments under its own channel name"),
    entry("/koprik.billing.v1.Payments/RefundCredit", &[all(O)], ""),
    entry("/koprik.billing.v1.Payments/ListPayments", &[all(O), all(AU), own(C)], "its own organisation's account"),
    entry("/koprik.billing.v1.Payments/GetAccount", &[all(O), all(AU), own(C)], "its own organisation's account"),
    entry("/koprik.billing.v1.Revenue/GetDistributionReport", &[all(O), all(AU)], ""),
    entry("/koprik.billing.v1.Revenue/ListLedgerEntries", &[all(O), all(AU)], ""),
    // koprik.opendata.v1: the Open Data Portal.
    entry("/koprik.opendata.v1.Suppliers/RegisterSupplier", &[all(O)], ""),
    entry("/koprik.opendata.v1.Suppliers/GetSupplier", &[all(O), all(AU), own(S)], "its own supplier record"),
    entry("/koprik.opendata.v1.Suppliers/ListSuppliers", &[all(O), all(AU)], ""),
    entry(
        "/koprik.opendata.v1.Datasets/CreateDataset",
        &[all(O), own(S)],
        "data sets of its own organisation (OD §26-28)",
    ),
    entry("/koprik.opendata.v1.Datasets/UpdatePassport", &[all(O), own(S)], "its own data sets"),
    entry("/koprik.opendata.v1.Datasets/GetDataset", &[all(O), all(AU), own(S)], "its own data sets"),
    entry("/koprik.opendata.v1.Datasets/ListDatasets", &[all(O), all(AU), own(S)], "its own data sets"),
    entry("/koprik.opendata.v1.Datasets/DefineStructure", &[all(O), own(S)], "its own data sets"),
    entry("/koprik.opendata.v1.Datasets/PublishVersion", &[all(O), own(S)], "its own data sets"),
    entry("/koprik.opendata.v1.Datasets/ListVersions", &[all(O), all(AU), own(S)], "its own data sets"),
    entry("/koprik.opendata.v1.Datasets/ListOverdueDatasets", &[all(O), all(AU), own(S)], "its own data sets"),
    entry("/koprik.opendata.v1.Feedback/ListMessages", &[all(O), own(S)], "messages about its own data sets"),
    entry("/koprik.opendata.v1.Feedback/ListProposals", &[all(O)], ""),
    entry("/koprik.opendata.v1.Feedback/ForwardProposal", &[all(O)], ""),
    entry(
        "/koprik.opendata.v1.ApiKeys/IssueApiKey",
        &[all(O), own(C)],
        "keys for its own subsystem; for everyone, only under a contract whose account is the holder's organisation",
    ),
    entry("/koprik.opendata.v1.ApiKeys/RevokeApiKey", &[all(O), own(C)], "keys of its own organisation"),
    entry("/koprik.opendata.v1.ApiKeys/ListApiKeys", &[all(O), all(AU), own(C)], "keys of its own organisation"),
];

/// Which gRPC services each of the platform's servers serves. The generated authorization matrix of each service's
/// tests covers exactly its list, and together the lists are every service of `proto/` the platform serves (a unit
/// test holds them to it), so no service is left out of every matrix.
pub const SERVERS: &[(&str, &[&str])] = &[
    (
        "registry",
        &[
            "koprik.registry.v1.Registry",
            "koprik.registry.v1.Onboarding",
            "koprik.registry.v1.Announcements",
            "koprik.registry.v1.WorkingCalendar",
            "koprik.registry.v1.Certificates",
            "koprik.registry.v1.SigningKeys",
            "koprik.registry.v1.PublicServices",
        ],
    ),
    ("gateway", &["koprik.exchange.v1.Exchange"]),
    (
        "billing",
        &[
            "koprik.billing.v1.BaseAmounts",
            "koprik.billing.v1.Contracts",
            "koprik.billing.v1.Invoices",
            "koprik.billing.v1.Payments",
            "koprik.billing.v1.Revenue",
        ],
    ),
    (
        "opendata",
        &[
            "koprik.opendata.v1.Suppliers",
            "koprik.opendata.v1.Datasets",
            "koprik.opendata.v1.Feedback",
            "koprik.opendata.v1.ApiKeys",
        ],
    ),
];

/// The gRPC services of the platform server `server` (empty for a name not in [`SERVERS`]).
pub fn services_of(server: &str) -> &'static [&'static str] {
    SERVERS.iter().find(|(name, _)| *name == server).map_or(&[], |(_, services)| services)
}

/// gRPC services in `proto/` that the platform calls but does not serve: a provider agency's backend implements
/// them behind its adapter, so they have no entry here.
pub const SERVED_ELSEWHERE: &[&str] = &["koprik.provider.v1.DataProvider"];

/// Every method of every gRPC service in `proto/`, as `/package.Service/Method`, read from the compiled
/// descriptors: what the policy must cover (less [`SERVED_ELSEWHERE`]) and what the generated authorization
/// matrix calls.
pub fn described_methods() -> Vec<(String, bool)> {
    use koprik_proto::prost::Message as _;
    let set =
        koprik_proto::prost_types::FileDescriptorSet::decode(koprik_proto::FILE_DESCRIPTOR_SET).unwrap_or_default();
    let mut methods = Vec::new();
    for file in &set.file {
        for service in &file.service {
            let full = format!("{}.{}", file.package(), service.name());
            for method in &service.method {
                // (path, client-streaming)
                methods.push((format!("/{full}/{}", method.name()), method.client_streaming()));
            }
        }
    }
    methods
}

/// The methods of `proto/` the platform serves, i.e. all but [`SERVED_ELSEWHERE`].
pub fn served_methods() -> Vec<(String, bool)> {
    described_methods()
        .into_iter()
        .filter(|(path, _)| !SERVED_ELSEWHERE.iter().any(|service| path.starts_with(&format!("/{service}/"))))
        .collect()
}

/// The entry of the method at `path`, if the policy has one.
pub fn lookup(path: &str) -> Option<&'static Entry> {
    POLICY.iter().find(|entry| entry.method == path)
}

/// The policy as a Markdown table (method, then one column per role: `all`, `own` or empty), as documented in
/// `crates/authz/POLICY.md`.
pub fn markdown() -> String {
    let mut out = String::from("| method |");
    for role in Role::ALL {
        let _ = write!(out, " {} |", role.name());
    }
    out.push_str(" own means |\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for entry in POLICY {
        let _ = write!(out, "| `{}` |", entry.method.trim_start_matches('/'));
        for role in Role::ALL {
            let cell = match (entry.rule, entry.allowance(role)) {
                (Rule::Open, _) => "open",
                (_, Some(Allow { reach: Reach::All, .. })) => "all",
                (_, Some(Allow { reach: Reach::Own, .. })) => "own",
                (_, None) => "",
            };
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out, " {} |", entry.own);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_listed_once_and_own_is_explained_where_used() {
        let mut seen = std::collections::HashSet::new();
        for entry in POLICY {
            assert!(seen.insert(entry.method), "{} is listed twice", entry.method);
            assert!(entry.method.starts_with('/') && entry.method[1..].contains('/'), "{}", entry.method);
            if let Rule::Roles(allowed) = entry.rule {
                assert!(!allowed.is_empty(), "{} allows nobody", entry.method);
                let limited = allowed.iter().any(|a| a.reach == Reach::Own);
                assert_eq!(
                    limited,
                    !entry.own.is_empty(),
                    "{}: say what own means exactly when a role is limited",
                    entry.method
                );
            }
        }
    }

    #[test]
    fn auditors_never_change_anything() {
        // A method an auditor may call must be a read: its name says so.
        for entry in POLICY {
            if entry.allowance(Role::Auditor).is_some() && entry.rule != Rule::Open {
                let method = entry.method.rsplit('/').next().unwrap_or_default();
                let read = ["Get", "List", "Compute", "Render", "Reinventory"].iter().any(|p| method.starts_with(p));
                assert!(read, "{} is not a read, yet auditors may call it", entry.method);
            }
        }
    }

    /// Built from the descriptors: a method added to `proto/` without a policy entry fails here, and an entry
    /// whose method no longer exists does too.
    #[test]
    fn every_served_method_has_an_entry_and_every_entry_a_method() {
        let served = served_methods();
        assert!(served.len() > 80, "{} methods read from the descriptors", served.len());
        let missing: Vec<&str> = served.iter().map(|(m, _)| m.as_str()).filter(|m| lookup(m).is_none()).collect();
        assert!(missing.is_empty(), "no policy entry for {missing:?}");
        for entry in POLICY.iter().filter(|e| e.rule != Rule::Open) {
            assert!(served.iter().any(|(m, _)| m == entry.method), "{} is not a method in proto/", entry.method);
        }
    }

    #[test]
    fn the_servers_together_serve_every_service_once() {
        let mut listed: Vec<&str> = SERVERS.iter().flat_map(|(_, services)| services.iter().copied()).collect();
        listed.sort_unstable();
        let before = listed.len();
        listed.dedup();
        assert_eq!(before, listed.len(), "a gRPC service is listed under two servers");
        let mut served: Vec<String> = served_methods()
            .into_iter()
            .filter_map(|(path, _)| path.trim_start_matches('/').split_once('/').map(|(service, _)| service.to_owned()))
            .collect();
        served.sort_unstable();
        served.dedup();
        assert_eq!(listed, served, "SERVERS must list every gRPC service of proto/ the platform serves");
        assert!(services_of("nobody").is_empty());
    }

    #[test]
    fn unknown_methods_have_no_entry() {
        assert!(lookup("/koprik.registry.v1.Registry/CreateGrant").is_some());
        assert!(lookup("/koprik.registry.v1.Registry/DropEverything").is_none());
        assert!(lookup("koprik.registry.v1.Registry/CreateGrant").is_none());
    }

    /// `crates/authz/POLICY.md` is the table people read; it must be this table. Regenerate it with
    /// `KOPRIK_WRITE_POLICY=1 cargo test -p koprik-authz`.
    #[test]
    fn the_documented_table_is_the_policy() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("POLICY.md");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let (head, table) = (text.split("<!-- table -->").next().unwrap_or_default(), markdown());
        let expected = format!("{head}<!-- table -->\n{table}");
        if std::env::var_os("KOPRIK_WRITE_POLICY").is_some() {
            std::fs::write(&path, &expected).expect("POLICY.md is writable");
        } else {
            assert!(
                text == expected,
                "POLICY.md differs from the policy; run KOPRIK_WRITE_POLICY=1 cargo test -p koprik-authz"
            );
        }
    }
}
