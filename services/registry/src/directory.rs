//! The registry's own certificate directory for its authorization guard: every other service learns certificates
//! from `registry.events`, but the registry is their source, so it reads its own table on every call. A revocation
//! through `RevokeCertificate` is refused on the caller's very next call, and there is nothing to go stale; when
//! the database cannot be read the call is refused (UNAVAILABLE), never let through.

use koprik_authz::{Directory, DirectoryError, RegisteredCertificate};

use crate::repository::Repository;

/// Looks presented certificates up in the registry's `client_certificates` table.
pub struct RegistryDirectory {
    repository: Repository,
}

impl RegistryDirectory {
    /// A directory reading `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[koprik_proto::tonic::async_trait]
impl Directory for RegistryDirectory {
    async fn certificate(&self, serial: &str) -> Result<Option<RegisteredCertificate>, DirectoryError> {
        let unreadable = |error: String| {
            tracing::error!(serial, %error, "certificate lookup failed; refusing the call");
            DirectoryError::Unreadable("the registry's certificate table cannot be read".into())
        };
        let record = self.repository.find_certificate(serial).await.map_err(|e| unreadable(e.to_string()))?;
        record.map(|record| RegisteredCertificate::try_from(&record).map_err(|e| unreadable(e.to_string()))).transpose()
    }
}
