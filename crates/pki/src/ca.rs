//! The platform CA: a key and a self-signed certificate. Every certificate the platform's TLS servers accept
//! (mTLS) or present chains to it. Stored as `ca.pem` (the certificate, given to every client and server) and
//! `ca.key` (the private key, kept by the operator; the registry never holds it).

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use crate::{files, PkiError};

/// The file name of the CA certificate in a CA directory.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The file name of the CA private key in a CA directory.
pub const CA_KEY_FILE: &str = "ca.key";

/// How long a generated CA certificate is valid.
pub const CA_VALIDITY: time::Duration = time::Duration::days(10 * 365);

/// A CA able to issue certificates.
pub struct CertificateAuthority {
    cert_pem: String,
    key_pem: String,
    pub(crate) issuer: Issuer<'static, KeyPair>,
}

impl CertificateAuthority {
    /// A new CA named `common_name`, valid from now for [`CA_VALIDITY`].
    pub fn generate(common_name: &str) -> Result<Self, PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.distinguished_name.push(DnType::OrganizationName, "Ko'prik");
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = now + CA_VALIDITY;
        params.serial_number = Some(crate::issue::random_serial());
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        let key_pem = key.serialize_pem();
        Ok(Self { cert_pem: cert.pem(), key_pem, issuer: Issuer::new(params, key) })
    }

    /// The CA from its certificate and private key, PEM.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key)?;
        Ok(Self { cert_pem: cert_pem.to_owned(), key_pem: key_pem.to_owned(), issuer })
    }

    /// The CA stored in `dir` (`ca.pem`, `ca.key`).
    pub fn load(dir: &Path) -> Result<Self, PkiError> {
        Self::from_pem(&files::read(&dir.join(CA_CERT_FILE))?, &files::read(&dir.join(CA_KEY_FILE))?)
    }

    /// Stores the CA in `dir` (`ca.pem`, and `ca.key` readable by its owner only). Returns the certificate's path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, PkiError> {
        let cert = dir.join(CA_CERT_FILE);
        files::write_public(&cert, &self.cert_pem)?;
        files::write_private(&dir.join(CA_KEY_FILE), &self.key_pem)?;
        Ok(cert)
    }

    /// The CA certificate, PEM: the trust anchor of clients and of the gateway's client-certificate check.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_ca_loads_back_and_keeps_issuing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = CertificateAuthority::generate("Ko'prik test CA").expect("CA");
        ca.write(dir.path()).expect("written");
        let loaded = CertificateAuthority::load(dir.path()).expect("loaded");
        assert_eq!(loaded.cert_pem(), ca.cert_pem());
        let server = loaded.issue_server(&["localhost".into()]).expect("issued");
        let parsed = crate::parse_pem(&server.cert_pem).expect("parses");
        assert!(!parsed.serial.is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(CA_KEY_FILE)).expect("key file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the CA key is private");
        }
    }
}
