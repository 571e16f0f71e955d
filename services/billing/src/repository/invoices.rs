//! Invoices: the running draft, issuing (numbering, rating, posting), reading, voiding, and finding the ones past
//! their due date.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use koprik_proto::billing::{self as pb, InvoiceStatus};
use koprik_proto::events::InvoiceEventKind;
use koprik_proto::ids::MemberId;
use koprik_proto::time::timestamp;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{add_credit, contracts, lock_account, post, restate_standing, Repository};
use crate::billing_period::{local_date, Period};
use crate::error::BillingError;
use crate::late_payment::{due_on, is_overdue};
use crate::ledger::{self, Transaction};
use crate::rating::{Line, Rater};
use crate::reconciliation;
use crate::revenue_distribution::distribute;
use crate::store::{allocation, document_sequence, invoice, invoice_line, usage_event};
use crate::{events, invoice_number};

/// Invoice statuses as stored.
pub const STATUS_ISSUED: &str = "issued";
/// Paid in full.
pub const STATUS_PAID: &str = "paid";
/// Past its due date, not paid in full.
pub const STATUS_OVERDUE: &str = "overdue";
/// Cancelled by a credit note.
pub const STATUS_VOID: &str = "void";

/// What issuing a contract's invoice for a period did.
#[derive(Debug)]
pub enum IssueOutcome {
    /// A new invoice.
    Issued(pb::Invoice),
    /// The period's invoice existed already.
    Existing(pb::Invoice),
    /// No unbilled usage up to the end of the period.
    NothingToBill,
}

impl Repository {
    /// Issues the invoice of `contract_reference` for `period`: every unbilled request received before the end of
    /// the period, late ones from earlier periods included (with a note), priced and numbered in one transaction.
    pub async fn issue(
        &self,
        contract_reference: &str,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<IssueOutcome, BillingError> {
        let txn = self.begin().await?;
        let contract = contracts::find(&txn, contract_reference).await?;
        let account = lock_account(&txn, &contract.account, now).await?;
        if let Some(existing) = invoice::Entity::find()
            .filter(invoice::Column::ContractReference.eq(contract_reference))
            .filter(invoice::Column::Period.eq(period.to_string()))
            .one(&txn)
            .await?
        {
            return Ok(IssueOutcome::Existing(load(&txn, existing).await?));
        }
        let number = next_number(&txn, local_date(now).year()).await?;
        // One statement marks the unbilled requests with the new number and returns them, so what is rated is
        // exactly what was marked: a request metered concurrently is either marked here or left unbilled for the
        // next invoice, never marked without being priced.
        let marked = mark_unbilled(&txn, contract_reference, period, &number).await?;
        if marked.is_empty() {
            txn.rollback().await?;
            return Ok(IssueOutcome::NothingToBill);
        }
        let tariff = contracts::tariff(&contract)?;
        let schedule = Self::schedule(&txn).await?;
        let requests = marked.len() as u64;
        let (lines, late) = rate_rows(&tariff, &schedule, period, marked)?;
        let total: i64 = lines.iter().map(|l| l.amount).sum();
        let notes: Vec<String> = late
            .iter()
            .map(|(p, n)| format!("includes {n} request(s) of {p} received after that period was invoiced"))
            .collect();
        let row = invoice::ActiveModel {
            number: Set(number.clone()),
            account: Set(contract.account.clone()),
            contract_reference: Set(contract.reference.clone()),
            period: Set(period.to_string()),
            status: Set(STATUS_ISSUED.to_owned()),
            requests: Set(i64::try_from(requests).unwrap_or(i64::MAX)),
            total_tiyin: Set(total),
            paid_tiyin: Set(0),
            due_on: Set(due_on(period, u32::try_from(contract.payment_terms_days).unwrap_or(0)).to_string()),
            issued_at: Set(now),
            paid_at: Set(None),
            notes: Set(serde_json::to_string(&notes).unwrap_or_else(|_| "[]".into())),
            void_reason: Set(None),
            credit_note_number: Set(None),
            voided_by: Set(None),
        }
        .insert(&txn)
        .await?;
        let line_rows: Vec<invoice_line::ActiveModel> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| invoice_line::ActiveModel {
                invoice_number: Set(number.clone()),
                line_no: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                service: Set(line.service.clone()),
                provider: Set(line.provider.clone()),
                tier: Set(i32::try_from(line.tier.index).unwrap_or(i32::MAX)),
                rate_basis_points: Set(i32::try_from(line.tier.rate_basis_points).unwrap_or(i32::MAX)),
                base_amount_tiyin: Set(line.base_amount),
                requests: Set(i64::try_from(line.requests).unwrap_or(i64::MAX)),
                unit_price_tiyin: Set(line.unit_price),
                amount_tiyin: Set(line.amount),
            })
            .collect();
        invoice_line::Entity::insert_many(line_rows).exec_without_returning(&txn).await?;
        let issued = Transaction::builder("invoice issued")
            .debit(ledger::receivable(&contract.account), total)
            .credit(ledger::REVENUE_PENDING, total)
            .balanced()?;
        post(&txn, &issued, Some(&number), None, now).await?;
        events::invoice(&txn, InvoiceEventKind::Issued, &load(&txn, row.clone()).await?, now).await?;

        // Credit the account holds (overpayments, voided invoices) pays the new invoice first.
        let mut row = row;
        if account.credit_tiyin > 0 && total > 0 {
            let applied = account.credit_tiyin.min(total);
            add_credit(&txn, &account, -applied, now).await?;
            let transfer = Transaction::builder("account credit applied")
                .debit(ledger::customer_credit(&contract.account), applied)
                .credit(ledger::receivable(&contract.account), applied)
                .balanced()?;
            post(&txn, &transfer, Some(&number), None, now).await?;
            row = allocate(&txn, row, applied, None, now).await?;
        }
        let issued = load(&txn, row).await?;
        self.commit(txn).await?;
        tracing::info!(number = %issued.number, contract = contract_reference, period = %period, total_tiyin = total, "invoice issued");
        Ok(IssueOutcome::Issued(issued))
    }

