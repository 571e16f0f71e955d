//! Metered usage: storing a batch of usage records, each request id once, each judged by the reconciliation rule
//! ([`crate::reconciliation`]) against the delivered exchanges and contracts billing knows at that moment.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set, TransactionTrait};

use super::reconciliation::{contract_accounts, deliveries, Judged};
use super::Repository;
use crate::error::BillingError;
use crate::reconciliation::{self as rule, Claim, Verdict};
use crate::store::usage_event;

/// Rows per INSERT statement: 15 columns × 2 000 = 30 000 parameters, below SQLite's 32 766 and PostgreSQL's
/// 65 535.
const ROWS_PER_STATEMENT: usize = 2_000;

/// A validated usage record, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// The exchange request id (the idempotency key).
    pub request_id: String,
    /// The consumer member billed.
    pub account: String,
    /// The calling subsystem.
    pub consumer: String,
    /// The contract reference.
    pub contract_reference: String,
    /// The service's canonical id.
    pub service: String,
    /// The providing member's canonical id.
    pub provider: String,
    /// The legal time of receipt.
    pub received_at: DateTime<Utc>,
    /// The gateway replica.
    pub gateway: String,
}

impl Repository {
    /// Stores `rows` in one transaction, ignoring request ids stored before, each with its reconciliation verdict:
    /// billable when its delivered exchange and its contract are known and agree, held at once when they disagree,
    /// pending otherwise (the `evidence`'s grace is not over for a row stored now). Returns how many were new, and how many of
    /// those were held, by reason.
    pub async fn insert_usage(&self, rows: &[UsageRow], evidence: &rule::Evidence) -> Result<Judged, BillingError> {
        let mut judged = Judged::default();
        if rows.is_empty() {
            return Ok(judged);
        }
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let delivered = deliveries(&txn, rows.iter().map(|r| r.request_id.as_str())).await?;
        let accounts = contract_accounts(&txn, rows.iter().map(|r| r.contract_reference.as_str())).await?;
        let mut ordinary = Vec::with_capacity(rows.len());
        let mut held = Vec::new();
        for row in rows {
            let claim = Claim {
                account: &row.account,
                consumer: &row.consumer,
                service: &row.service,
                contract_reference: &row.contract_reference,
                recorded_at: now,
            };
            let delivery = delivered.get(&row.request_id).map(|d| d.as_delivery());
            let verdict =
                rule::judge(&claim, delivery, accounts.get(&row.contract_reference).map(String::as_str), now, evidence);
            let mut model = usage_event::ActiveModel {
                request_id: Set(row.request_id.clone()),
                account: Set(row.account.clone()),
                contract_reference: Set(row.contract_reference.clone()),
                service: Set(row.service.clone()),
                provider: Set(row.provider.clone()),
                received_at: Set(row.received_at),
                gateway: Set(row.gateway.clone()),
                recorded_at: Set(now),
                invoice_number: Set(None),
                consumer: Set(Some(row.consumer.clone())),
                reconciliation: Set(rule::PENDING.to_owned()),
                reconciled_at: Set(None),
                hold_code: Set(None),
                hold_reason: Set(None),
                held_at: Set(None),
            };
            match verdict {
                Verdict::Billable => {
                    model.reconciliation = Set(rule::RECONCILED.to_owned());
                    model.reconciled_at = Set(Some(now));
                    ordinary.push(model);
                }
                Verdict::Pending(_) => ordinary.push(model),
                Verdict::Held(hold) => {
                    model.reconciliation = Set(rule::HELD.to_owned());
                    model.hold_code = Set(Some(hold.code().to_owned()));
                    model.hold_reason = Set(Some(hold.reason()));
                    model.held_at = Set(Some(now));
                    held.push((hold.code(), model));
                }
            }
        }
        let insert = |models: Vec<usage_event::ActiveModel>| {
            usage_event::Entity::insert_many(models)
                .on_conflict(OnConflict::column(usage_event::Column::RequestId).do_nothing().to_owned())
        };
        let mut ordinary = ordinary.into_iter().peekable();
        while ordinary.peek().is_some() {
            let chunk: Vec<_> = ordinary.by_ref().take(ROWS_PER_STATEMENT).collect();
            judged.inserted += insert(chunk).exec_without_returning(&txn).await?;
        }
        // Held rows are rare: one statement each, so that what is counted held is exactly what was stored held.
        for (code, model) in held {
            let inserted = insert(vec![model]).exec_without_returning(&txn).await?;
            judged.inserted += inserted;
            judged.add_held(code, inserted);
        }
        txn.commit().await?;
        Ok(judged)
    }
}
