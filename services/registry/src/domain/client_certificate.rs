//! Client certificates (koprik/registry/v1/credentials.proto): what may be registered and how one is revoked.
//! A certificate is its holder's identity at every service (one role and one principal, `urn:koprik:<role>:
//! <principal>`), so the registry records only a readable certificate naming exactly one identity, not expired, and
//! signed by the platform CA (the CA the registry's own gRPC server trusts for client certificates).

use chrono::{DateTime, Utc};
use koprik_authz::Owner;
use koprik_pki::identity::{Identity, Principal, Role};
use koprik_pki::ParsedCertificate;
use koprik_proto::registry::CredentialStatus;
use koprik_proto::FieldError;
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The longest revocation reason accepted, in characters.
pub const MAX_REASON: usize = 500;

/// The platform CA's certificates (one, or several while the CA is rotated): a client certificate is registered
/// only if one of them signed it.
#[derive(Debug, Clone)]
pub struct PlatformCa {
    /// DER of each CA certificate.
    certificates: Vec<Vec<u8>>,
}

impl PlatformCa {
    /// Reads the CA certificates from a PEM bundle (the file of `grpc.tls.client_ca`); at least one is needed.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let mut certificates = Vec::new();
        for block in Pem::iter_from_buffer(pem.as_bytes()) {
            let block = block.map_err(|e| format!("not a PEM bundle: {e}"))?;
            if block.label != "CERTIFICATE" {
                continue;
            }
            X509Certificate::from_der(&block.contents).map_err(|e| format!("not an X.509 certificate: {e}"))?;
            certificates.push(block.contents);
        }
        if certificates.is_empty() {
            return Err("holds no PEM CERTIFICATE".into());
        }
        Ok(Self { certificates })
    }

    /// Whether one of the CA certificates signed the certificate `der` (its issuer is that CA's subject and the
    /// signature verifies with that CA's key).
    pub fn issued(&self, der: &[u8]) -> Result<(), FieldError> {
        let (_, certificate) = X509Certificate::from_der(der)
            .map_err(|e| FieldError::new("pem", format!("not an X.509 certificate: {e}")))?;
        let signed = self.certificates.iter().any(|ca| {
            X509Certificate::from_der(ca).is_ok_and(|(_, ca)| {
                certificate.issuer() == ca.subject() && certificate.verify_signature(Some(ca.public_key())).is_ok()
            })
        });
        if signed {
            Ok(())
        } else {
            Err(FieldError::new(
                "pem",
                format!(
                    "the certificate (issuer {}) was not issued by the platform CA; issue it with `koprik cert issue`",
                    certificate.issuer()
                ),
            ))
        }
    }
}

/// A certificate to register, read from its PEM.
#[derive(Debug, Clone)]
pub struct Registration {
    /// What the certificate says.
    pub certificate: ParsedCertificate,
    /// The one identity it names.
    pub identity: Identity,
    /// The PEM as given (trimmed).
    pub pem: String,
}

impl Registration {
    /// Reads `pem`: it must be one X.509 certificate naming exactly one identity, not expired at `now`, issued by
    /// `ca`.
    pub fn read(pem: &str, now: DateTime<Utc>, ca: &PlatformCa) -> Result<Self, FieldError> {
        let pem = pem.trim();
        if pem.is_empty() {
            return Err(FieldError::new("pem", "is required: the certificate, PEM"));
        }
        let invalid = |e: koprik_pki::PkiError| FieldError::new("pem", e.to_string());
        let der = koprik_pki::der_of_pem(pem).map_err(invalid)?;
        let certificate = koprik_pki::parse_der(&der).map_err(invalid)?;
        let identity = certificate.identity().map_err(invalid)?;
        if certificate.not_after < now {
            return Err(FieldError::new(
                "pem",
                format!("certificate {} expired at {}; issue a new one", certificate.serial, certificate.not_after),
            ));
        }
        ca.issued(&der)?;
        Ok(Self { certificate, identity, pem: pem.to_owned() })
    }
}

