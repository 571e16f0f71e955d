//! Payments, account standing and revenue distribution against a real broker and database: partial payments,
//! overpayments, idempotent reports, voiding with a credit note and refunds, overdue accounts on
//! `billing.account-status`, and a month's revenue distributed exactly.

mod common;

use std::time::Duration;

use common::*;
use koprik_proto::billing::{
    GetAccountRequest, InvoiceStatus, ListLedgerEntriesRequest, Recipient, RefundCreditRequest, Standing, TierMode,
    VoidInvoiceRequest,
};
use koprik_proto::events::{AccountStanding, AccountStatusEvent, InvoiceEvent, InvoiceEventKind};
use koprik_proto::ids::MemberId;
use koprik_proto::tonic::Code;

/// October with `n` requests of the person service at 0.1 % (37 500 tiyin each), invoiced; due 2026-11-10, so
/// overdue now.
async fn invoiced_october(h: &Harness, n: usize) -> koprik_proto::billing::Invoice {
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    let records: Vec<_> = (0..n)
        .map(|i| {
            let service = if i % 2 == 0 { SERVICE } else { OTHER_SERVICE };
            usage(&format!("req-{i}"), service, tashkent("2026-10-10T10:00:00") + chrono::Duration::seconds(i as i64))
        })
        .collect();
    h.produce(&records).await;
    h.wait_for_usage(n as u64).await;
    h.issue("2026-10").await
}

/// The account, as the company reads its own.
async fn account(h: &Harness) -> koprik_proto::billing::Account {
    h.payments(COMPANY)
        .get_account(GetAccountRequest { account: Some(common::account()) })
        .await
        .expect("account")
        .into_inner()
}

