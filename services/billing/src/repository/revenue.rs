//! Revenue reports from the ledger: what each recipient was allotted in a month, and the ledger's entries.

use std::collections::{BTreeMap, BTreeSet};

use koprik_proto::billing::{self as pb, Recipient};
use koprik_proto::ids::MemberId;
use koprik_proto::time::timestamp;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Repository;
use crate::billing_period::Period;
use crate::error::BillingError;
use crate::ledger::{recipient_of, PAYABLE_PREFIX, REVENUE_PENDING};
use crate::money::soum_plain;
use crate::store::ledger_entry;

/// The memo of distribution transactions.
const DISTRIBUTED: &str = "revenue distributed";

impl Repository {
    /// The revenue distributed in `period` (by the day each invoice was paid in full), per recipient, with CSV.
    pub async fn distribution_report(&self, period: Period) -> Result<pb::DistributionReport, BillingError> {
        let entries = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Period.eq(period.to_string()))
            .filter(ledger_entry::Column::Memo.eq(DISTRIBUTED))
            .order_by_asc(ledger_entry::Column::Id)
            .all(&self.db)
            .await?;
        let mut revenue = 0;
        let mut rows: BTreeMap<(i32, String), (i64, BTreeSet<String>)> = BTreeMap::new();
        for entry in entries {
            if entry.ledger_account == REVENUE_PENDING {
                revenue += entry.debit_tiyin;
                continue;
            }
            if !entry.ledger_account.starts_with(PAYABLE_PREFIX) {
                continue;
            }
            let Some((recipient, provider)) = recipient_of(&entry.ledger_account) else { continue };
            let row = rows.entry((recipient as i32, provider.unwrap_or_default())).or_default();
            row.0 += entry.credit_tiyin - entry.debit_tiyin;
            if let Some(number) = entry.invoice_number {
                row.1.insert(number);
            }
        }
        let rows: Vec<pb::DistributionRow> = rows
            .into_iter()
            .map(|((recipient, provider), (amount, invoices))| pb::DistributionRow {
                recipient,
                provider: provider.parse::<MemberId>().ok().as_ref().map(Into::into),
                amount_tiyin: amount,
                invoices: invoices.len() as u64,
            })
            .collect();
        let csv = csv(&rows).map_err(|e| BillingError::FailedPrecondition(format!("cannot write the CSV: {e}")))?;
        Ok(pb::DistributionReport { period: period.to_string(), rows, revenue_tiyin: revenue, csv })
    }

    /// The ledger entries of an invoice, or of a month.
    pub async fn ledger_entries(
        &self,
        invoice_number: Option<&str>,
        period: Option<Period>,
    ) -> Result<Vec<pb::LedgerEntry>, BillingError> {
        let mut query = ledger_entry::Entity::find().order_by_asc(ledger_entry::Column::Id);
        if let Some(number) = invoice_number {
            query = query.filter(ledger_entry::Column::InvoiceNumber.eq(number));
        }
        if let Some(period) = period {
            query = query.filter(ledger_entry::Column::Period.eq(period.to_string()));
        }
        Ok(query
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| pb::LedgerEntry {
                transaction_id: e.transaction_id,
                ledger_account: e.ledger_account,
                debit_tiyin: e.debit_tiyin,
                credit_tiyin: e.credit_tiyin,
                invoice_number: e.invoice_number.unwrap_or_default(),
                payment_id: e.payment_id.unwrap_or_default(),
                memo: e.memo,
                posted_at: Some(timestamp(e.posted_at)),
            })
            .collect())
    }
}

/// The report as CSV: `recipient,provider,amount_tiyin,amount_uzs,invoices`.
fn csv(rows: &[pb::DistributionRow]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["recipient", "provider", "amount_tiyin", "amount_uzs", "invoices"])?;
    for row in rows {
        let recipient = Recipient::try_from(row.recipient).unwrap_or_default().as_str_name();
        let provider = row.provider.as_ref().and_then(|p| MemberId::try_from(p).ok()).map(|p| p.to_string());
        writer.write_record([
            recipient,
            provider.as_deref().unwrap_or(""),
            &row.amount_tiyin.to_string(),
            &soum_plain(row.amount_tiyin),
            &row.invoices.to_string(),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}