/// What the registry must know of a certificate's principal before it records the certificate: a consumer's
/// subsystem, or the organisation a provider, a registry editor or an agency head acts for. Persons of the
/// operator, auditors and payment channels are known by their certificate alone; suppliers are registered in the
/// Open Data Portal, not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownPrincipal<'a> {
    /// The subsystem must be registered.
    Subsystem(&'a koprik_proto::ids::SubsystemId),
    /// The organisation must be registered.
    Organization(&'a koprik_proto::ids::MemberId),
    /// Nothing to check here.
    Unchecked,
}

/// What must be registered for `identity`'s certificate to be recorded.
pub fn known_principal(identity: &Identity) -> KnownPrincipal<'_> {
    match (identity.role(), identity.principal()) {
        (Role::Consumer, Principal::Subsystem(subsystem)) => KnownPrincipal::Subsystem(subsystem),
        (Role::Provider, Principal::Member(member)) => KnownPrincipal::Organization(member),
        (Role::RegistryEditor | Role::AgencyHead, Principal::AgencyPerson { agency, .. }) => {
            KnownPrincipal::Organization(agency)
        }
        _ => KnownPrincipal::Unchecked,
    }
}

/// Who owns a registered certificate of `holder`, as seen by `caller` (for revoking and listing certificates,
/// where consumers and providers reach only their own): a consumer subsystem's certificate belongs to that
/// subsystem, so the subsystem itself and its organisation's provider reach it; a provider's or supplier's
/// certificate belongs to its organisation, reached by that organisation as provider or supplier but not by its
/// consumer subsystems (a system neither reads nor revokes the agency's own credentials); certificates of people
/// and payment channels belong to nobody but the operator's reach.
pub fn owner<'a>(holder: &'a Identity, caller: &Identity) -> Option<Owner<'a>> {
    match holder.principal() {
        Principal::Subsystem(subsystem) => Some(Owner::Subsystem(subsystem)),
        Principal::Member(member) if caller.role() != Role::Consumer => Some(Owner::Organization(member)),
        Principal::Member(_) | Principal::AgencyPerson { .. } | Principal::Person(_) | Principal::Channel(_) => None,
    }
}

/// The serial a revocation names: lower-case hex without leading zeros, as the registry stores it (a serial
/// typed with upper-case letters, colons or leading zeros is normalised).
pub fn serial(value: &str) -> Result<String, FieldError> {
    let cleaned: String = value.trim().chars().filter(|c| *c != ':').collect::<String>().to_ascii_lowercase();
    if cleaned.is_empty() || cleaned.len() > 40 || !cleaned.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(FieldError::new("serial", "must be the certificate's serial number in hex (at most 20 bytes)"));
    }
    let trimmed = cleaned.trim_start_matches('0');
    Ok(if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() })
}

/// The reason of a revocation: required (the record says why a caller lost its identity), at most
/// [`MAX_REASON`] characters.
pub fn revocation_reason(value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new("reason", "is required: why the certificate is revoked"));
    }
    if trimmed.chars().count() > MAX_REASON {
        return Err(FieldError::new("reason", format!("must be at most {MAX_REASON} characters")));
    }
    Ok(trimmed.to_owned())
}

