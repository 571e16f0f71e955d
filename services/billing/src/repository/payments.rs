//! Payments: recording what a payment channel reports (idempotent on the channel's payment id), applying it to
//! invoices, refunding account credit, and the account's position.

use chrono::{DateTime, Utc};
use koprik_proto::billing::{self as pb, PaymentKind, Standing};
use koprik_proto::events::PaymentEventKind;
use koprik_proto::ids::MemberId;
use koprik_proto::time::{timestamp, to_datetime};
use koprik_proto::FieldError;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::invoices::allocate;
use super::{add_credit, lock_account, post, restate_standing, Repository, STATUS_ISSUED, STATUS_OVERDUE};
use crate::error::BillingError;
use crate::ledger::{self, Transaction};
use crate::store::{account, allocation, invoice, payment};
use crate::{events, invoice_number};

/// Stored payment kinds.
const RECEIVED: &str = "received";
const REFUND: &str = "refund";

/// The largest single payment accepted: a trillion soʻm.
const MAX_AMOUNT_TIYIN: i64 = 100_000_000_000_000;

/// A validated payment report.
struct Report {
    channel: String,
    channel_payment_id: String,
    account: MemberId,
    amount: i64,
}

/// A payment report's fields checked. The channel's name follows the one rule payment-channel certificates follow
/// ([`koprik_pki::identity::channel_name`]), so every channel can be given a certificate naming it, and payments are
/// recorded only under the name of the certificate that reports them.
fn report(
    channel: &str,
    id: &str,
    account: Option<&koprik_proto::common::MemberId>,
    amount: i64,
) -> Result<Report, FieldError> {
    let channel = koprik_pki::identity::channel_name(channel, "channel")?;
    if id.trim().is_empty() || id.len() > 128 {
        return Err(FieldError::new("channel_payment_id", "must be the channel's own payment id, 1-128 characters"));
    }
    let account: MemberId = koprik_proto::field::required(account, "account")?;
    if amount <= 0 || amount > MAX_AMOUNT_TIYIN {
        return Err(FieldError::new("amount_tiyin", format!("must be between 1 and {MAX_AMOUNT_TIYIN} tiyin")));
    }
    Ok(Report { channel, channel_payment_id: id.to_owned(), account, amount })
}

