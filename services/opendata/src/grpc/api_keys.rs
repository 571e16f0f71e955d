//! `koprik.opendata.v1.ApiKeys` over gRPC: keys for commercial API use under contract (OD §8, §21). The operator
//! issues keys for any holder; a consumer only for its own subsystem; for everyone, only under a contract billing
//! recorded whose account is the holder's organisation and that is in force ([`crate::commercial_access`]). A
//! consumer revokes and lists only its own organisation's keys, and is refused alike for another's key and for an id
//! that names none.

use chrono::Utc;
use koprik_authz::{Access, Owner};
use koprik_proto::ids::{MemberId, SubsystemId};
use koprik_proto::opendata::api_keys_server::ApiKeys;
use koprik_proto::opendata::{
    ApiKey, IssueApiKeyRequest, IssuedApiKey, ListApiKeysRequest, ListApiKeysResponse, RevokeApiKeyRequest,
};
use koprik_proto::tonic::{self, Request, Response};

use super::{found_or_refused, Reply};
use crate::error::OpendataError;
use crate::repository::{ApiKeyRecord, Repository};
use crate::wire;

/// What a consumer's refusals name: `... may reach only its own organisation's API keys`.
const KEYS: &str = "organisation's API keys";

/// The gRPC face of API keys.
pub struct ApiKeysApi {
    repository: Repository,
}

impl ApiKeysApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

/// The organisation a stored key is billed to: its holder subsystem's member.
fn organisation(key: &ApiKeyRecord) -> Result<MemberId, OpendataError> {
    key.consumer
        .parse::<SubsystemId>()
        .map(|holder| holder.member().clone())
        .map_err(|e| OpendataError::Corrupt(format!("API key {} consumer: {e}", key.id)))
}

#[tonic::async_trait]
impl ApiKeys for ApiKeysApi {
    async fn issue_api_key(&self, request: Request<IssueApiKeyRequest>) -> Reply<IssuedApiKey> {
        let access = Access::of(&request)?;
        let request = request.into_inner();
        let reference = request.contract_reference.trim();
        if reference.is_empty() || reference.len() > 100 {
            return Err(OpendataError::invalid(
                "contract_reference",
                "is required: the billing contract the use is billed under (OD §8, §21)",
            )
            .into());
        }
        let consumer = request.consumer.ok_or_else(|| OpendataError::invalid("consumer", "is required"))?;
        let consumer =
            SubsystemId::try_from(&consumer).map_err(|e| OpendataError::invalid("consumer", e.to_string()))?;
        access.require(Owner::Subsystem(&consumer), "subsystem's API keys (consumer)")?;
        let issued = self
            .repository
            .issue_api_key(reference, &consumer, request.label.trim(), &access.actor(), Utc::now())
            .await?;
        Ok(Response::new(IssuedApiKey { key: Some(wire::api_key(&issued.key)?), secret: issued.secret }))
    }

    async fn revoke_api_key(&self, request: Request<RevokeApiKeyRequest>) -> Reply<ApiKey> {
        let access = Access::of(&request)?;
        let key = found_or_refused(&access, self.repository.api_key(&request.get_ref().id).await, KEYS)?;
        access.require(Owner::Organization(&organisation(&key)?), KEYS)?;
        let record = self.repository.revoke_api_key(&key.id, &access.actor(), Utc::now()).await?;
        Ok(Response::new(wire::api_key(&record)?))
    }

    async fn list_api_keys(&self, request: Request<ListApiKeysRequest>) -> Reply<ListApiKeysResponse> {
        let access = Access::of(&request)?;
        let keys: Vec<(ApiKeyRecord, Option<MemberId>)> = self
            .repository
            .api_keys()
            .await?
            .into_iter()
            .map(|key| {
                let member = organisation(&key).ok();
                (key, member)
            })
            .collect();
        let keys = access
            .keep(keys, |(_, member)| member.as_ref().map(Owner::Organization))
            .iter()
            .map(|(key, _)| wire::api_key(key))
            .collect::<Result<_, _>>()?;
        Ok(Response::new(ListApiKeysResponse { keys }))
    }
}
