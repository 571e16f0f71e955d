//! `koprik.billing.v1.Revenue` over gRPC.

use koprik_proto::billing::revenue_server::Revenue;
use koprik_proto::billing::{
    DistributionReport, DistributionReportRequest, ListLedgerEntriesRequest, ListLedgerEntriesResponse,
};
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::{optional_period, Reply};
use crate::billing_period::Period;
use crate::error::BillingError;
use crate::invoice_number;
use crate::repository::Repository;

/// The gRPC face of revenue reports.
pub struct RevenueApi {
    repository: Repository,
}

impl RevenueApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl Revenue for RevenueApi {
    async fn get_distribution_report(&self, request: Request<DistributionReportRequest>) -> Reply<DistributionReport> {
        let period = Period::parse(&request.get_ref().period, "period").map_err(BillingError::from)?;
        Ok(Response::new(self.repository.distribution_report(period).await?))
    }

    async fn list_ledger_entries(
        &self,
        request: Request<ListLedgerEntriesRequest>,
    ) -> Reply<ListLedgerEntriesResponse> {
        let request = request.get_ref();
        let period = optional_period(&request.period, "period").map_err(BillingError::from)?;
        let number = match request.invoice_number.as_str() {
            "" => None,
            n => Some(invoice_number::parse(n, "invoice_number").map_err(BillingError::from)?),
        };
        if period.is_none() && number.is_none() {
            return Err(
                BillingError::from(FieldError::new("invoice_number", "give an invoice_number or a period")).into()
            );
        }
        Ok(Response::new(ListLedgerEntriesResponse {
            entries: self.repository.ledger_entries(number.as_deref(), period).await?,
        }))
    }
}