impl Repository {
    /// Records a payment and applies it: to the named invoice first, then to the account's oldest outstanding
    /// invoices; the rest becomes the account's credit. Paying the last overdue invoice reinstates the account.
    pub async fn record_payment(
        &self,
        request: &pb::RecordPaymentRequest,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<pb::Payment, BillingError> {
        let report =
            report(&request.channel, &request.channel_payment_id, request.account.as_ref(), request.amount_tiyin)?;
        let paid_at = match &request.paid_at {
            Some(t) => to_datetime(t).map_err(|e| e.within("paid_at"))?,
            None => return Err(FieldError::missing("paid_at").into()),
        };
        if paid_at > now + chrono::Duration::days(1) {
            return Err(FieldError::new("paid_at", "must not be in the future").into());
        }
        let named = match request.invoice_number.as_str() {
            "" => None,
            text => Some(invoice_number::parse(text, "invoice_number")?),
        };
        let account_id = report.account.to_string();
        let txn = self.begin().await?;
        let account = lock_account(&txn, &account_id, now).await?;
        if let Some(existing) = existing(&txn, &report).await? {
            let same = existing.kind == RECEIVED
                && existing.account == account_id
                && existing.amount_tiyin == report.amount
                && existing.invoice_number == named
                && existing.paid_at.timestamp() == paid_at.timestamp();
            if !same {
                return Err(BillingError::AlreadyExists(format!(
                    "payment {} of channel {} is recorded already with other details",
                    report.channel_payment_id, report.channel
                )));
            }
            return load(&txn, existing).await;
        }
        let mut targets = Vec::new();
        if let Some(number) = &named {
            // Only payment channels report payments, and none reaches other accounts' invoices: an unknown number
            // and another account's invoice are answered alike, naming only the account the report names, so that
            // reports cannot map invoice numbers to accounts.
            let invoice = invoice::Entity::find_by_id(number.clone())
                .one(&txn)
                .await?
                .filter(|invoice| invoice.account == account_id)
                .ok_or_else(|| {
                    BillingError::FailedPrecondition(format!("invoice_number: {account_id} has no invoice {number}"))
                })?;
            if matches!(invoice.status.as_str(), STATUS_ISSUED | STATUS_OVERDUE) {
                targets.push(invoice);
            }
        }
        let outstanding = invoice::Entity::find()
            .filter(invoice::Column::Account.eq(&account_id))
            .filter(invoice::Column::Status.is_in([STATUS_OVERDUE, STATUS_ISSUED]))
            .order_by_asc(invoice::Column::DueOn)
            .order_by_asc(invoice::Column::Number)
            .all(&txn)
            .await?;
        targets.extend(outstanding.into_iter().filter(|i| Some(&i.number) != named.as_ref()));

        let id = uuid::Uuid::now_v7().to_string();
        payment::ActiveModel {
            id: Set(id.clone()),
            kind: Set(RECEIVED.to_owned()),
            channel: Set(report.channel.clone()),
            channel_payment_id: Set(report.channel_payment_id.clone()),
            account: Set(account_id.clone()),
            amount_tiyin: Set(report.amount),
            invoice_number: Set(named.clone()),
            paid_at: Set(paid_at),
            credited_tiyin: Set(0),
            recorded_at: Set(now),
            recorded_by: Set(Some(actor.to_owned())),
        }
        .insert(&txn)
        .await?;
        let received = load(
            &txn,
            payment::Entity::find_by_id(id.clone())
                .one(&txn)
                .await?
                .ok_or_else(|| BillingError::NotFound { kind: "payment", id: id.clone() })?,
        )
        .await?;
        events::payment(&txn, PaymentEventKind::Received, &received, now).await?;

        let mut remaining = report.amount;
        let mut applied = 0;
        let mut contract_reference = String::new();
        for target in targets {
            if remaining == 0 {
                break;
            }
            let amount = remaining.min(target.total_tiyin - target.paid_tiyin);
            if amount <= 0 {
                continue;
            }
            contract_reference.clone_from(&target.contract_reference);
            // The receivable is credited before the invoice can be paid in full and distribute its revenue.
            allocate(&txn, target, amount, Some(&id), now).await?;
            remaining -= amount;
            applied += amount;
        }
        let posting = Transaction::builder("payment")
            .debit(ledger::clearing(&report.channel), report.amount)
            .credit(ledger::receivable(&account_id), applied)
            .credit(ledger::customer_credit(&account_id), remaining)
            .balanced()?;
        post(&txn, &posting, named.as_deref(), Some(&id), now).await?;
        let account = add_credit(&txn, &account, remaining, now).await?;
        let row = payment::Entity::find_by_id(id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| BillingError::NotFound { kind: "payment", id: id.clone() })?;
        let mut active: payment::ActiveModel = row.into();
        active.credited_tiyin = Set(remaining);
        let matched = load(&txn, active.update(&txn).await?).await?;
        events::payment(&txn, PaymentEventKind::Matched, &matched, now).await?;
        restate_standing(&txn, &account, &contract_reference, now).await?;
        self.commit(txn).await?;
        tracing::info!(payment = %id, account = %account_id, amount_tiyin = report.amount, applied, credited = remaining, actor, "payment recorded");
        Ok(matched)
    }

    /// Pays back `amount_tiyin` of the account's credit through a channel.
    pub async fn refund_credit(
        &self,
        request: &pb::RefundCreditRequest,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<pb::Payment, BillingError> {
        let report =
            report(&request.channel, &request.channel_payment_id, request.account.as_ref(), request.amount_tiyin)?;
        let account_id = report.account.to_string();
        let txn = self.begin().await?;
        let account = lock_account(&txn, &account_id, now).await?;
        if let Some(existing) = existing(&txn, &report).await? {
            if existing.kind != REFUND || existing.account != account_id || existing.amount_tiyin != report.amount {
                return Err(BillingError::AlreadyExists(format!(
                    "payment {} of channel {} is recorded already with other details",
                    report.channel_payment_id, report.channel
                )));
            }
            return load(&txn, existing).await;
        }
        if account.credit_tiyin < report.amount {
            return Err(BillingError::FailedPrecondition(format!(
                "{account_id} has {} tiyin of credit; {} cannot be refunded",
                account.credit_tiyin, report.amount
            )));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let row = payment::ActiveModel {
            id: Set(id.clone()),
            kind: Set(REFUND.to_owned()),
            channel: Set(report.channel.clone()),
            channel_payment_id: Set(report.channel_payment_id.clone()),
            account: Set(account_id.clone()),
            amount_tiyin: Set(report.amount),
            invoice_number: Set(None),
            paid_at: Set(now),
            credited_tiyin: Set(-report.amount),
            recorded_at: Set(now),
            recorded_by: Set(Some(actor.to_owned())),
        }
        .insert(&txn)
        .await?;
        let posting = Transaction::builder("credit refunded")
            .debit(ledger::customer_credit(&account_id), report.amount)
            .credit(ledger::clearing(&report.channel), report.amount)
            .balanced()?;
        post(&txn, &posting, None, Some(&id), now).await?;
        add_credit(&txn, &account, -report.amount, now).await?;
        let refunded = load(&txn, row).await?;
        events::payment(&txn, PaymentEventKind::Refunded, &refunded, now).await?;
        self.commit(txn).await?;
        tracing::info!(payment = %id, account = %account_id, amount_tiyin = report.amount, actor, "credit refunded");
        Ok(refunded)
    }

    /// The account's payments and refunds, newest first.
    pub async fn list_payments(&self, account: &MemberId) -> Result<Vec<pb::Payment>, BillingError> {
        let rows = payment::Entity::find()
            .filter(payment::Column::Account.eq(account.to_string()))
            .order_by_desc(payment::Column::Id)
            .all(&self.db)
            .await?;
        let mut payments = Vec::with_capacity(rows.len());
        for row in rows {
            payments.push(load(&self.db, row).await?);
        }
        Ok(payments)
    }

    /// The account's standing, what it owes and what it holds.
    pub async fn get_account(&self, member: &MemberId) -> Result<pb::Account, BillingError> {
        let id = member.to_string();
        let row = account::Entity::find_by_id(id.clone()).one(&self.db).await?;
        let open = invoice::Entity::find()
            .filter(invoice::Column::Account.eq(&id))
            .filter(invoice::Column::Status.is_in([STATUS_ISSUED, STATUS_OVERDUE]))
            .order_by_asc(invoice::Column::Number)
            .all(&self.db)
            .await?;
        let standing = match row.as_ref().map(|r| r.standing.as_str()) {
            Some("overdue") => Standing::Overdue,
            _ => Standing::Current,
        };
        Ok(pb::Account {
            account: Some(member.into()),
            standing: standing as i32,
            outstanding_tiyin: open.iter().map(|i| i.total_tiyin - i.paid_tiyin).sum(),
            credit_tiyin: row.map_or(0, |r| r.credit_tiyin),
            overdue_invoices: open.into_iter().filter(|i| i.status == STATUS_OVERDUE).map(|i| i.number).collect(),
        })
    }
}

async fn existing(txn: &DatabaseTransaction, report: &Report) -> Result<Option<payment::Model>, BillingError> {
    Ok(payment::Entity::find()
        .filter(payment::Column::Channel.eq(&report.channel))
        .filter(payment::Column::ChannelPaymentId.eq(&report.channel_payment_id))
        .one(txn)
        .await?)
}

async fn load<C: ConnectionTrait>(db: &C, row: payment::Model) -> Result<pb::Payment, BillingError> {
    let allocations = allocation::Entity::find()
        .filter(allocation::Column::PaymentId.eq(&row.id))
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await?;
    Ok(pb::Payment {
        kind: if row.kind == REFUND { PaymentKind::Refund } else { PaymentKind::Received } as i32,
        account: row.account.parse::<MemberId>().ok().as_ref().map(Into::into),
        id: row.id,
        channel: row.channel,
        channel_payment_id: row.channel_payment_id,
        amount_tiyin: row.amount_tiyin,
        invoice_number: row.invoice_number.unwrap_or_default(),
        paid_at: Some(timestamp(row.paid_at)),
        allocations: allocations
            .into_iter()
            .map(|a| pb::PaymentAllocation { invoice_number: a.invoice_number, amount_tiyin: a.amount_tiyin })
            .collect(),
        credited_tiyin: row.credited_tiyin,
        recorded_at: Some(timestamp(row.recorded_at)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_authz::{Identity, Role};

    /// A report names its channel exactly when a payment-channel certificate can name it: one rule for both.
    #[test]
    fn a_channel_is_reported_exactly_when_a_certificate_can_name_it() {
        let account = koprik_proto::common::MemberId {
            instance: "UZ".into(),
            member_class: "COM".into(),
            member_code: "207028220".into(),
        };
        let names = ["uzcard", "test-bank", "bank-", "9pay", "-uzcard", "", "agro_bank", "Uzcard", "a.b"];
        let long = ["a".repeat(63), "a".repeat(64)];
        for name in names.iter().copied().chain(long.iter().map(String::as_str)) {
            let reported = report(name, "p-1", Some(&account), 100);
            let certified = Identity::new(Role::PaymentChannel, name);
            assert_eq!(reported.is_ok(), certified.is_ok(), "{name:?}");
            if let Err(e) = reported {
                assert_eq!(e.field, "channel", "{name:?}");
            }
        }
    }
}
