//! End to end: DDP exchanges delivered by the gateway are metered and invoiced by billing; an invoice unpaid
//! after its due date makes the account overdue on `billing.account-status`, the registry suspends the bank's
//! DDP access (A2 §25) and the gateway refuses its calls; payment in full reinstates it. Refused calls are never
//! billed.

use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use koprik_e2e::{demo, person_request, Sandbox};
use koprik_kafka::topics::{EXCHANGE_AUDIT, EXCHANGE_USAGE};
use koprik_kafka::Producer;
use koprik_proto::billing::base_amounts_client::BaseAmountsClient;
use koprik_proto::billing::contracts_client::ContractsClient;
use koprik_proto::billing::invoices_client::InvoicesClient;
use koprik_proto::billing::payments_client::PaymentsClient;
use koprik_proto::billing::{
    CreateContractRequest, GetInvoiceRequest, InvoiceStatus, IssueInvoicesRequest, RecordPaymentRequest,
    SetBaseAmountRequest, Tariff, Tier, TierMode,
};
use koprik_proto::events::{AuditOutcome, AuditRecord, AuditStep, UsageRecord};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::tonic::Code;

/// The month two months back, in Tashkent: its invoice (10 days' terms) is past due whatever today's date.
fn two_months_ago() -> (String, chrono::DateTime<Utc>) {
    let today = Utc::now().with_timezone(&koprik_calendar::TASHKENT).date_naive();
    let first = today.with_day(1).expect("first day") - chrono::Months::new(2);
    let at = first.and_hms_opt(10, 0, 0).expect("time").and_local_timezone(koprik_calendar::TASHKENT).unwrap();
    (format!("{:04}-{:02}", first.year(), first.month()), at.with_timezone(&Utc))
}

