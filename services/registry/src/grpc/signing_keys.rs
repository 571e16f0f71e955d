//! `koprik.registry.v1.SigningKeys` over gRPC.

use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::signing_keys_server::SigningKeys;
use koprik_proto::registry::{
    ListSigningKeysRequest, ListSigningKeysResponse, RegisterSigningKeyRequest, RevokeSigningKeyRequest, SigningKey,
};
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::{optional, Reply};
use crate::error::RegistryError;
use crate::repository::Repository;

/// The gRPC face of signing keys.
pub struct SigningKeysApi {
    repository: Repository,
}

impl SigningKeysApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl SigningKeys for SigningKeysApi {
    async fn register_signing_key(&self, request: Request<RegisterSigningKeyRequest>) -> Reply<SigningKey> {
        let request = request.get_ref();
        let key = request.key.as_ref().ok_or_else(|| RegistryError::from(FieldError::missing("key")))?;
        Ok(Response::new(self.repository.register_signing_key(key, &request.actor).await?))
    }

    async fn revoke_signing_key(&self, request: Request<RevokeSigningKeyRequest>) -> Reply<SigningKey> {
        let request = request.get_ref();
        Ok(Response::new(self.repository.revoke_signing_key(&request.key_id, &request.reason, &request.actor).await?))
    }

    async fn list_signing_keys(&self, request: Request<ListSigningKeysRequest>) -> Reply<ListSigningKeysResponse> {
        let subsystem: Option<SubsystemId> =
            optional(request.get_ref().subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        Ok(Response::new(ListSigningKeysResponse {
            keys: self.repository.list_signing_keys(subsystem.as_ref()).await?,
        }))
    }
}
