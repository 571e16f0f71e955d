//! The events billing publishes, each written to the outbox in the transaction of the change it reports:
//! `billing.invoices` (issued, paid, overdue, voided), `billing.payments` (received, matched, refunded) and
//! `billing.account-status` (overdue → the registry suspends DDP access; current → it reinstates it), all keyed by
//! the account's member id so one account's events stay in order; and `billing.contracts` (every recorded
//! contract, compacted, keyed by its reference), from which the Open Data Portal learns whose contract an API key
//! may be billed to.

use chrono::{DateTime, Utc};
use koprik_kafka::topics::{BILLING_ACCOUNT_STATUS, BILLING_CONTRACTS, BILLING_INVOICES, BILLING_PAYMENTS};
use koprik_proto::billing::{Contract, Invoice, Payment};
use koprik_proto::events::{
    AccountStanding, AccountStatusEvent, ContractEvent, InvoiceEvent, InvoiceEventKind, PaymentEvent, PaymentEventKind,
};
use koprik_proto::ids::MemberId;
use koprik_proto::time::timestamp;
use sea_orm::{ConnectionTrait, DbErr};

fn new_event_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn key(account: Option<&koprik_proto::common::MemberId>) -> String {
    account.and_then(|a| MemberId::try_from(a).ok()).map(|a| a.to_string()).unwrap_or_default()
}

/// Writes an invoice event with the invoice's state after the change.
pub async fn invoice<C: ConnectionTrait>(
    db: &C,
    kind: InvoiceEventKind,
    invoice: &Invoice,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let event_id = new_event_id();
    let event = InvoiceEvent {
        event_id: event_id.clone(),
        kind: kind as i32,
        invoice: Some(invoice.clone()),
        occurred_at: Some(timestamp(at)),
    };
    koprik_outbox::enqueue(db, BILLING_INVOICES, &key(invoice.account.as_ref()), &event_id, &event, None).await
}

/// Writes a payment event with the payment's state.
pub async fn payment<C: ConnectionTrait>(
    db: &C,
    kind: PaymentEventKind,
    payment: &Payment,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let event_id = new_event_id();
    let event = PaymentEvent {
        event_id: event_id.clone(),
        kind: kind as i32,
        payment: Some(payment.clone()),
        occurred_at: Some(timestamp(at)),
    };
    koprik_outbox::enqueue(db, BILLING_PAYMENTS, &key(payment.account.as_ref()), &event_id, &event, None).await
}

/// Writes a change of the account's standing.
pub async fn account_status<C: ConnectionTrait>(
    db: &C,
    account: &MemberId,
    standing: AccountStanding,
    reason: &str,
    contract_reference: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let event_id = new_event_id();
    let event = AccountStatusEvent {
        event_id: event_id.clone(),
        account: Some(account.into()),
        standing: standing as i32,
        contract_reference: contract_reference.to_owned(),
        reason: reason.to_owned(),
        occurred_at: Some(timestamp(at)),
    };
    koprik_outbox::enqueue(db, BILLING_ACCOUNT_STATUS, &account.to_string(), &event_id, &event, None).await
}

/// Writes a contract's whole state to `billing.contracts`, keyed by its reference (the topic is compacted: the
/// latest state per contract stays).
pub async fn contract<C: ConnectionTrait>(db: &C, contract: &Contract, at: DateTime<Utc>) -> Result<(), DbErr> {
    let event_id = new_event_id();
    let event = ContractEvent {
        event_id: event_id.clone(),
        contract: Some(contract.clone()),
        occurred_at: Some(timestamp(at)),
    };
    koprik_outbox::enqueue(db, BILLING_CONTRACTS, &contract.reference, &event_id, &event, None).await
}
