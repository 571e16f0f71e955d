//! Reading a certificate back: what the registry records of it and what the gateway checks on every call.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::identity::{Identity, URI_PREFIX};
use crate::PkiError;

/// The facts of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCertificate {
    /// The serial number, lower-case hex without leading zeros (as `openssl x509 -serial` prints it, lower-cased).
    pub serial: String,
    /// Every identity its URI subject alternative names name (a valid client certificate names exactly one).
    pub identities: Vec<Identity>,
    /// Hex SHA-256 of the DER encoding.
    pub sha256_fingerprint: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
}

impl ParsedCertificate {
    /// The one identity the certificate names, or why it does not name exactly one.
    pub fn identity(&self) -> Result<Identity, PkiError> {
        match self.identities.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(PkiError::Invalid(format!(
                "certificate {} names no identity (a URI subject alternative name {URI_PREFIX}<role>:<principal>)",
                self.serial,
            ))),
            many => Err(PkiError::Invalid(format!(
                "certificate {} names {} identities; a client certificate names exactly one",
                self.serial,
                many.len()
            ))),
        }
    }

    /// Whether the certificate is valid at `at`.
    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

/// Lower-case hex of a big-endian unsigned integer, without leading zeros ("0" for zero).
pub fn serial_hex(bytes: &[u8]) -> String {
    let hex = hex::encode(bytes);
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The DER of the first certificate of a PEM text.
pub fn der_of_pem(pem: &str) -> Result<Vec<u8>, PkiError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| PkiError::Invalid(format!("not a PEM certificate: {e}")))?;
    if block.label != "CERTIFICATE" {
        return Err(PkiError::Invalid(format!("a PEM CERTIFICATE is expected, not {}", block.label)));
    }
    Ok(block.contents)
}

/// Parses the first certificate of a PEM text.
pub fn parse_pem(pem: &str) -> Result<ParsedCertificate, PkiError> {
    parse_der(&der_of_pem(pem)?)
}

/// Parses a DER certificate.
pub fn parse_der(der: &[u8]) -> Result<ParsedCertificate, PkiError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| PkiError::Invalid(format!("not an X.509 certificate: {e}")))?;
    let mut identities = Vec::new();
    if let Some(names) =
        cert.subject_alternative_name().map_err(|e| PkiError::Invalid(format!("subject alternative names: {e}")))?
    {
        for name in &names.value.general_names {
            if let GeneralName::URI(uri) = name {
                if let Some(identity) = Identity::of_uri(uri)? {
                    identities.push(identity);
                }
            }
        }
    }
    let time = |t: x509_parser::time::ASN1Time, field: &str| {
        DateTime::from_timestamp(t.timestamp(), 0).ok_or_else(|| PkiError::Invalid(format!("{field} is out of range")))
    };
    Ok(ParsedCertificate {
        serial: serial_hex(cert.raw_serial()),
        identities,
        sha256_fingerprint: hex::encode(Sha256::digest(der)),
        not_before: time(cert.validity().not_before, "not_before")?,
        not_after: time(cert.validity().not_after, "not_after")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_drop_leading_zeros() {
        assert_eq!(serial_hex(&[0x00, 0x0a, 0xbc]), "abc");
        assert_eq!(serial_hex(&[0x7f, 0x01]), "7f01");
        assert_eq!(serial_hex(&[0x00]), "0");
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(parse_pem("hello").expect_err("not PEM").to_string().contains("not a PEM certificate"));
        let key = rcgen::KeyPair::generate().expect("key").serialize_pem();
        assert!(parse_pem(&key).expect_err("a key").to_string().contains("CERTIFICATE"));
    }

    #[test]
    fn fingerprints_are_sha256_of_the_der() {
        let ca = crate::CertificateAuthority::generate("test").expect("CA");
        let issued = ca.issue_server(&["localhost".into()]).expect("issued");
        let (_, block) = x509_parser::pem::parse_x509_pem(issued.cert_pem.as_bytes()).expect("PEM");
        let parsed = parse_der(&block.contents).expect("parses");
        assert_eq!(parsed.sha256_fingerprint, hex::encode(Sha256::digest(&block.contents)));
        assert!(parsed.is_valid_at(Utc::now()));
        assert!(!parsed.is_valid_at(parsed.not_after + chrono::Duration::seconds(1)));
    }
}
