//! `koprik.registry.v1.Certificates` over gRPC. The operator registers certificates of every role; a consumer
//! or provider revokes and reads only its own ([`client_certificate::owner`]); the actor of each change is the
//! caller's certificate.

use std::sync::Arc;

use koprik_authz::{Access, Owner};
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::certificates_server::Certificates;
use koprik_proto::registry::{
    ClientCertificate, ListCertificatesRequest, ListCertificatesResponse, RegisterCertificateRequest,
    RevokeCertificateRequest,
};
use koprik_proto::tonic::{self, Request, Response};

use super::{optional, Reply};
use crate::domain::client_certificate::{self, revocation_reason, serial, PlatformCa, Registration};
use crate::error::RegistryError;
use crate::repository::{CertificateFilter, Repository};

/// The gRPC face of client certificates.
pub struct CertificatesApi {
    repository: Repository,
    /// The CA every registered certificate must be issued by.
    ca: Arc<PlatformCa>,
}

impl CertificatesApi {
    /// Serves `repository`, registering only certificates issued by `ca`.
    pub fn new(repository: Repository, ca: Arc<PlatformCa>) -> Self {
        Self { repository, ca }
    }
}

/// The identity a stored certificate record names.
fn holder(record: &ClientCertificate) -> Result<koprik_authz::Identity, RegistryError> {
    koprik_authz::RegisteredCertificate::try_from(record).map(|registered| registered.identity).map_err(|e| {
        RegistryError::Database(sea_orm::DbErr::Custom(format!("certificate {}: stored {e}", record.serial)))
    })
}

#[tonic::async_trait]
impl Certificates for CertificatesApi {
    async fn register_certificate(&self, request: Request<RegisterCertificateRequest>) -> Reply<ClientCertificate> {
        let access = Access::of(&request)?;
        let registration =
            Registration::read(&request.get_ref().pem, chrono::Utc::now(), &self.ca).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.register_certificate(registration, &access.actor()).await?))
    }

    async fn revoke_certificate(&self, request: Request<RevokeCertificateRequest>) -> Reply<ClientCertificate> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let serial = serial(&request.serial).map_err(RegistryError::from)?;
        let stored = self
            .repository
            .find_certificate(&serial)
            .await?
            .ok_or_else(|| RegistryError::NotFound { kind: "certificate", id: serial.clone() })?;
        let holder = holder(&stored)?;
        access.require_any(client_certificate::owner(&holder, access.identity()), "certificates")?;
        let reason = revocation_reason(&request.reason).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.revoke_certificate(&serial, reason, &access.actor()).await?))
    }

    async fn list_certificates(&self, request: Request<ListCertificatesRequest>) -> Reply<ListCertificatesResponse> {
        let access = Access::of(&request)?;
        let subsystem: Option<SubsystemId> =
            optional(request.get_ref().subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        if let Some(subsystem) = &subsystem {
            access.require(Owner::Subsystem(subsystem), "certificates")?;
        }
        // Callers of reach own read within their organisation; each certificate is then kept only if theirs.
        let organization = if access.reaches_all() { None } else { access.identity().organization() };
        let filter = CertificateFilter { subsystem: subsystem.as_ref(), organization };
        let listed = self.repository.list_certificates(filter).await?;
        let mut holders = Vec::with_capacity(listed.len());
        for record in listed {
            holders.push((holder(&record)?, record));
        }
        let kept = access.keep(holders, |(holder, _)| client_certificate::owner(holder, access.identity()));
        Ok(Response::new(ListCertificatesResponse {
            certificates: kept.into_iter().map(|(_, record)| record).collect(),
        }))
    }
}
