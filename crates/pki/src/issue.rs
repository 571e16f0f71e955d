//! Issuing certificates with the platform CA: server certificates for the platform's gRPC servers, and client
//! certificates that name one identity, a role and its principal (the caller's identity at every service).

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose, SanType, SerialNumber};

use crate::identity::Identity;
use crate::{files, CertificateAuthority, PkiError};

/// How long a server certificate is valid.
pub const SERVER_VALIDITY: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);
/// How long a client certificate is valid unless the issuer says otherwise.
pub const CLIENT_VALIDITY: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

/// A certificate and its private key, PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
}

impl Issued {
    /// Writes `<stem>.pem` and `<stem>.key` (owner-only) into `dir`; returns their paths.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf), PkiError> {
        let (cert, key) = (dir.join(format!("{stem}.pem")), dir.join(format!("{stem}.key")));
        files::write_public(&cert, &self.cert_pem)?;
        files::write_private(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

/// A random positive 16-byte serial number (RFC 5280 §4.1.2.2: positive, at most 20 octets). The first byte is
/// kept between 0x10 and 0x7f, so the serial is positive and its hex form always has 32 digits (a first byte
/// below 0x10 would lose a leading zero digit in the registry's form).
pub fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    SerialNumber::from_slice(&bytes)
}

/// Parameters shared by every leaf: a random serial, valid from five minutes ago (clock skew) for `validity`.
fn leaf(sans: Vec<SanType>, common_name: &str, validity: std::time::Duration) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.subject_alt_names = sans;
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.distinguished_name.push(DnType::OrganizationName, "Ko'prik");
    params.serial_number = Some(random_serial());
    let now = time::OffsetDateTime::now_utc();
    let validity = time::Duration::try_from(validity)
        .map_err(|_| PkiError::Invalid(format!("validity {validity:?} is too long")))?;
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + validity;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    Ok(params)
}

impl CertificateAuthority {
    fn sign(&self, params: &CertificateParams) -> Result<Issued, PkiError> {
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }

    /// A server certificate for `names`: each an IP address or a DNS name (subject alternative names).
    pub fn issue_server(&self, names: &[String]) -> Result<Issued, PkiError> {
        let first = names.first().ok_or_else(|| PkiError::Invalid("a server certificate needs a name".into()))?;
        let sans = CertificateParams::new(names.to_vec())?.subject_alt_names;
        let mut params = leaf(sans, first, SERVER_VALIDITY)?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(&params)
    }

    /// A client certificate naming `identity` (URI SAN `urn:koprik:<role>:<principal>`, common name
    /// `<role>:<principal>`), valid for `validity`.
    pub fn issue_client(&self, identity: &Identity, validity: std::time::Duration) -> Result<Issued, PkiError> {
        let san = SanType::URI(identity.uri().try_into()?);
        let mut params = leaf(vec![san], &identity.to_string(), validity)?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(&params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca() -> CertificateAuthority {
        CertificateAuthority::generate("Ko'prik test CA").expect("CA")
    }

    #[test]
    fn client_certificates_name_their_identity_and_get_distinct_serials() {
        let ca = ca();
        let identity: Identity = "consumer:UZ/GOV/200935935/tax-inspection".parse().expect("valid");
        let a =
            crate::parse_pem(&ca.issue_client(&identity, CLIENT_VALIDITY).expect("issued").cert_pem).expect("parses");
        let b =
            crate::parse_pem(&ca.issue_client(&identity, CLIENT_VALIDITY).expect("issued").cert_pem).expect("parses");
        assert_eq!(a.identity().expect("one identity"), identity);
        assert_ne!(a.serial, b.serial);
        assert_eq!(a.serial.len(), 32, "16 bytes with a non-zero first byte: {}", a.serial);
        let days = (a.not_after - a.not_before).num_days();
        assert!((364..=366).contains(&days), "{days} days");
    }

    #[test]
    fn server_certificates_carry_no_identity() {
        let issued = ca().issue_server(&["localhost".into(), "127.0.0.1".into()]).expect("issued");
        let parsed = crate::parse_pem(&issued.cert_pem).expect("parses");
        assert!(parsed.identities.is_empty());
        assert!(parsed.identity().is_err());
    }

    #[test]
    fn serials_are_positive_sixteen_bytes() {
        for _ in 0..64 {
            let bytes = random_serial().to_bytes();
            assert_eq!(bytes.len(), 16);
            assert!(bytes[0] != 0 && bytes[0] < 0x80);
        }
    }
}