async fn wait_for_status(h: &Harness, status: InvoiceStatus, number: &str) -> koprik_proto::billing::Invoice {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let invoice = h.invoice(number).await;
        if invoice.status == status as i32 {
            return invoice;
        }
        assert!(tokio::time::Instant::now() < deadline, "invoice {number} stayed {:?}", invoice.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_overdue_invoice_makes_the_account_overdue_and_full_payment_makes_it_current() {
    let h = start().await;
    let invoice = invoiced_october(&h, 4).await;
    assert_eq!(invoice.total_tiyin, 4 * 37_500);
    assert_eq!(invoice.due_on, "2026-11-10");
    // The invoicing loop finds it past its due date.
    let overdue = wait_for_status(&h, InvoiceStatus::Overdue, &invoice.number).await;
    assert_eq!(account(&h).await.standing, Standing::Overdue as i32);
    let event = koprik_testkit::kafka::wait_for_record::<AccountStatusEvent, _>(
        &h.broker.kafka_config(),
        "billing.account-status",
        Duration::from_secs(10),
        |e| e.value.standing == AccountStanding::Overdue as i32,
    )
    .await;
    assert_eq!(event.key, ACCOUNT);
    assert!(event.value.reason.contains(&overdue.number), "{}", event.value.reason);
    // Operators see it: the gauge the OverdueInvoices alert watches.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
        if page.lines().any(|line| line == "koprik_billing_invoices_overdue 1") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no overdue invoice on /metrics:\n{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A partial payment leaves it overdue.
    let first = h.pay("pay-1", 100_000, &invoice.number).await;
    assert_eq!(first.allocations.len(), 1);
    assert_eq!((first.allocations[0].amount_tiyin, first.credited_tiyin), (100_000, 0));
    assert_eq!(h.invoice(&invoice.number).await.status, InvoiceStatus::Overdue as i32);
    assert_eq!(account(&h).await.outstanding_tiyin, 50_000);

    // The rest, with 20 000 too much, and without naming the invoice: applied to the oldest outstanding one.
    let second = h.pay("pay-2", 70_000, "").await;
    assert_eq!((second.allocations[0].amount_tiyin, second.credited_tiyin), (50_000, 20_000));
    let paid = h.invoice(&invoice.number).await;
    assert_eq!((paid.status, paid.paid_tiyin), (InvoiceStatus::Paid as i32, 150_000));
    let now = account(&h).await;
    assert_eq!((now.standing, now.outstanding_tiyin, now.credit_tiyin), (Standing::Current as i32, 0, 20_000));
    koprik_testkit::kafka::wait_for_record::<AccountStatusEvent, _>(
        &h.broker.kafka_config(),
        "billing.account-status",
        Duration::from_secs(10),
        |e| e.value.standing == AccountStanding::Current as i32,
    )
    .await;

    // The same report again is the same payment; the same id with another amount is refused.
    let again = h.pay("pay-2", 70_000, "").await;
    assert_eq!(again.id, second.id);
    let conflict = h.payments(BANK).record_payment(payment("pay-2", 70_001, "")).await.expect_err("different");
    assert_eq!(conflict.code(), Code::AlreadyExists);

    // The operator refunds the credit through the bank, once, and no more than there is.
    let refund = |id: &str, amount: i64| RefundCreditRequest {
        channel: "test-bank".into(),
        channel_payment_id: id.into(),
        account: Some(common::account()),
        amount_tiyin: amount,
    };
    h.payments(OPERATOR).refund_credit(refund("refund-1", 20_000)).await.expect("refunded");
    let too_much = h.payments(OPERATOR).refund_credit(refund("refund-2", 1)).await.expect_err("no credit left");
    assert_eq!(too_much.code(), Code::FailedPrecondition);
    assert_eq!(account(&h).await.credit_tiyin, 0);

    // Every ledger transaction balances, as an auditor reads them.
    let entries = h
        .revenue(AUDITOR)
        .list_ledger_entries(ListLedgerEntriesRequest { invoice_number: String::new(), period: current_period() })
        .await
        .expect("ledger")
        .into_inner()
        .entries;
    let mut by_transaction = std::collections::BTreeMap::<String, i64>::new();
    for e in &entries {
        *by_transaction.entry(e.transaction_id.clone()).or_default() += e.debit_tiyin - e.credit_tiyin;
    }
    // Issued, paid in part, paid in full, revenue distributed, credit refunded.
    assert_eq!(by_transaction.len(), 5, "{by_transaction:?}");
    assert!(by_transaction.values().all(|&balance| balance == 0), "{by_transaction:?}");
    h.stop().await;
}

fn current_period() -> String {
    chrono::Utc::now().with_timezone(&koprik_calendar::TASHKENT).format("%Y-%m").to_string()
}

#[tokio::test]
async fn a_month_of_revenue_is_distributed_exactly_by_the_decree() {
    let h = start().await;
    // 7 requests: 4 of the civil registry, 3 of the tax committee, at 37 500 tiyin.
    let invoice = invoiced_october(&h, 7).await;
    assert_eq!(invoice.total_tiyin, 262_500);
    h.pay("pay-all", invoice.total_tiyin, &invoice.number).await;
    let report = h
        .revenue(AUDITOR)
        .get_distribution_report(koprik_proto::billing::DistributionReportRequest { period: current_period() })
        .await
        .expect("report")
        .into_inner();
    assert_eq!(report.revenue_tiyin, 262_500);
    assert_eq!(report.rows.iter().map(|r| r.amount_tiyin).sum::<i64>(), report.revenue_tiyin, "sums to the tiyin");
    let amount = |recipient: Recipient, provider: Option<&str>| {
        report
            .rows
            .iter()
            .filter(|r| r.recipient == recipient as i32)
            .filter(|r| {
                provider.is_none_or(|p| {
                    r.provider.as_ref().and_then(|m| MemberId::try_from(m).ok()).is_some_and(|m| m.to_string() == p)
                })
            })
            .map(|r| r.amount_tiyin)
            .sum::<i64>()
    };
    // 25 % of each provider's own lines: 150 000 × 25 % and 112 500 × 25 %.
    assert_eq!(amount(Recipient::Provider, Some("UZ/GOV/201122919")), 37_500);
    assert_eq!(amount(Recipient::Provider, Some("UZ/GOV/200935935")), 28_125);
    assert_eq!(amount(Recipient::EgovCenter, None), 65_625);
    assert_eq!(amount(Recipient::CybersecurityCenter, None), 26_250);
    assert_eq!(amount(Recipient::DigitalTechnologiesCenter, None), 26_250);
    assert_eq!(amount(Recipient::StateBudget, None), 262_500 - 37_500 - 28_125 - 65_625 - 26_250 - 26_250);
    let csv = String::from_utf8(report.csv).expect("utf-8");
    assert!(csv.starts_with("recipient,provider,amount_tiyin,amount_uzs,invoices\n"), "{csv}");
    assert!(csv.contains("RECIPIENT_STATE_BUDGET,,78750,787.50,1"), "{csv}");
    h.stop().await;
}

#[tokio::test]
async fn a_voided_invoice_gets_a_credit_note_and_what_was_paid_becomes_credit() {
    let h = start().await;
    let invoice = invoiced_october(&h, 2).await;
    h.pay("pay-part", 30_000, &invoice.number).await;
    let voided = h
        .invoices(OPERATOR)
        .void_invoice(VoidInvoiceRequest { number: invoice.number.clone(), reason: "billed in error".into() })
        .await
        .expect("voided")
        .into_inner();
    assert_eq!(voided.status, InvoiceStatus::Void as i32);
    assert_eq!(voided.credit_note_number.len(), 14);
    assert_ne!(voided.credit_note_number, invoice.number);
    let now = account(&h).await;
    assert_eq!((now.outstanding_tiyin, now.credit_tiyin, now.standing), (0, 30_000, Standing::Current as i32));
    let again = h
        .invoices(OPERATOR)
        .void_invoice(VoidInvoiceRequest { number: invoice.number.clone(), reason: "twice".into() })
        .await
        .expect_err("void already");
    assert_eq!(again.code(), Code::FailedPrecondition);
    let event = koprik_testkit::kafka::wait_for_record::<InvoiceEvent, _>(
        &h.broker.kafka_config(),
        "billing.invoices",
        Duration::from_secs(10),
        |e| e.value.kind == InvoiceEventKind::Voided as i32,
    )
    .await;
    assert_eq!(event.value.invoice.expect("invoice").credit_note_number, voided.credit_note_number);
    h.stop().await;
}
