//! `koprik.opendata.v1.ApiKeys` over gRPC: keys for commercial API use under contract (OD §8, §21).

use chrono::Utc;
use koprik_proto::ids::SubsystemId;
use koprik_proto::opendata::api_keys_server::ApiKeys;
use koprik_proto::opendata::{
    ApiKey, IssueApiKeyRequest, IssuedApiKey, ListApiKeysRequest, ListApiKeysResponse, RevokeApiKeyRequest,
};
use koprik_proto::tonic::{self, Request, Response};

use super::Reply;
use crate::error::OpendataError;
use crate::repository::Repository;
use crate::wire;

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

#[tonic::async_trait]
impl ApiKeys for ApiKeysApi {
    async fn issue_api_key(&self, request: Request<IssueApiKeyRequest>) -> Reply<IssuedApiKey> {
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
        let issued =
            self.repository.issue_api_key(reference, &consumer.to_string(), request.label.trim(), Utc::now()).await?;
        Ok(Response::new(IssuedApiKey { key: Some(wire::api_key(&issued.key)?), secret: issued.secret }))
    }

    async fn revoke_api_key(&self, request: Request<RevokeApiKeyRequest>) -> Reply<ApiKey> {
        let record = self.repository.revoke_api_key(&request.get_ref().id, Utc::now()).await?;
        Ok(Response::new(wire::api_key(&record)?))
    }

    async fn list_api_keys(&self, _: Request<ListApiKeysRequest>) -> Reply<ListApiKeysResponse> {
        let keys = self.repository.api_keys().await?.iter().map(wire::api_key).collect::<Result<_, _>>()?;
        Ok(Response::new(ListApiKeysResponse { keys }))
    }
}
