//! `koprik.billing.v1.BaseAmounts` over gRPC. Setting the amount is the operator's (the policy lets no one else
//! call it); the schedule is public.

use koprik_authz::Access;
use koprik_proto::billing::base_amounts_server::BaseAmounts;
use koprik_proto::billing::{BaseAmount, ListBaseAmountsRequest, ListBaseAmountsResponse, SetBaseAmountRequest};
use koprik_proto::tonic::{self, Request, Response};

use super::Reply;
use crate::repository::Repository;

/// The gRPC face of the BCA schedule.
pub struct BaseAmountsApi {
    repository: Repository,
}

impl BaseAmountsApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl BaseAmounts for BaseAmountsApi {
    async fn set_base_amount(&self, request: Request<SetBaseAmountRequest>) -> Reply<BaseAmount> {
        let access = Access::of(&request)?;
        Ok(Response::new(self.repository.set_base_amount(request.get_ref(), &access.actor()).await?))
    }

    async fn list_base_amounts(&self, _request: Request<ListBaseAmountsRequest>) -> Reply<ListBaseAmountsResponse> {
        Ok(Response::new(ListBaseAmountsResponse { amounts: self.repository.list_base_amounts().await? }))
    }
}
