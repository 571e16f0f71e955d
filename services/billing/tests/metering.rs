//! Metering against a real broker and database: each request is billed once however often its usage record is
//! delivered, and a crash between storing and committing loses nothing and counts nothing twice.

mod common;

use std::time::Duration;

use common::*;
use koprik_proto::billing::{GetInvoiceRequest, TierMode};
use koprik_proto::events::UsageRecord;

/// The running draft, as the company reads it.
async fn draft(h: &Harness) -> koprik_proto::billing::Invoice {
    h.invoices(COMPANY)
        .get_invoice(GetInvoiceRequest { number: String::new(), contract_reference: CONTRACT.into() })
        .await
        .expect("draft")
        .into_inner()
}

#[tokio::test]
async fn the_same_usage_record_delivered_three_times_is_billed_once() {
    let h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    let at = tashkent("2026-10-05T10:00:00");
    let once = usage("req-1", SERVICE, at);
    let other = usage("req-2", SERVICE, at);
    // The gateway retried twice (each retry a new event id), and a consumer replayed the topic.
    let mut again = once.clone();
    again.event_id = uuid::Uuid::now_v7().to_string();
    h.produce(&[once.clone(), again, other, once]).await;
    h.wait_for_usage(2).await;

    let invoice = h.issue("2026-10").await;
    assert_eq!(invoice.requests, 2);
    assert_eq!(invoice.total_tiyin, 2 * 37_500);
    assert_eq!(invoice.number.len(), 14);
    h.stop().await;
}

#[tokio::test]
async fn a_crash_between_consuming_and_committing_loses_nothing_and_counts_nothing_twice() {
    let mut h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    let records: Vec<UsageRecord> = (0..600)
        .map(|i| usage(&format!("req-{i:04}"), SERVICE, tashkent("2026-10-05T10:00:00") + chrono::Duration::seconds(i)))
        .collect();
    h.produce(&records).await;
    // Kill billing while it works through the topic (batches of 50), three times, at different moments.
    for pause in [30, 60, 90] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        h.crash_and_restart().await;
    }
    h.wait_for_usage(600).await;
    assert_eq!(draft(&h).await.requests, 600);
    // And once more after everything was stored: the replay of any uncommitted batch stores nothing new.
    h.crash_and_restart().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.wait_for_usage(600).await;
    let invoice = h.issue("2026-10").await;
    assert_eq!(invoice.requests, 600);
    assert_eq!(invoice.total_tiyin, 600 * 37_500);
    h.stop().await;
}

#[tokio::test]
async fn an_unreadable_usage_record_goes_to_the_dead_letter_topic_and_the_rest_is_billed() {
    let h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    let mut broken = usage("req-broken", SERVICE, tashkent("2026-10-05T10:00:00"));
    broken.provider = None;
    h.produce(&[broken, usage("req-good", SERVICE, tashkent("2026-10-05T10:00:01"))]).await;
    h.wait_for_usage(1).await;
    let dead = koprik_testkit::kafka::wait_for_raw(
        &h.broker.kafka_config(),
        "exchange.usage.dlq",
        Duration::from_secs(10),
        |_| true,
    )
    .await;
    let reason = dead.header("koprik-dlq-reason").unwrap_or_default().to_owned();
    assert!(reason.contains("UsageRecord.provider"), "{reason}");
    assert_eq!(draft(&h).await.requests, 1);
    h.stop().await;
}
