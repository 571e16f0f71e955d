//! `koprik.billing.v1.Invoices` over gRPC. The operator issues and voids; a consumer reads and renders only the
//! invoices of its own organisation's account (checked on the stored invoice, or on the draft's contract, before
//! anything is computed or returned), and is refused alike for another's and for a number or reference that names
//! none. The operator and auditors list the usage billing holds back (never billed: [`crate::reconciliation`]).

use chrono::Utc;
use koprik_authz::Access;
use koprik_proto::billing::invoices_server::Invoices;
use koprik_proto::billing::{
    GetInvoiceRequest, HoldReason, Invoice, InvoiceStatus, IssueInvoicesRequest, IssueInvoicesResponse,
    ListHeldUsageRequest, ListHeldUsageResponse, ListInvoicesRequest, ListInvoicesResponse, RenderInvoiceRequest,
    RenderedDocument, VoidInvoiceRequest,
};
use koprik_proto::tonic::{self, Request, Response};
use koprik_proto::FieldError;

use super::{optional_member, optional_period, own_or_refused, Reply};
use crate::billing_period::Period;
use crate::config::IssuerConfig;
use crate::error::BillingError;
use crate::invoice_number;
use crate::reconciliation;
use crate::repository::{stored_status, HeldFilter, Repository};

/// What a consumer's refusals name: `... may reach only its own organisation's invoices`.
const INVOICES: &str = "organisation's invoices";

/// The gRPC face of invoices.
pub struct InvoicesApi {
    repository: Repository,
    issuer: IssuerConfig,
}

impl InvoicesApi {
    /// Serves `repository`; printed invoices name `issuer`.
    pub fn new(repository: Repository, issuer: IssuerConfig) -> Self {
        Self { repository, issuer }
    }
}

#[tonic::async_trait]
impl Invoices for InvoicesApi {
    async fn get_invoice(&self, request: Request<GetInvoiceRequest>) -> Reply<Invoice> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let found = match (request.number.as_str(), request.contract_reference.as_str()) {
            ("", "") => {
                return Err(BillingError::from(FieldError::new(
                    "number",
                    "give an invoice number, or a contract_reference for its current draft",
                ))
                .into())
            }
            ("", reference) => {
                // The draft is priced only for a caller who reaches the contract's account.
                let found = self.repository.get_contract(reference).await;
                own_or_refused(&access, found, |c| c.account.as_ref(), INVOICES)?;
                self.repository.draft(reference, Utc::now()).await
            }
            (number, _) => {
                let number = invoice_number::parse(number, "number").map_err(BillingError::from)?;
                self.repository.get_invoice(&number).await
            }
        };
        Ok(Response::new(own_or_refused(&access, found, |i| i.account.as_ref(), INVOICES)?))
    }

    async fn list_invoices(&self, request: Request<ListInvoicesRequest>) -> Reply<ListInvoicesResponse> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let account = optional_member(request.account.as_ref(), "account").map_err(BillingError::from)?;
        let account = access.restrict_organization(account, INVOICES)?;
        let period = optional_period(&request.period, "period").map_err(BillingError::from)?;
        let status = match InvoiceStatus::try_from(request.status) {
            Ok(InvoiceStatus::Unspecified) => None,
            Ok(InvoiceStatus::Draft) | Err(_) => return Err(BillingError::from(FieldError::new(
                "status",
                "must be ISSUED, PAID, OVERDUE or VOID (drafts are not stored: GetInvoice with a contract_reference)",
            ))
            .into()),
            Ok(status) => stored_status(status),
        };
        let invoices = self.repository.list_invoices(account.as_ref(), period, status).await?;
        Ok(Response::new(ListInvoicesResponse { invoices }))
    }

    async fn issue_invoices(&self, request: Request<IssueInvoicesRequest>) -> Reply<IssueInvoicesResponse> {
        let period = Period::parse(&request.get_ref().period, "period").map_err(BillingError::from)?;
        Ok(Response::new(IssueInvoicesResponse { invoices: self.repository.issue_period(period, Utc::now()).await? }))
    }

    async fn void_invoice(&self, request: Request<VoidInvoiceRequest>) -> Reply<Invoice> {
        let access = Access::of(&request)?;
        let request = request.get_ref();
        let number = invoice_number::parse(&request.number, "number").map_err(BillingError::from)?;
        Ok(Response::new(self.repository.void_invoice(&number, &request.reason, &access.actor(), Utc::now()).await?))
    }

    async fn render_invoice(&self, request: Request<RenderInvoiceRequest>) -> Reply<RenderedDocument> {
        let access = Access::of(&request)?;
        let number = invoice_number::parse(&request.get_ref().number, "number").map_err(BillingError::from)?;
        let found = self.repository.get_invoice(&number).await;
        let invoice = own_or_refused(&access, found, |i| i.account.as_ref(), INVOICES)?;
        Ok(Response::new(RenderedDocument {
            content_type: "text/html; charset=utf-8".into(),
            file_name: format!("invoice-{number}.html"),
            content: crate::rendering::invoice_html(&invoice, &self.issuer).into_bytes(),
        }))
    }

    async fn list_held_usage(&self, request: Request<ListHeldUsageRequest>) -> Reply<ListHeldUsageResponse> {
        // Operators and auditors only (the policy), who reach every account.
        let request = request.get_ref();
        let account = optional_member(request.account.as_ref(), "account").map_err(BillingError::from)?;
        let code = match HoldReason::try_from(request.reason) {
            Ok(HoldReason::Unspecified) => None,
            Ok(HoldReason::NoDeliveredAudit) => Some(reconciliation::NO_DELIVERED_AUDIT),
            Ok(HoldReason::AccountMismatch) => Some(reconciliation::ACCOUNT_MISMATCH),
            Ok(HoldReason::AuditMismatch) => Some(reconciliation::AUDIT_MISMATCH),
            Err(_) => return Err(BillingError::from(FieldError::new("reason", "must be a HoldReason")).into()),
        };
        let filter = HeldFilter { account, code, include_pending: request.include_pending };
        Ok(Response::new(ListHeldUsageResponse { usage: self.repository.list_held_usage(&filter).await? }))
    }
}
