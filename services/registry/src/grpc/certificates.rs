//! `koprik.registry.v1.Certificates` over gRPC.

use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::certificates_server::Certificates;
use koprik_proto::registry::{
    ClientCertificate, ListCertificatesRequest, ListCertificatesResponse, RegisterCertificateRequest,
    RevokeCertificateRequest,
};
use koprik_proto::tonic::{self, Request, Response};

use super::{optional, Reply};
use crate::domain::actor::actor;
use crate::domain::client_certificate::{revocation_reason, serial, Registration};
use crate::error::RegistryError;
use crate::repository::Repository;

/// The gRPC face of client certificates.
pub struct CertificatesApi {
    repository: Repository,
}

impl CertificatesApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl Certificates for CertificatesApi {
    async fn register_certificate(&self, request: Request<RegisterCertificateRequest>) -> Reply<ClientCertificate> {
        let request = request.get_ref();
        let registration = Registration::read(&request.pem, chrono::Utc::now()).map_err(RegistryError::from)?;
        let actor = actor(&request.actor).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.register_certificate(registration, actor).await?))
    }

    async fn revoke_certificate(&self, request: Request<RevokeCertificateRequest>) -> Reply<ClientCertificate> {
        let request = request.get_ref();
        let serial = serial(&request.serial).map_err(RegistryError::from)?;
        let reason = revocation_reason(&request.reason).map_err(RegistryError::from)?;
        let actor = actor(&request.actor).map_err(RegistryError::from)?;
        Ok(Response::new(self.repository.revoke_certificate(&serial, reason, actor).await?))
    }

    async fn list_certificates(&self, request: Request<ListCertificatesRequest>) -> Reply<ListCertificatesResponse> {
        let subsystem: Option<SubsystemId> =
            optional(request.get_ref().subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        let certificates = self.repository.list_certificates(subsystem.as_ref()).await?;
        Ok(Response::new(ListCertificatesResponse { certificates }))
    }
}
