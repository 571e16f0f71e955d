//! `koprik.registry.v1.SigningKeys` over gRPC. The operator registers keys; a consumer or provider revokes and
//! reads only the keys of its own subsystem or organisation; the actor of each change is the caller's certificate.

use koprik_authz::{Access, Owner};
use koprik_proto::field::required;
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

/// The subsystem a stored key belongs to.
fn key_subsystem(key: &SigningKey) -> Result<SubsystemId, RegistryError> {
    required(key.subsystem.as_ref(), "subsystem")
        .map_err(|e| RegistryError::Database(sea_orm::DbErr::Custom(format!("signing key {}: stored {e}", key.key_id))))
}

#[tonic::async_trait]
impl SigningKeys for SigningKeysApi {
    async fn register_signing_key(&self, request: Request<RegisterSigningKeyRequest>) -> Reply<SigningKey> {
        let access = Access::of(&request)?;
        let key = request.get_ref().key.as_ref().ok_or_else(|| RegistryError::from(FieldError::missing("key")))?;
        Ok(Response::new(self.repository.register_signing_key(key, &access.actor()).await?))
    }

    async fn revoke_signing_key(&self, request: Request<RevokeSigningKeyRequest>) -> Reply<SigningKey> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let stored = self.repository.get_signing_key(&request.key_id).await?;
        access.require(Owner::Subsystem(&key_subsystem(&stored)?), "signing keys")?;
        Ok(Response::new(self.repository.revoke_signing_key(&stored.key_id, &request.reason, &access.actor()).await?))
    }

    async fn list_signing_keys(&self, request: Request<ListSigningKeysRequest>) -> Reply<ListSigningKeysResponse> {
        let access = Access::of(&request)?;
        let subsystem: Option<SubsystemId> =
            optional(request.get_ref().subsystem.as_ref(), "subsystem").map_err(RegistryError::from)?;
        if let Some(subsystem) = &subsystem {
            access.require(Owner::Subsystem(subsystem), "signing keys")?;
        }
        // Callers of reach own read within their organisation; each key is then kept only if theirs.
        let organization = if access.reaches_all() { None } else { access.identity().organization() };
        let listed = self.repository.list_signing_keys(subsystem.as_ref(), organization).await?;
        let mut keys = Vec::with_capacity(listed.len());
        for key in listed {
            keys.push((key_subsystem(&key)?, key));
        }
        let kept = access.keep(keys, |(subsystem, _)| Some(Owner::Subsystem(subsystem)));
        Ok(Response::new(ListSigningKeysResponse { keys: kept.into_iter().map(|(_, key)| key).collect() }))
    }
}
