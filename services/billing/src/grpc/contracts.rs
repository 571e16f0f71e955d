//! `koprik.billing.v1.Contracts` over gRPC.

use koprik_proto::billing::contracts_server::Contracts;
use koprik_proto::billing::{
    Contract, CreateContractRequest, GetContractRequest, ListContractsRequest, ListContractsResponse,
};
use koprik_proto::tonic::{self, Request, Response};

use super::{optional_member, Reply};
use crate::error::BillingError;
use crate::repository::Repository;

/// The gRPC face of contracts.
pub struct ContractsApi {
    repository: Repository,
}

impl ContractsApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl Contracts for ContractsApi {
    async fn create_contract(&self, request: Request<CreateContractRequest>) -> Reply<Contract> {
        Ok(Response::new(self.repository.create_contract(request.get_ref()).await?))
    }

    async fn get_contract(&self, request: Request<GetContractRequest>) -> Reply<Contract> {
        Ok(Response::new(self.repository.get_contract(&request.get_ref().reference).await?))
    }

    async fn list_contracts(&self, request: Request<ListContractsRequest>) -> Reply<ListContractsResponse> {
        let account = optional_member(request.get_ref().account.as_ref(), "account").map_err(BillingError::from)?;
        Ok(Response::new(ListContractsResponse { contracts: self.repository.list_contracts(account.as_ref()).await? }))
    }
}
