//! Reconciliation's reads and writes: the delivered exchanges read from `exchange.audit`, the verdicts of
//! [`crate::reconciliation`] applied to pending usage, held usage listed for operators, and pruning.
//!
//! Verdicts are applied with guards in the statements (`WHERE reconciliation = 'pending' …`), so that the audit
//! consumer, metering and the reconciliation loop may judge the same row at once on PostgreSQL: whichever commits
//! second finds the row no longer in the state it judged and changes nothing. A row that each of two concurrent
//! transactions could not see (its usage and its audit record stored at the same moment) stays pending until the
//! loop's next round.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use koprik_proto::billing as pb;
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::time::timestamp;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use super::Repository;
use crate::error::BillingError;
use crate::reconciliation::{self as rule, Claim, Delivery, Verdict};
use crate::store::{contract, delivered_exchange, usage_event};

/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 2_000;
/// Delivered exchanges per INSERT statement: 7 columns.
const DELIVERED_PER_STATEMENT: usize = 2_000;
/// Pending rows judged per round-trip by the loop.
const PAGE: u64 = 1_000;
/// Held rows one list returns at most.
const LIST_LIMIT: u64 = 500;

/// A delivered exchange as the audit trail records it, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredRow {
    /// The request id.
    pub request_id: String,
    /// The consumer subsystem's canonical id.
    pub consumer: String,
    /// The service's canonical id.
    pub service: String,
    /// The audit step's name.
    pub step: String,
    /// The gateway replica.
    pub gateway: String,
    /// When the exchange completed.
    pub delivered_at: DateTime<Utc>,
}

impl DeliveredRow {
    pub(super) fn as_delivery(&self) -> Delivery<'_> {
        Delivery { consumer: &self.consumer, service: &self.service }
    }
}

/// What storing or reconciling did, for the metrics.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Judged {
    /// Rows new to the table (usage rows, or delivered exchanges).
    pub inserted: u64,
    /// Usage rows that became billable after they were stored (a row billable on arrival is not counted here).
    pub reconciled: u64,
    /// Usage rows held, by hold code.
    pub held: BTreeMap<&'static str, u64>,
}

impl Judged {
    pub(super) fn add_held(&mut self, code: &'static str, n: u64) {
        if n > 0 {
            *self.held.entry(code).or_default() += n;
        }
    }

    fn merge(&mut self, other: Judged) {
        self.inserted += other.inserted;
        self.reconciled += other.reconciled;
        for (code, n) in other.held {
            self.add_held(code, n);
        }
    }
}

/// Filters of [`Repository::list_held_usage`].
#[derive(Debug, Default, Clone)]
pub struct HeldFilter {
    /// Only this account's.
    pub account: Option<MemberId>,
    /// Only this hold code.
    pub code: Option<&'static str>,
    /// Also the rows still pending.
    pub include_pending: bool,
}

