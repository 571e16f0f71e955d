//! Billing's business figures as Prometheus gauges, refreshed from the ledger by the invoicing loop: invoices and
//! their amounts by status, money paid, and revenue distributed per recipient (R516 §5).

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use koprik_runtime::metrics::Metrics;

use crate::repository::{LedgerFigures, Repository};

/// One label.
type Label = [(&'static str, String); 1];

/// The gauges.
#[derive(Clone, Default)]
pub struct BillingFigures {
    /// Invoices unpaid past their due date (the `InvoicesOverdue` alert).
    pub overdue: Gauge,
    invoices: Family<Label, Gauge>,
    invoiced_tiyin: Family<Label, Gauge>,
    paid_tiyin: Gauge,
    distributed_tiyin: Family<Label, Gauge>,
}

impl BillingFigures {
    /// The gauges, registered in `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let this = Self::default();
        metrics.register(|r| {
            r.register("invoices_overdue", "Invoices unpaid past their due date", this.overdue.clone());
            r.register("invoices", "Invoices by status", this.invoices.clone());
            r.register("invoiced_tiyin", "Invoiced amounts by invoice status, in tiyin", this.invoiced_tiyin.clone());
            r.register("paid_tiyin", "Money paid against invoices, in tiyin", this.paid_tiyin.clone());
            r.register(
                "revenue_distributed_tiyin",
                "Revenue distributed to each recipient, in tiyin",
                this.distributed_tiyin.clone(),
            );
        });
        this
    }

    /// Reads the figures from the ledger; a failure is logged and leaves the last values.
    pub async fn refresh(&self, repository: &Repository) {
        match repository.overdue_invoice_count().await {
            Ok(count) => {
                self.overdue.set(i64::try_from(count).unwrap_or(i64::MAX));
            }
            Err(e) => tracing::warn!(error = %e, "counting overdue invoices failed"),
        }
        match repository.ledger_figures().await {
            Ok(figures) => self.set(&figures),
            Err(e) => tracing::warn!(error = %e, "reading the ledger's figures failed"),
        }
    }

    fn set(&self, figures: &LedgerFigures) {
        for (status, (count, total)) in &figures.invoices {
            self.invoices.get_or_create(&[("status", status.clone())]).set(*count);
            self.invoiced_tiyin.get_or_create(&[("status", status.clone())]).set(*total);
        }
        self.paid_tiyin.set(figures.paid_tiyin);
        for (recipient, amount) in &figures.distributed {
            self.distributed_tiyin.get_or_create(&[("recipient", recipient.clone())]).set(*amount);
        }
    }
}