    /// Issues the invoices of `period` (which must have ended) for every contract with unbilled usage up to its
    /// end; returns every invoice of the period.
    pub async fn issue_period(&self, period: Period, now: DateTime<Utc>) -> Result<Vec<pb::Invoice>, BillingError> {
        if now < period.ends_at() {
            return Err(BillingError::FailedPrecondition(format!(
                "period {period} has not ended: it ends at {} (Tashkent midnight)",
                period.ends_at().format("%Y-%m-%dT%H:%M:%SZ")
            )));
        }
        for reference in self.unbilled_contracts(period).await?.into_keys() {
            match self.issue(&reference, period, now).await {
                Ok(_) => {}
                Err(BillingError::NotFound { kind: "contract", .. }) => {
                    tracing::warn!(contract = %reference, "usage under a contract billing does not know; left unbilled");
                }
                Err(e) => return Err(e),
            }
        }
        let rows = invoice::Entity::find()
            .filter(invoice::Column::Period.eq(period.to_string()))
            .order_by_asc(invoice::Column::Number)
            .all(&self.db)
            .await?;
        let mut invoices = Vec::with_capacity(rows.len());
        for row in rows {
            invoices.push(load(&self.db, row).await?);
        }
        Ok(invoices)
    }

    /// Issues every period that ended at least `grace` ago and still has unbilled usage; returns how many
    /// invoices were issued. Contracts billing does not know are skipped (their usage waits for the contract), and
    /// a contract that cannot be invoiced (no BCA in force, say) is reported and skipped without holding up the
    /// others; both are tried again at the next round.
    pub async fn issue_ended(&self, now: DateTime<Utc>, grace: std::time::Duration) -> Result<usize, BillingError> {
        let cutoff = now - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
        let open = Period::of(cutoff);
        let last_closed = crate::billing_period::months_before(open, 1);
        let mut issued = 0;
        for (reference, oldest) in self.unbilled_contracts(last_closed).await? {
            for period in Period::of(oldest).through(last_closed) {
                match self.issue(&reference, period, now).await {
                    Ok(IssueOutcome::Issued(_)) => issued += 1,
                    Ok(_) => {}
                    Err(BillingError::NotFound { kind: "contract", .. }) => break,
                    Err(BillingError::Database(e)) => return Err(BillingError::Database(e)),
                    Err(e) => {
                        tracing::warn!(contract = %reference, period = %period, error = %e, "invoice not issued");
                        break;
                    }
                }
            }
        }
        Ok(issued)
    }

