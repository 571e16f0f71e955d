//! `koprik.billing.v1.Payments` over gRPC.

use chrono::Utc;
use koprik_proto::billing::payments_server::Payments;
use koprik_proto::billing::{
    Account, GetAccountRequest, ListPaymentsRequest, ListPaymentsResponse, Payment, RecordPaymentRequest,
    RefundCreditRequest,
};
use koprik_proto::ids::MemberId;
use koprik_proto::tonic::{self, Request, Response};

use super::Reply;
use crate::error::BillingError;
use crate::repository::Repository;

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

#[tonic::async_trait]
impl Payments for PaymentsApi {
    async fn record_payment(&self, request: Request<RecordPaymentRequest>) -> Reply<Payment> {
        Ok(Response::new(self.repository.record_payment(request.get_ref(), Utc::now()).await?))
    }

    async fn refund_credit(&self, request: Request<RefundCreditRequest>) -> Reply<Payment> {
        Ok(Response::new(self.repository.refund_credit(request.get_ref(), Utc::now()).await?))
    }

    async fn list_payments(&self, request: Request<ListPaymentsRequest>) -> Reply<ListPaymentsResponse> {
        let account: MemberId =
            koprik_proto::field::required(request.get_ref().account.as_ref(), "account").map_err(BillingError::from)?;
        Ok(Response::new(ListPaymentsResponse { payments: self.repository.list_payments(&account).await? }))
    }

    async fn get_account(&self, request: Request<GetAccountRequest>) -> Reply<Account> {
        let account: MemberId =
            koprik_proto::field::required(request.get_ref().account.as_ref(), "account").map_err(BillingError::from)?;
        Ok(Response::new(self.repository.get_account(&account).await?))
    }
}
