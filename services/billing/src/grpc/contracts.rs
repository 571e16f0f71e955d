//! `koprik.billing.v1.Contracts` over gRPC. The operator records contracts; a consumer reads only the contracts
//! whose account is its own organisation, and is refused alike for another's and for a reference that names none.

use koprik_authz::Access;
use koprik_proto::billing::contracts_server::Contracts;
use koprik_proto::billing::{
    Contract, CreateContractRequest, GetContractRequest, ListContractsRequest, ListContractsResponse,
};
use koprik_proto::tonic::{self, Request, Response};

use super::{optional_member, own_or_refused, Reply};
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
        let access = Access::of(&request)?;
        Ok(Response::new(self.repository.create_contract(request.get_ref(), &access.actor()).await?))
    }

    async fn get_contract(&self, request: Request<GetContractRequest>) -> Reply<Contract> {
        let access = Access::of(&request)?;
        let found = self.repository.get_contract(&request.get_ref().reference).await;
        let contract = own_or_refused(&access, found, |c| c.account.as_ref(), "organisation's contracts")?;
        Ok(Response::new(contract))
    }

    async fn list_contracts(&self, request: Request<ListContractsRequest>) -> Reply<ListContractsResponse> {
        let access = Access::of(&request)?;
        let account = optional_member(request.get_ref().account.as_ref(), "account").map_err(BillingError::from)?;
        let account = access.restrict_organization(account, "organisation's contracts (account)")?;
        Ok(Response::new(ListContractsResponse { contracts: self.repository.list_contracts(account.as_ref()).await? }))
    }
}