    /// Contracts with unbilled reconciled usage received before the end of `period`, with their oldest such request.
    async fn unbilled_contracts(&self, period: Period) -> Result<BTreeMap<String, DateTime<Utc>>, BillingError> {
        let rows: Vec<(String, Option<DateTime<Utc>>)> = usage_event::Entity::find()
            .select_only()
            .column(usage_event::Column::ContractReference)
            .column_as(usage_event::Column::ReceivedAt.min(), "oldest")
            .filter(usage_event::Column::InvoiceNumber.is_null())
            .filter(usage_event::Column::Reconciliation.eq(reconciliation::RECONCILED))
            .filter(usage_event::Column::ReceivedAt.lt(period.ends_at()))
            .group_by(usage_event::Column::ContractReference)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().filter_map(|(reference, oldest)| Some((reference, oldest?))).collect())
    }

    /// How many invoices are overdue now (the `koprik_billing_invoices_overdue` gauge).
    pub async fn overdue_invoice_count(&self) -> Result<u64, BillingError> {
        use sea_orm::PaginatorTrait;
        Ok(invoice::Entity::find().filter(invoice::Column::Status.eq(STATUS_OVERDUE)).count(&self.db).await?)
    }

    /// Marks issued invoices past their due date overdue, and their accounts with them; returns how many.
    pub async fn mark_overdue(&self, now: DateTime<Utc>) -> Result<usize, BillingError> {
        let today = local_date(now).to_string();
        let candidates = invoice::Entity::find()
            .filter(invoice::Column::Status.eq(STATUS_ISSUED))
            .filter(invoice::Column::DueOn.lt(today))
            .order_by_asc(invoice::Column::Number)
            .all(&self.db)
            .await?;
        let mut marked = 0;
        for candidate in candidates {
            let txn = self.begin().await?;
            let account = lock_account(&txn, &candidate.account, now).await?;
            let Some(current) = invoice::Entity::find_by_id(candidate.number.clone()).one(&txn).await? else {
                continue;
            };
            let due = chrono::NaiveDate::parse_from_str(&current.due_on, "%Y-%m-%d").unwrap_or(chrono::NaiveDate::MAX);
            if current.status != STATUS_ISSUED || !is_overdue(due, now) {
                continue;
            }
            let reference = current.contract_reference.clone();
            let mut active: invoice::ActiveModel = current.into();
            active.status = Set(STATUS_OVERDUE.to_owned());
            let row = active.update(&txn).await?;
            events::invoice(&txn, InvoiceEventKind::Overdue, &load(&txn, row).await?, now).await?;
            restate_standing(&txn, &account, &reference, now).await?;
            self.commit(txn).await?;
            marked += 1;
            tracing::info!(number = %candidate.number, account = %candidate.account, "invoice overdue; account suspended");
        }
        Ok(marked)
    }

    /// The invoice `number`.
    pub async fn get_invoice(&self, number: &str) -> Result<pb::Invoice, BillingError> {
        let row = invoice::Entity::find_by_id(number.to_owned())
            .one(&self.db)
            .await?
            .ok_or_else(|| BillingError::NotFound { kind: "invoice", id: number.to_owned() })?;
        load(&self.db, row).await
    }

    /// The draft of the invoice `contract_reference` will be issued next: its oldest period with unbilled usage,
    /// priced as it stands now.
    pub async fn draft(&self, contract_reference: &str, now: DateTime<Utc>) -> Result<pb::Invoice, BillingError> {
        let contract = contracts::find(&self.db, contract_reference).await?;
        let unbilled = || {
            usage_event::Column::ContractReference
                .eq(contract_reference)
                .and(usage_event::Column::InvoiceNumber.is_null())
                .and(usage_event::Column::Reconciliation.eq(reconciliation::RECONCILED))
        };
        let oldest: Option<DateTime<Utc>> = usage_event::Entity::find()
            .select_only()
            .column_as(usage_event::Column::ReceivedAt.min(), "oldest")
            .filter(unbilled())
            .into_tuple()
            .one(&self.db)
            .await?
            .flatten();
        let mut period = Period::of(now);
        // Usage of a period whose invoice is issued already goes on the next one.
        if let Some(oldest) = oldest {
            period = period.min(Period::of(oldest));
            while invoice::Entity::find()
                .filter(invoice::Column::ContractReference.eq(contract_reference))
                .filter(invoice::Column::Period.eq(period.to_string()))
                .one(&self.db)
                .await?
                .is_some()
            {
                period = period.next();
            }
        }
        let in_draft = unbilled().and(usage_event::Column::ReceivedAt.lt(period.ends_at()));
        let rows = select_rows(&self.db, in_draft).await?;
        let count = rows.len() as u64;
        let tariff = contracts::tariff(&contract)?;
        let schedule = Self::schedule(&self.db).await?;
        let (lines, late) = rate_rows(&tariff, &schedule, period, rows)?;
        let account: MemberId = contract.account.parse().map_err(|e: koprik_proto::FieldError| {
            BillingError::FailedPrecondition(format!("stored contract account: {e}"))
        })?;
        Ok(pb::Invoice {
            number: String::new(),
            account: Some((&account).into()),
            contract_reference: contract.reference,
            period: period.to_string(),
            status: InvoiceStatus::Draft as i32,
            total_tiyin: lines.iter().map(|l| l.amount).sum(),
            requests: count,
            lines: lines.iter().map(Line::to_proto).collect(),
            notes: late.iter().map(|(p, n)| format!("includes {n} request(s) of {p} received late")).collect(),
            due_on: due_on(period, u32::try_from(contract.payment_terms_days).unwrap_or(0)).to_string(),
            ..Default::default()
        })
    }

    /// Invoices matching the filters, newest first.
    pub async fn list_invoices(
        &self,
        account: Option<&MemberId>,
        period: Option<Period>,
        status: Option<&'static str>,
    ) -> Result<Vec<pb::Invoice>, BillingError> {
        let mut query = invoice::Entity::find().order_by_desc(invoice::Column::Number);
        if let Some(account) = account {
            query = query.filter(invoice::Column::Account.eq(account.to_string()));
        }
        if let Some(period) = period {
            query = query.filter(invoice::Column::Period.eq(period.to_string()));
        }
        if let Some(status) = status {
            query = query.filter(invoice::Column::Status.eq(status));
        }
        let mut invoices = Vec::new();
        for row in query.limit(500).all(&self.db).await? {
            invoices.push(load(&self.db, row).await?);
        }
        Ok(invoices)
    }

    /// Voids an issued or overdue invoice with a credit note, as `actor`; what was paid on it becomes the account's
    /// credit.
    pub async fn void_invoice(
        &self,
        number: &str,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<pb::Invoice, BillingError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(koprik_proto::FieldError::new("reason", "must say why, 1-500 characters").into());
        }
        let txn = self.begin().await?;
        let found = invoice::Entity::find_by_id(number.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| BillingError::NotFound { kind: "invoice", id: number.to_owned() })?;
        let account = lock_account(&txn, &found.account, now).await?;
        let row = invoice::Entity::find_by_id(number.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| BillingError::NotFound { kind: "invoice", id: number.to_owned() })?;
        match row.status.as_str() {
            STATUS_ISSUED | STATUS_OVERDUE => {}
            STATUS_PAID => {
                return Err(BillingError::FailedPrecondition(format!(
                    "invoice {number} is paid and its revenue distributed; it cannot be voided"
                )))
            }
            _ => return Err(BillingError::FailedPrecondition(format!("invoice {number} is void already"))),
        }
        let credit_note = next_number(&txn, local_date(now).year()).await?;
        let paid = row.paid_tiyin;
        let reversal = Transaction::builder("invoice voided")
            .debit(ledger::REVENUE_PENDING, row.total_tiyin)
            .credit(ledger::receivable(&row.account), row.total_tiyin - paid)
            .credit(ledger::customer_credit(&row.account), paid)
            .balanced()?;
        post(&txn, &reversal, Some(number), None, now).await?;
        let account = add_credit(&txn, &account, paid, now).await?;
        let reference = row.contract_reference.clone();
        let mut active: invoice::ActiveModel = row.into();
        active.status = Set(STATUS_VOID.to_owned());
        active.void_reason = Set(Some(reason.to_owned()));
        active.credit_note_number = Set(Some(credit_note));
        active.voided_by = Set(Some(actor.to_owned()));
        let row = active.update(&txn).await?;
        let voided = load(&txn, row).await?;
        events::invoice(&txn, InvoiceEventKind::Voided, &voided, now).await?;
        restate_standing(&txn, &account, &reference, now).await?;
        self.commit(txn).await?;
        tracing::info!(number, credit_note = %voided.credit_note_number, actor, "invoice voided");
        Ok(voided)
    }
}

