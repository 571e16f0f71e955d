//! `koprik.billing.v1.Payments` over gRPC. A payment channel records payments only under its own channel name (the
//! name its certificate carries), checked before anything is written; the operator refunds credit; a consumer reads
//! only its own organisation's account and payments.

use chrono::Utc;
use koprik_authz::{Access, Owner};
use koprik_proto::billing::payments_server::Payments;
use koprik_proto::billing::{
    Account, GetAccountRequest, ListPaymentsRequest, ListPaymentsResponse, Payment, RecordPaymentRequest,
    RefundCreditRequest,
};
use koprik_proto::ids::MemberId;
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::{optional_member, Reply};
use crate::error::BillingError;
use crate::repository::Repository;

/// What a consumer's refusals name: `... may reach only its own organisation's account`.
const ACCOUNT: &str = "organisation's account";

/// The gRPC face of payments.
pub struct PaymentsApi {
    repository: Repository,
}

impl PaymentsApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

/// The account a read is about: the one named, which a consumer must own; a consumer naming none reads its own.
fn account(access: &Access, named: Option<&koprik_proto::common::MemberId>) -> Result<MemberId, tonic::Status> {
    let named = optional_member(named, "account").map_err(BillingError::from)?;
    let account = access.restrict_organization(named, ACCOUNT)?;
    Ok(account.ok_or_else(|| BillingError::from(FieldError::missing("account")))?)
}

#[tonic::async_trait]
impl Payments for PaymentsApi {
    async fn record_payment(&self, request: Request<RecordPaymentRequest>) -> Reply<Payment> {
        let access = Access::of(&request)?;
        access.require(Owner::Channel(&request.get_ref().channel), "channel name (channel)")?;
        Ok(Response::new(self.repository.record_payment(request.get_ref(), &access.actor(), Utc::now()).await?))
    }

    async fn refund_credit(&self, request: Request<RefundCreditRequest>) -> Reply<Payment> {
        let access = Access::of(&request)?;
        Ok(Response::new(self.repository.refund_credit(request.get_ref(), &access.actor(), Utc::now()).await?))
    }

    async fn list_payments(&self, request: Request<ListPaymentsRequest>) -> Reply<ListPaymentsResponse> {
        let access = Access::of(&request)?;
        let account = account(&access, request.get_ref().account.as_ref())?;
        Ok(Response::new(ListPaymentsResponse { payments: self.repository.list_payments(&account).await? }))
    }

    async fn get_account(&self, request: Request<GetAccountRequest>) -> Reply<Account> {
        let access = Access::of(&request)?;
        let account = account(&access, request.get_ref().account.as_ref())?;
        Ok(Response::new(self.repository.get_account(&account).await?))
    }
}