impl Repository {
    /// Stores delivered exchanges read from `exchange.audit` (a request id stored before is ignored), and in the
    /// same transaction judges the usage of those requests that waits for them (pending, or held for the want of
    /// its audit record).
    pub async fn record_delivered(
        &self,
        rows: &[DeliveredRow],
        evidence: &rule::Evidence,
    ) -> Result<Judged, BillingError> {
        let mut judged = Judged::default();
        if rows.is_empty() {
            return Ok(judged);
        }
        let now = Utc::now();
        let txn = self.db.begin().await?;
        for chunk in rows.chunks(DELIVERED_PER_STATEMENT) {
            let models = chunk.iter().map(|row| delivered_exchange::ActiveModel {
                request_id: Set(row.request_id.clone()),
                consumer: Set(row.consumer.clone()),
                service: Set(row.service.clone()),
                step: Set(row.step.clone()),
                gateway: Set(row.gateway.clone()),
                delivered_at: Set(row.delivered_at),
                recorded_at: Set(now),
            });
            judged.inserted += delivered_exchange::Entity::insert_many(models)
                .on_conflict(OnConflict::column(delivered_exchange::Column::RequestId).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
        }
        let delivered: HashMap<&str, &DeliveredRow> = rows.iter().map(|r| (r.request_id.as_str(), r)).collect();
        let mut waiting = Vec::new();
        for chunk in rows.chunks(IDS_PER_STATEMENT) {
            let ids = chunk.iter().map(|r| r.request_id.clone());
            waiting.extend(
                usage_event::Entity::find()
                    .filter(usage_event::Column::RequestId.is_in(ids))
                    .filter(awaiting_evidence())
                    .all(&txn)
                    .await?,
            );
        }
        if !waiting.is_empty() {
            let accounts = contract_accounts(&txn, waiting.iter().map(|u| u.contract_reference.as_str())).await?;
            let verdicts = waiting.iter().map(|usage| {
                let delivery = delivered.get(usage.request_id.as_str()).map(|d| d.as_delivery());
                (usage, judge_row(usage, delivery, &accounts, now, evidence))
            });
            judged.merge(apply(&txn, verdicts.collect(), now).await?);
        }
        txn.commit().await?;
        Ok(judged)
    }

    /// Judges every row still pending, and every row held for the want of an audit record that has arrived since:
    /// rows whose grace is over are held, rows whose contract was recorded since are judged on it, and rows whose
    /// usage and audit record were stored at the same moment are matched. One transaction per page.
    pub async fn reconcile_pending(
        &self,
        now: DateTime<Utc>,
        evidence: &rule::Evidence,
    ) -> Result<Judged, BillingError> {
        let mut judged = Judged::default();
        let mut after = String::new();
        loop {
            let txn = self.db.begin().await?;
            let released = Query::select()
                .column(delivered_exchange::Column::RequestId)
                .from(delivered_exchange::Entity)
                .to_owned();
            let page = usage_event::Entity::find()
                .filter(
                    Condition::any().add(usage_event::Column::Reconciliation.eq(rule::PENDING)).add(
                        Condition::all()
                            .add(usage_event::Column::Reconciliation.eq(rule::HELD))
                            .add(usage_event::Column::HoldCode.eq(rule::NO_DELIVERED_AUDIT))
                            .add(usage_event::Column::RequestId.in_subquery(released)),
                    ),
                )
                // The partial index's own predicate, so that the planner reads only unreconciled rows.
                .filter(usage_event::Column::Reconciliation.ne(rule::RECONCILED))
                .filter(usage_event::Column::RequestId.gt(after.clone()))
                .order_by_asc(usage_event::Column::RequestId)
                .limit(PAGE)
                .all(&txn)
                .await?;
            let Some(last) = page.last() else {
                txn.commit().await?;
                return Ok(judged);
            };
            after = last.request_id.clone();
            let delivered = deliveries(&txn, page.iter().map(|u| u.request_id.as_str())).await?;
            let accounts = contract_accounts(&txn, page.iter().map(|u| u.contract_reference.as_str())).await?;
            let verdicts = page
                .iter()
                .map(|usage| {
                    let delivery = delivered.get(&usage.request_id).map(|d| d.as_delivery());
                    (usage, judge_row(usage, delivery, &accounts, now, evidence))
                })
                .collect();
            judged.merge(apply(&txn, verdicts, now).await?);
            txn.commit().await?;
            if (page.len() as u64) < PAGE {
                return Ok(judged);
            }
        }
    }

    /// How many usage rows wait for their evidence (the `koprik_billing_usage_pending` gauge).
    pub async fn pending_usage_count(&self) -> Result<u64, BillingError> {
        Ok(usage_event::Entity::find()
            .filter(usage_event::Column::Reconciliation.eq(rule::PENDING))
            .filter(usage_event::Column::Reconciliation.ne(rule::RECONCILED))
            .count(&self.db)
            .await?)
    }

    /// Deletes delivered exchanges billing stored before `before`; returns how many.
    pub async fn prune_delivered(&self, before: DateTime<Utc>) -> Result<u64, BillingError> {
        Ok(delivered_exchange::Entity::delete_many()
            .filter(delivered_exchange::Column::RecordedAt.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Held usage (and, when asked, pending usage), newest first, at most 500 rows.
    pub async fn list_held_usage(&self, filter: &HeldFilter) -> Result<Vec<pb::HeldUsage>, BillingError> {
        let states = if filter.include_pending { vec![rule::HELD, rule::PENDING] } else { vec![rule::HELD] };
        let mut query = usage_event::Entity::find()
            .filter(usage_event::Column::Reconciliation.is_in(states))
            .filter(usage_event::Column::Reconciliation.ne(rule::RECONCILED))
            .order_by_desc(usage_event::Column::RecordedAt)
            .order_by_asc(usage_event::Column::RequestId)
            .limit(LIST_LIMIT);
        if let Some(account) = &filter.account {
            query = query.filter(usage_event::Column::Account.eq(account.to_string()));
        }
        if let Some(code) = filter.code {
            query = query.filter(usage_event::Column::HoldCode.eq(code));
        }
        Ok(query.all(&self.db).await?.into_iter().map(held_to_proto).collect())
    }
}

/// Rows that may still change: pending, or held for the want of an audit record.
fn awaiting_evidence() -> Condition {
    Condition::any().add(usage_event::Column::Reconciliation.eq(rule::PENDING)).add(
        Condition::all()
            .add(usage_event::Column::Reconciliation.eq(rule::HELD))
            .add(usage_event::Column::HoldCode.eq(rule::NO_DELIVERED_AUDIT)),
    )
}

/// The verdict on a stored row.
fn judge_row(
    usage: &usage_event::Model,
    delivery: Option<Delivery<'_>>,
    accounts: &HashMap<String, String>,
    now: DateTime<Utc>,
    evidence: &rule::Evidence,
) -> Verdict {
    let claim = Claim {
        account: &usage.account,
        consumer: usage.consumer.as_deref().unwrap_or_default(),
        service: &usage.service,
        contract_reference: &usage.contract_reference,
        recorded_at: usage.recorded_at,
    };
    rule::judge(&claim, delivery, accounts.get(&usage.contract_reference).map(String::as_str), now, evidence)
}

/// Applies verdicts on rows read in this transaction, each guarded by the state it was judged in.
async fn apply<C: ConnectionTrait>(
    db: &C,
    verdicts: Vec<(&usage_event::Model, Verdict)>,
    now: DateTime<Utc>,
) -> Result<Judged, BillingError> {
    let mut judged = Judged::default();
    let mut billable = Vec::new();
    for (usage, verdict) in verdicts {
        match verdict {
            Verdict::Billable => billable.push(usage.request_id.clone()),
            Verdict::Pending(_) => {}
            Verdict::Held(hold) => {
                if usage.hold_code.as_deref() == Some(hold.code()) {
                    continue;
                }
                let changed = usage_event::Entity::update_many()
                    .col_expr(usage_event::Column::Reconciliation, Expr::value(rule::HELD))
                    .col_expr(usage_event::Column::HoldCode, Expr::value(hold.code()))
                    .col_expr(usage_event::Column::HoldReason, Expr::value(hold.reason()))
                    .col_expr(usage_event::Column::HeldAt, Expr::value(now))
                    .filter(usage_event::Column::RequestId.eq(&usage.request_id))
                    .filter(awaiting_evidence())
                    .exec(db)
                    .await?;
                judged.add_held(hold.code(), changed.rows_affected);
            }
        }
    }
    for chunk in billable.chunks(IDS_PER_STATEMENT) {
        // A row released from a hold keeps when and why it was held.
        let changed = usage_event::Entity::update_many()
            .col_expr(usage_event::Column::Reconciliation, Expr::value(rule::RECONCILED))
            .col_expr(usage_event::Column::ReconciledAt, Expr::value(now))
            .filter(usage_event::Column::RequestId.is_in(chunk.iter().cloned()))
            .filter(awaiting_evidence())
            .exec(db)
            .await?;
        judged.reconciled += changed.rows_affected;
    }
    Ok(judged)
}

/// The delivered exchanges of `request_ids` billing knows, by request id.
pub(super) async fn deliveries<'a, C: ConnectionTrait>(
    db: &C,
    request_ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, DeliveredRow>, BillingError> {
    let ids: Vec<String> = request_ids.map(str::to_owned).collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows = delivered_exchange::Entity::find()
            .filter(delivered_exchange::Column::RequestId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        for row in rows {
            found.insert(
                row.request_id.clone(),
                DeliveredRow {
                    request_id: row.request_id,
                    consumer: row.consumer,
                    service: row.service,
                    step: row.step,
                    gateway: row.gateway,
                    delivered_at: row.delivered_at,
                },
            );
        }
    }
    Ok(found)
}

/// The accounts of the contracts named, by reference (contracts billing does not know are absent).
pub(super) async fn contract_accounts<'a, C: ConnectionTrait>(
    db: &C,
    references: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, String>, BillingError> {
    let references: HashSet<&str> = references.collect();
    let rows: Vec<(String, String)> = contract::Entity::find()
        .select_only()
        .columns([contract::Column::Reference, contract::Column::Account])
        .filter(contract::Column::Reference.is_in(references))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The wire form of a held (or pending) usage row.
fn held_to_proto(row: usage_event::Model) -> pb::HeldUsage {
    let state = match row.reconciliation.as_str() {
        rule::HELD => pb::UsageState::Held,
        rule::PENDING => pb::UsageState::Pending,
        _ => pb::UsageState::Unspecified,
    };
    let reason = match row.hold_code.as_deref() {
        Some(rule::NO_DELIVERED_AUDIT) => pb::HoldReason::NoDeliveredAudit,
        Some(rule::ACCOUNT_MISMATCH) => pb::HoldReason::AccountMismatch,
        Some(rule::AUDIT_MISMATCH) => pb::HoldReason::AuditMismatch,
        _ => pb::HoldReason::Unspecified,
    };
    pb::HeldUsage {
        request_id: row.request_id,
        state: state as i32,
        reason: reason as i32,
        explanation: row.hold_reason.unwrap_or_default(),
        account: row.account.parse::<MemberId>().ok().map(|m| (&m).into()),
        consumer: row.consumer.and_then(|c| c.parse::<SubsystemId>().ok()).map(|c| (&c).into()),
        service: row.service.parse::<ServiceId>().ok().map(|s| (&s).into()),
        provider: row.provider.parse::<MemberId>().ok().map(|m| (&m).into()),
        contract_reference: row.contract_reference,
        received_at: Some(timestamp(row.received_at)),
        recorded_at: Some(timestamp(row.recorded_at)),
        held_at: row.held_at.map(timestamp),
        gateway: row.gateway,
    }
}
