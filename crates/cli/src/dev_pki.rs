//! The development PKI of `koprik up` and of the end-to-end sandbox, laid out under one directory:
//!
//! ```text
//! <dir>/ca.pem, ca.key                      the development platform CA
//! <dir>/servers/<name>.pem, <name>.key      server certificates (localhost, 127.0.0.1)
//! <dir>/clients/<subsystem>.pem, .key       client certificates, '/' in the subsystem id written as '_'
//! ```
//!
//! A production CA is made once with `koprik cert init-ca` and kept offline; this one is for a developer's machine.

use std::path::{Path, PathBuf};

use koprik_pki::{CertificateAuthority, PkiError};
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::certificates_client::CertificatesClient;
use koprik_proto::registry::{ClientCertificate, RegisterCertificateRequest};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Status};
use koprik_runtime::tls::{ClientTlsSettings, ServerTlsConfig};

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

/// The file stem of a subsystem's client certificate.
pub fn client_stem(subsystem: &SubsystemId) -> String {
    subsystem.to_string().replace('/', "_")
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

    /// The client certificate of `subsystem`, issued and written on first use (`clients/<subsystem>.pem|key`).
    pub fn client(&self, subsystem: &SubsystemId) -> Result<CertFiles, PkiError> {
        let stem = client_stem(subsystem);
        let dir = self.dir.join("clients");
        let files = CertFiles { cert: dir.join(format!("{stem}.pem")), key: dir.join(format!("{stem}.key")) };
        if files.cert.exists() && files.key.exists() {
            return Ok(files);
        }
        let (cert, key) = self.ca.issue_client(subsystem, koprik_pki::issue::CLIENT_VALIDITY)?.write(&dir, &stem)?;
        Ok(CertFiles { cert, key })
    }

    /// TLS for a server with `files`; with `mtls`, clients present certificates from this CA (a client without
    /// one completes the handshake and is refused by the service itself).
    pub fn server_tls(&self, files: &CertFiles, mtls: bool) -> ServerTlsConfig {
        ServerTlsConfig {
            enabled: true,
            cert: Some(files.cert.clone()),
            key: Some(files.key.clone()),
            client_ca: mtls.then(|| self.ca_cert()),
            client_auth_optional: mtls,
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

/// Registers a client certificate with the registry; one registered before counts as registered.
pub async fn register(registry: Channel, pem: &str, actor: &str) -> Result<Option<ClientCertificate>, Status> {
    let request = RegisterCertificateRequest { pem: pem.to_owned(), actor: actor.to_owned() };
    match CertificatesClient::new(registry).register_certificate(request).await {
        Ok(registered) => Ok(Some(registered.into_inner())),
        Err(status) if status.code() == Code::AlreadyExists => Ok(None),
        Err(status) => Err(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_stable_and_certificates_are_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = DevPki::open(dir.path()).expect("created");
        let subsystem: SubsystemId = "UZ/GOV/200935935/tax-inspection".parse().expect("valid");
        let first = pki.client(&subsystem).expect("issued");
        assert!(first.cert.ends_with("clients/UZ_GOV_200935935_tax-inspection.pem"));
        let again = DevPki::open(dir.path()).expect("loaded");
        assert_eq!(again.client(&subsystem).expect("reused").serial().ok(), first.serial().ok());
        assert_eq!(again.ca().cert_pem(), pki.ca().cert_pem());
    }
}