#[tokio::test]
async fn an_overdue_invoice_suspends_ddp_access_at_the_gateway_and_payment_reinstates_it() {
    let mut sandbox = Sandbox::start().await;
    let billing = sandbox.start_billing().await;
    let account: MemberId = "UZ/COM/207028220".parse().expect("the demo bank");
    BaseAmountsClient::new(billing.clone())
        .set_base_amount(SetBaseAmountRequest {
            effective_from: "2020-01-01".into(),
            amount_tiyin: 37_500_000,
            decree: "test".into(),
        })
        .await
        .expect("BCA");
    ContractsClient::new(billing.clone())
        .create_contract(CreateContractRequest {
            reference: demo::DDP_CONTRACT.into(),
            account: Some((&account).into()),
            valid_from: "2020-01-01".into(),
            valid_until: "2099-12-31".into(),
            tariff: Some(Tariff {
                mode: TierMode::Graduated as i32,
                tiers: vec![Tier { from_request: 1, rate_basis_points: 50 }],
            }),
            payment_terms_days: 10,
        })
        .await
        .expect("contract");

    // Delivered DDP calls of this month are metered from the gateway's usage records.
    let request = person_request(demo::DEMO_PINFL, &["surname"]);
    sandbox.call_until_delivered(demo::DDP_CONSUMER, request.clone()).await;
    sandbox.call(Some(demo::DDP_CONSUMER), request.clone()).await.expect("second call delivered");
    let mut invoices = InvoicesClient::new(billing.clone());
    let draft = || GetInvoiceRequest { number: String::new(), contract_reference: demo::DDP_CONTRACT.into() };
    wait_until("two calls metered", || async {
        invoices.clone().get_invoice(draft()).await.is_ok_and(|d| d.get_ref().requests == 2)
    })
    .await;

    // Two months ago the bank made one request (recorded then by the gateway, usage and the DELIVERED audit record
    // billing needs to bill it); that month is invoiced now, its due date has passed, and the invoicing loop finds
    // it overdue.
    let (period, at) = two_months_ago();
    let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id");
    let consumer: SubsystemId = demo::DDP_CONSUMER.parse().expect("id");
    let old = UsageRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: uuid::Uuid::now_v7().to_string(),
        account: Some((&account).into()),
        consumer: Some((&consumer).into()),
        service: Some((&service).into()),
        provider: Some(service.provider().into()),
        contract_reference: demo::DDP_CONTRACT.into(),
        received_at: Some(koprik_proto::time::timestamp(at)),
        answered_at: Some(koprik_proto::time::timestamp(at)),
        gateway: "gateway-1".into(),
        ..Default::default()
    };
    let delivered_then = AuditRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: old.request_id.clone(),
        gateway: "gateway-1".into(),
        consumer: old.consumer.clone(),
        service: old.service.clone(),
        outcome: AuditOutcome::Delivered as i32,
        step: AuditStep::Call as i32,
        received_at: old.received_at,
        completed_at: old.answered_at,
        // A chain of its own, so the running gateway's chain is not touched.
        chain: "e2e-history".into(),
        ..Default::default()
    };
    let producer = Producer::new(&sandbox.broker.kafka_config(), "e2e-gateway").expect("producer");
    producer
        .publish(EXCHANGE_AUDIT, "e2e-history", &delivered_then, &delivered_then.event_id, None)
        .await
        .expect("produced");
    producer.publish(EXCHANGE_USAGE, &account.to_string(), &old, &old.event_id, None).await.expect("produced");
    let started = Instant::now();
    let invoice = loop {
        let issued = invoices.issue_invoices(IssueInvoicesRequest { period: period.clone() }).await.expect("issued");
        if let Some(invoice) = issued.into_inner().invoices.into_iter().next() {
            break invoice;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the old month's request was never invoiced");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((invoice.requests, invoice.total_tiyin), (1, 187_500), "0.5 % of 375 000 soʻm");

    // Suspended: the gateway refuses the bank's calls, naming the ground; refused calls are not billed.
    let (refused, delivered_meanwhile) = wait_for_refusal(&mut sandbox, request.clone()).await;
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("suspended"), "{}", refused.message());
    let status = invoices
        .get_invoice(GetInvoiceRequest { number: invoice.number.clone(), contract_reference: String::new() })
        .await;
    assert_eq!(status.expect("invoice").into_inner().status, InvoiceStatus::Overdue as i32);

    // Paid in full, reported by the payment organisation under its own channel name: reinstated, and calls are
    // delivered again.
    let billing_addr = sandbox.billing_addr.expect("billing runs");
    let channel = sandbox.channel_as(billing_addr, koprik_cli::demo_pki::PAYMENT_CHANNEL).await;
    PaymentsClient::new(channel)
        .record_payment(RecordPaymentRequest {
            channel: "namuna-pay".into(),
            channel_payment_id: "PN-000123".into(),
            account: Some((&account).into()),
            amount_tiyin: invoice.total_tiyin,
            invoice_number: invoice.number.clone(),
            paid_at: Some(koprik_proto::time::timestamp(Utc::now())),
        })
        .await
        .expect("payment recorded");
    let start = Instant::now();
    loop {
        match sandbox.call(Some(demo::DDP_CONSUMER), request.clone()).await {
            Ok(_) => break,
            Err(e) if start.elapsed() < Duration::from_secs(15) => {
                assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("not reinstated after payment: {e:?}"),
        }
    }
    // Every call delivered this month is billed; the refused ones are not.
    let delivered = 3 + delivered_meanwhile;
    wait_until("the delivered calls metered", || async {
        invoices.clone().get_invoice(draft()).await.is_ok_and(|d| d.get_ref().requests == delivered)
    })
    .await;
    sandbox.stop().await;
}

/// Calls until the gateway refuses; returns the refusal and how many calls were delivered before it.
async fn wait_for_refusal(
    sandbox: &mut Sandbox,
    request: koprik_proto::exchange::CallRequest,
) -> (koprik_proto::tonic::Status, u64) {
    let start = Instant::now();
    let mut delivered = 0;
    loop {
        match sandbox.call(Some(demo::DDP_CONSUMER), request.clone()).await {
            Err(status) => return (status, delivered),
            Ok(_) if start.elapsed() < Duration::from_secs(15) => {
                delivered += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(_) => panic!("the bank's DDP access was not suspended"),
        }
    }
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(15), "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