/// Whether a certificate in `status` may be revoked: revocation is final, so only an active one.
pub fn may_revoke(serial: &str, status: CredentialStatus) -> Result<(), String> {
    match status {
        CredentialStatus::Active => Ok(()),
        CredentialStatus::Revoked => Err(format!("certificate {serial} is already revoked; revocation is final")),
        CredentialStatus::Unspecified => Err(format!("certificate {serial} has no status")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

    fn platform() -> (koprik_pki::CertificateAuthority, PlatformCa) {
        let ca = koprik_pki::CertificateAuthority::generate("platform").expect("CA");
        let trusted = PlatformCa::from_pem(ca.cert_pem()).expect("a CA bundle");
        (ca, trusted)
    }

    #[test]
    fn serials_are_normalised_and_checked() {
        assert_eq!(serial(" 00:7F:0a ").expect("valid"), "7f0a");
        assert!(serial("").is_err());
        assert!(serial("xyz").is_err());
        assert!(serial(&"a".repeat(41)).is_err());
    }

    #[test]
    fn a_revocation_needs_a_reason_and_happens_once() {
        assert_eq!(revocation_reason("").expect_err("blank").field, "reason");
        assert_eq!(revocation_reason(" key leaked ").expect("valid"), "key leaked");
        assert!(may_revoke("ab", CredentialStatus::Active).is_ok());
        assert!(may_revoke("ab", CredentialStatus::Revoked).expect_err("final").contains("final"));
    }

    #[test]
    fn registration_needs_a_certificate_naming_one_identity() {
        let now = Utc::now();
        let (ca, trusted) = platform();
        assert_eq!(Registration::read("  ", now, &trusted).expect_err("blank").field, "pem");
        let server = ca.issue_server(&["localhost".into()]).expect("issued");
        let err = Registration::read(&server.cert_pem, now, &trusted).expect_err("no identity");
        assert!(err.to_string().contains("names no identity"), "{err}");
        for text in ["consumer:UZ/GOV/200935935/tax-inspection", "operator:a.karimov", "payment-channel:agrobank"] {
            let identity: Identity = text.parse().expect("valid");
            let client = ca.issue_client(&identity, HOUR).expect("issued");
            assert_eq!(Registration::read(&client.cert_pem, now, &trusted).expect("valid").identity, identity);
        }
        let identity: Identity = "operator:a.karimov".parse().expect("valid");
        let client = ca.issue_client(&identity, HOUR).expect("issued");
        let later = now + chrono::Duration::hours(2);
        let err = Registration::read(&client.cert_pem, later, &trusted).expect_err("expired");
        assert!(err.to_string().contains("expired"), "{err}");
    }

    #[test]
    fn only_certificates_of_the_platform_ca_are_registered() {
        let (_, trusted) = platform();
        let stranger = koprik_pki::CertificateAuthority::generate("platform").expect("another CA, same name");
        let identity: Identity = "operator:a.karimov".parse().expect("valid");
        let forged = stranger.issue_client(&identity, HOUR).expect("issued");
        let err = Registration::read(&forged.cert_pem, Utc::now(), &trusted).expect_err("another CA");
        assert_eq!(err.field, "pem");
        assert!(err.to_string().contains("not issued by the platform CA"), "{err}");
        // During a CA rotation the bundle holds both CAs, and certificates of either are accepted.
        let (old, _) = platform();
        let bundle = PlatformCa::from_pem(&format!("{}\n{}", old.cert_pem(), stranger.cert_pem())).expect("bundle");
        assert!(Registration::read(&forged.cert_pem, Utc::now(), &bundle).is_ok());
        assert!(PlatformCa::from_pem("no certificates here").is_err());
    }

    #[test]
    fn consumers_own_their_subsystems_certificates_and_organisations_their_own() {
        let owners_of = |holder: &str, caller: &str| {
            let (holder, caller): (Identity, Identity) =
                (holder.parse().expect("valid"), caller.parse().expect("valid"));
            owner(&holder, &caller)
                .iter()
                .map(|owner| match owner {
                    Owner::Subsystem(id) => format!("subsystem {id}"),
                    Owner::Organization(id) => format!("organization {id}"),
                    Owner::Channel(name) => format!("channel {name}"),
                })
                .collect::<Vec<_>>()
        };
        let consumer = "consumer:UZ/GOV/201122919/civil-registry";
        let provider = "provider:UZ/GOV/201122919";
        assert_eq!(owners_of(consumer, provider), ["subsystem UZ/GOV/201122919/civil-registry"]);
        assert_eq!(owners_of(provider, provider), ["organization UZ/GOV/201122919"]);
        assert!(owners_of(provider, consumer).is_empty(), "a subsystem does not reach its agency's certificate");
        assert!(owners_of("agency-head:UZ/GOV/201122919/b.tursunov", provider).is_empty());
        assert!(owners_of("payment-channel:agrobank", "payment-channel:agrobank").is_empty());
    }

    #[test]
    fn principals_that_must_be_registered_here() {
        let check = |text: &str| {
            let identity: Identity = text.parse().expect("valid");
            match known_principal(&identity) {
                KnownPrincipal::Subsystem(id) => format!("subsystem {id}"),
                KnownPrincipal::Organization(id) => format!("organization {id}"),
                KnownPrincipal::Unchecked => "nothing".to_owned(),
            }
        };
        assert_eq!(check("consumer:UZ/GOV/200935935/tax-inspection"), "subsystem UZ/GOV/200935935/tax-inspection");
        assert_eq!(check("provider:UZ/GOV/201122919"), "organization UZ/GOV/201122919");
        assert_eq!(check("registry-editor:UZ/GOV/200935935/n.aliyeva"), "organization UZ/GOV/200935935");
        assert_eq!(check("agency-head:UZ/GOV/200935935/b.tursunov"), "organization UZ/GOV/200935935");
        for unchecked in
            ["supplier:UZ/GOV/201122920", "operator:a.karimov", "auditor:s.rahimova", "payment-channel:uzcard"]
        {
            assert_eq!(check(unchecked), "nothing", "{unchecked}");
        }
    }
}