/// Takes the next number of `year` from its sequence, inside the caller's transaction.
async fn next_number(txn: &DatabaseTransaction, year: i32) -> Result<String, BillingError> {
    document_sequence::Entity::insert(document_sequence::ActiveModel { year: Set(year), last_sequence: Set(0) })
        .on_conflict(OnConflict::column(document_sequence::Column::Year).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    document_sequence::Entity::update_many()
        .col_expr(document_sequence::Column::LastSequence, Expr::col(document_sequence::Column::LastSequence).add(1))
        .filter(document_sequence::Column::Year.eq(year))
        .exec(txn)
        .await?;
    let last = document_sequence::Entity::find_by_id(year)
        .one(txn)
        .await?
        .map(|row| row.last_sequence)
        .ok_or_else(|| BillingError::FailedPrecondition(format!("no document sequence for {year}")))?;
    Ok(invoice_number::format(year, last))
}

/// A request as rating needs it: time of receipt, request id, service, provider.
type Marked = (DateTime<Utc>, String, String, String);

/// Marks the contract's unbilled reconciled requests received before the end of `period` with `number`; returns
/// them. Pending and held usage is never invoiced ([`crate::reconciliation`]).
async fn mark_unbilled(
    txn: &DatabaseTransaction,
    contract_reference: &str,
    period: Period,
    number: &str,
) -> Result<Vec<Marked>, BillingError> {
    use usage_event::Column;
    let statement = sea_orm::sea_query::Query::update()
        .table(usage_event::Entity)
        .value(Column::InvoiceNumber, number)
        .and_where(Column::ContractReference.eq(contract_reference))
        .and_where(Column::InvoiceNumber.is_null())
        .and_where(Column::Reconciliation.eq(reconciliation::RECONCILED))
        .and_where(Column::ReceivedAt.lt(period.ends_at()))
        .returning(sea_orm::sea_query::Query::returning().columns([
            Column::ReceivedAt,
            Column::RequestId,
            Column::Service,
            Column::Provider,
        ]))
        .to_owned();
    let rows = txn.query_all(txn.get_database_backend().build(&statement)).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<DateTime<Utc>>("", "received_at")?,
                row.try_get::<String>("", "request_id")?,
                row.try_get::<String>("", "service")?,
                row.try_get::<String>("", "provider")?,
            ))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(BillingError::from)
}

