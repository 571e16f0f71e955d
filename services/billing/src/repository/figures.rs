//! The ledger's running totals for operators: invoices by status and the revenue distributed to each recipient,
//! read from the database so that they are the books' figures, not a replica's counters since its last restart.

use std::collections::BTreeMap;

use koprik_proto::billing::Recipient;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::Repository;
use crate::error::BillingError;
use crate::ledger::{recipient_of, PAYABLE_PREFIX};
use crate::store::{invoice, ledger_entry};

/// Every invoice status, so that a status with no invoices reads as zero rather than as no data.
pub const INVOICE_STATUSES: [&str; 4] =
    [super::STATUS_ISSUED, super::STATUS_PAID, super::STATUS_OVERDUE, super::STATUS_VOID];

/// The figures at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFigures {
    /// Per invoice status: how many invoices, and their total in tiyin.
    pub invoices: BTreeMap<String, (i64, i64)>,
    /// Tiyin paid against invoices, over all time.
    pub paid_tiyin: i64,
    /// Per recipient (`provider`, `egov_center`, …): tiyin distributed to it, over all time.
    pub distributed: BTreeMap<String, i64>,
}

impl Repository {
    /// The current figures.
    pub async fn ledger_figures(&self) -> Result<LedgerFigures, BillingError> {
        let mut figures = LedgerFigures::default();
        for status in INVOICE_STATUSES {
            figures.invoices.insert(status.to_owned(), (0, 0));
        }
        for recipient in [
            Recipient::Provider,
            Recipient::EgovCenter,
            Recipient::CybersecurityCenter,
            Recipient::DigitalTechnologiesCenter,
            Recipient::StateBudget,
        ] {
            figures.distributed.insert(recipient_name(recipient), 0);
        }
        let by_status: Vec<(String, i64, Option<i64>, Option<i64>)> = invoice::Entity::find()
            .select_only()
            .column(invoice::Column::Status)
            .column_as(invoice::Column::Number.count(), "count")
            .column_as(invoice::Column::TotalTiyin.sum().cast_as(sea_orm::sea_query::Alias::new("BIGINT")), "total")
            .column_as(invoice::Column::PaidTiyin.sum().cast_as(sea_orm::sea_query::Alias::new("BIGINT")), "paid")
            .group_by(invoice::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await?;
        for (status, count, total, paid) in by_status {
            figures.invoices.insert(status, (count, total.unwrap_or(0)));
            figures.paid_tiyin += paid.unwrap_or(0);
        }
        let payables: Vec<(String, Option<i64>, Option<i64>)> = ledger_entry::Entity::find()
            .select_only()
            .column(ledger_entry::Column::LedgerAccount)
            .column_as(
                ledger_entry::Column::CreditTiyin.sum().cast_as(sea_orm::sea_query::Alias::new("BIGINT")),
                "credit",
            )
            .column_as(
                ledger_entry::Column::DebitTiyin.sum().cast_as(sea_orm::sea_query::Alias::new("BIGINT")),
                "debit",
            )
            .filter(ledger_entry::Column::LedgerAccount.starts_with(PAYABLE_PREFIX))
            .group_by(ledger_entry::Column::LedgerAccount)
            .into_tuple()
            .all(&self.db)
            .await?;
        for (account, credit, debit) in payables {
            let Some((recipient, _provider)) = recipient_of(&account) else { continue };
            *figures.distributed.entry(recipient_name(recipient)).or_default() +=
                credit.unwrap_or(0) - debit.unwrap_or(0);
        }
        Ok(figures)
    }
}

/// A recipient as a metric label: `provider`, `egov_center`, …
fn recipient_name(recipient: Recipient) -> String {
    recipient.as_str_name().trim_start_matches("RECIPIENT_").to_ascii_lowercase()
}
