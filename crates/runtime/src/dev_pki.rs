//! The development PKI of `koprik up` and of the tests, laid out under one directory:
//!
//! ```text
//! <dir>/ca.pem, ca.key                         the development platform CA
//! <dir>/servers/<name>.pem, <name>.key         server certificates (localhost, 127.0.0.1)
//! <dir>/clients/<role>_<principal>.pem, .key   client certificates, '/' in the principal written as '_'
//!                                              (clients/consumer_UZ_GOV_200935935_tax-inspection.pem)
//! ```
//!
//! A production CA is made once with `koprik cert init-ca` and kept offline; this one is for a developer's machine.

use std::path::{Path, PathBuf};

use koprik_pki::identity::Identity;
use koprik_pki::{CertificateAuthority, PkiError};

use crate::tls::{ClientTlsSettings, ServerTlsConfig};

/// The names every development server certificate carries.
pub const SERVER_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A certificate and key on disk.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The certificate, PEM.
    pub cert: PathBuf,
    /// Its private key, PEM.
    pub key: PathBuf,
}

impl CertFiles {
    /// The certificate's serial.
    pub fn serial(&self) -> Result<String, PkiError> {
        Ok(koprik_pki::parse_pem(&koprik_pki::files::read(&self.cert)?)?.serial)
    }

    /// The certificate, PEM.
    pub fn pem(&self) -> Result<String, PkiError> {
        koprik_pki::files::read(&self.cert)
    }
}

/// A development CA and the certificates issued with it.
pub struct DevPki {
    dir: PathBuf,
    ca: CertificateAuthority,
}

/// The file stem of an identity's client certificate: `<role>_<principal>` with '/' written as '_'.
pub fn client_stem(identity: &Identity) -> String {
    format!("{}_{}", identity.role(), identity.principal()).replace('/', "_")
}

impl DevPki {
    /// The CA in `dir`, created on first use.
    pub fn open(dir: &Path) -> Result<Self, PkiError> {
        let ca = if dir.join(koprik_pki::ca::CA_CERT_FILE).exists() {
            CertificateAuthority::load(dir)?
        } else {
            let ca = CertificateAuthority::generate("Ko'prik development CA")?;
            ca.write(dir)?;
            ca
        };
        Ok(Self { dir: dir.to_path_buf(), ca })
    }

    /// The directory everything is written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA itself, to issue more.
    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// The CA certificate file: the trust anchor for every client and for the gateway's client check.
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join(koprik_pki::ca::CA_CERT_FILE)
    }

    /// A fresh server certificate for [`SERVER_NAMES`], written as `servers/<name>.pem|key`.
    pub fn server(&self, name: &str) -> Result<CertFiles, PkiError> {
        let names: Vec<String> = SERVER_NAMES.iter().map(|n| (*n).to_owned()).collect();
        let (cert, key) = self.ca.issue_server(&names)?.write(&self.dir.join("servers"), name)?;
        Ok(CertFiles { cert, key })
    }

    /// The client certificate of `identity`, issued and written on first use (`clients/<role>_<principal>.pem|key`).
    pub fn client(&self, identity: &Identity) -> Result<CertFiles, PkiError> {
        let stem = client_stem(identity);
        let dir = self.dir.join("clients");
        let files = CertFiles { cert: dir.join(format!("{stem}.pem")), key: dir.join(format!("{stem}.key")) };
        if files.cert.exists() && files.key.exists() {
            return Ok(files);
        }
        let (cert, key) = self.ca.issue_client(identity, koprik_pki::issue::CLIENT_VALIDITY)?.write(&dir, &stem)?;
        Ok(CertFiles { cert, key })
    }

    /// TLS for a server with `files`: clients present certificates from this CA (a client without one completes
    /// the handshake, so health checks work, and is refused by the authorization policy).
    pub fn server_tls(&self, files: &CertFiles) -> ServerTlsConfig {
        ServerTlsConfig {
            enabled: true,
            cert: Some(files.cert.clone()),
            key: Some(files.key.clone()),
            client_ca: Some(self.ca_cert()),
            client_auth_optional: true,
        }
    }

    /// TLS for a client trusting this CA, presenting `client` when given.
    pub fn client_tls(&self, client: Option<&CertFiles>) -> ClientTlsSettings {
        ClientTlsSettings {
            enabled: true,
            ca: Some(self.ca_cert()),
            cert: client.map(|c| c.cert.clone()),
            key: client.map(|c| c.key.clone()),
            domain: Some("localhost".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_stable_and_certificates_are_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = DevPki::open(dir.path()).expect("created");
        let consumer: Identity = "consumer:UZ/GOV/200935935/tax-inspection".parse().expect("valid");
        let first = pki.client(&consumer).expect("issued");
        assert!(first.cert.ends_with("clients/consumer_UZ_GOV_200935935_tax-inspection.pem"));
        let again = DevPki::open(dir.path()).expect("loaded");
        assert_eq!(again.client(&consumer).expect("reused").serial().ok(), first.serial().ok());
        assert_eq!(again.ca().cert_pem(), pki.ca().cert_pem());
    }
}