/// Prices `rows` in receipt order (then request id); also counts the rows received before `period` (late), by
/// their own period.
fn rate_rows(
    tariff: &crate::tariff::Tariff,
    schedule: &crate::base_amount::Schedule,
    period: Period,
    mut rows: Vec<Marked>,
) -> Result<(Vec<Line>, BTreeMap<Period, u64>), BillingError> {
    rows.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut rater = Rater::new(tariff, schedule, rows.len() as u64);
    let mut late = BTreeMap::new();
    for (received_at, _, service, provider) in &rows {
        rater.add(*received_at, service, provider)?;
        let own = Period::of(*received_at);
        if own < period {
            *late.entry(own).or_default() += 1;
        }
    }
    Ok((rater.finish(), late))
}

/// The usage rows matching `filter`, as rating needs them.
async fn select_rows<C: ConnectionTrait>(
    db: &C,
    filter: sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<Marked>, BillingError> {
    Ok(usage_event::Entity::find()
        .select_only()
        .columns([
            usage_event::Column::ReceivedAt,
            usage_event::Column::RequestId,
            usage_event::Column::Service,
            usage_event::Column::Provider,
        ])
        .filter(filter)
        .into_tuple::<Marked>()
        .all(db)
        .await?)
}

/// Applies `amount` to the invoice `row`, from `payment_id` or (None) the account's credit; an invoice paid in
/// full becomes PAID and its revenue is distributed (R516 §4c).
pub(super) async fn allocate(
    txn: &DatabaseTransaction,
    row: invoice::Model,
    amount: i64,
    payment_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<invoice::Model, BillingError> {
    allocation::ActiveModel {
        invoice_number: Set(row.number.clone()),
        payment_id: Set(payment_id.map(str::to_owned)),
        amount_tiyin: Set(amount),
        allocated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let paid = row.paid_tiyin + amount;
    let full = paid >= row.total_tiyin;
    let number = row.number.clone();
    let mut active: invoice::ActiveModel = row.into();
    active.paid_tiyin = Set(paid);
    if full {
        active.status = Set(STATUS_PAID.to_owned());
        active.paid_at = Set(Some(now));
    }
    let row = active.update(txn).await?;
    if full {
        let lines =
            invoice_line::Entity::find().filter(invoice_line::Column::InvoiceNumber.eq(&number)).all(txn).await?;
        let mut by_provider = BTreeMap::new();
        for line in &lines {
            *by_provider.entry(line.provider.clone()).or_insert(0) += line.amount_tiyin;
        }
        let mut distribution =
            Transaction::builder("revenue distributed").debit(ledger::REVENUE_PENDING, row.total_tiyin);
        for share in distribute(&by_provider) {
            distribution = distribution.credit(ledger::payable(&share), share.amount);
        }
        post(txn, &distribution.balanced()?, Some(&number), None, now).await?;
        events::invoice(txn, InvoiceEventKind::Paid, &load(txn, row.clone()).await?, now).await?;
    }
    Ok(row)
}

/// The wire form of a stored invoice, with its lines.
pub(super) async fn load<C: ConnectionTrait>(db: &C, row: invoice::Model) -> Result<pb::Invoice, BillingError> {
    let lines = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceNumber.eq(&row.number))
        .order_by_asc(invoice_line::Column::LineNo)
        .all(db)
        .await?;
    let account: Option<MemberId> = row.account.parse().ok();
    Ok(pb::Invoice {
        number: row.number,
        account: account.as_ref().map(Into::into),
        contract_reference: row.contract_reference,
        period: row.period,
        status: status_of(&row.status) as i32,
        lines: lines
            .into_iter()
            .map(|l| pb::InvoiceLine {
                service: l.service.parse::<koprik_proto::ids::ServiceId>().ok().map(|s| (&s).into()),
                provider: l.provider.parse::<MemberId>().ok().map(|m| (&m).into()),
                tier: u32::try_from(l.tier).unwrap_or_default(),
                rate_basis_points: u32::try_from(l.rate_basis_points).unwrap_or_default(),
                base_amount_tiyin: l.base_amount_tiyin,
                requests: u64::try_from(l.requests).unwrap_or_default(),
                unit_price_tiyin: l.unit_price_tiyin,
                amount_tiyin: l.amount_tiyin,
            })
            .collect(),
        total_tiyin: row.total_tiyin,
        paid_tiyin: row.paid_tiyin,
        due_on: row.due_on,
        issued_at: Some(timestamp(row.issued_at)),
        paid_at: row.paid_at.map(timestamp),
        notes: serde_json::from_str(&row.notes).unwrap_or_default(),
        void_reason: row.void_reason.unwrap_or_default(),
        credit_note_number: row.credit_note_number.unwrap_or_default(),
        requests: u64::try_from(row.requests).unwrap_or_default(),
    })
}

/// The wire status of a stored one.
pub fn status_of(stored: &str) -> InvoiceStatus {
    match stored {
        STATUS_ISSUED => InvoiceStatus::Issued,
        STATUS_PAID => InvoiceStatus::Paid,
        STATUS_OVERDUE => InvoiceStatus::Overdue,
        STATUS_VOID => InvoiceStatus::Void,
        _ => InvoiceStatus::Unspecified,
    }
}

/// The stored status of a wire one (drafts are never stored).
pub fn stored_status(status: InvoiceStatus) -> Option<&'static str> {
    match status {
        InvoiceStatus::Issued => Some(STATUS_ISSUED),
        InvoiceStatus::Paid => Some(STATUS_PAID),
        InvoiceStatus::Overdue => Some(STATUS_OVERDUE),
        InvoiceStatus::Void => Some(STATUS_VOID),
        InvoiceStatus::Draft | InvoiceStatus::Unspecified => None,
    }
}
