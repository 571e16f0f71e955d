//! Client certificates (koprik/registry/v1/credentials.proto): what may be registered and how one is revoked.
//! A certificate is the caller's identity at the gateway, so the registry records only a readable certificate
//! naming exactly one subsystem; whether it chains to the platform CA is the TLS handshake's check.

use chrono::{DateTime, Utc};
use koprik_pki::ParsedCertificate;
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::CredentialStatus;
use koprik_proto::FieldError;

/// The longest revocation reason accepted, in characters.
pub const MAX_REASON: usize = 500;

/// A certificate to register, read from its PEM.
#[derive(Debug, Clone)]
pub struct Registration {
    /// What the certificate says.
    pub certificate: ParsedCertificate,
    /// The one subsystem it names.
    pub subsystem: SubsystemId,
    /// The PEM as given (trimmed).
    pub pem: String,
}

impl Registration {
    /// Reads `pem`: it must be one X.509 certificate naming exactly one subsystem, not expired at `now`.
    pub fn read(pem: &str, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let pem = pem.trim();
        if pem.is_empty() {
            return Err(FieldError::new("pem", "is required: the certificate, PEM"));
        }
        let certificate = koprik_pki::parse_pem(pem).map_err(|e| FieldError::new("pem", e.to_string()))?;
        let subsystem = certificate.subsystem().map_err(|e| FieldError::new("pem", e.to_string()))?;
        if certificate.not_after < now {
            return Err(FieldError::new(
                "pem",
                format!("certificate {} expired at {}; issue a new one", certificate.serial, certificate.not_after),
            ));
        }
        Ok(Self { certificate, subsystem, pem: pem.to_owned() })
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
    fn registration_needs_a_certificate_naming_one_subsystem() {
        let now = Utc::now();
        assert_eq!(Registration::read("  ", now).expect_err("blank").field, "pem");
        let ca = koprik_pki::CertificateAuthority::generate("test").expect("CA");
        let server = ca.issue_server(&["localhost".into()]).expect("issued");
        let err = Registration::read(&server.cert_pem, now).expect_err("no subsystem");
        assert!(err.to_string().contains("names no subsystem"), "{err}");
        let id: SubsystemId = "UZ/GOV/200935935/tax-inspection".parse().expect("valid");
        let client = ca.issue_client(&id, std::time::Duration::from_secs(3600)).expect("issued");
        assert_eq!(Registration::read(&client.cert_pem, now).expect("valid").subsystem, id);
        let later = now + chrono::Duration::hours(2);
        assert!(Registration::read(&client.cert_pem, later).expect_err("expired").to_string().contains("expired"));
    }
}
