//! Billing's events as a finance system sees them: an ordinary Kafka consumer (plain rdkafka, no Ko'prik code)
//! subscribes to `billing.invoices` and `billing.payments` and decodes the values with the types generated from
//! the published `.proto` files.

mod common;

use std::time::Duration;

use common::*;
use koprik_proto::billing::TierMode;
use koprik_proto::events::{InvoiceEvent, InvoiceEventKind, PaymentEvent, PaymentEventKind};
use koprik_proto::prost::Message as _;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers;
use rdkafka::Message;

#[tokio::test]
async fn an_ordinary_kafka_consumer_decodes_invoice_and_payment_events() {
    let h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    h.produce(&[usage("req-1", SERVICE, tashkent("2026-10-03T08:00:00"))]).await;
    h.wait_for_usage(1).await;
    let invoice = h.issue("2026-10").await;
    h.pay("pay-1", invoice.total_tiyin, &invoice.number).await;

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", h.broker.bootstrap())
        .set("group.id", "finance-system")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "10")
        .create()
        .expect("consumer");
    consumer.subscribe(&["billing.invoices", "billing.payments"]).expect("subscribed");
    let (mut invoice_kinds, mut payment_kinds) = (Vec::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !invoice_kinds.contains(&InvoiceEventKind::Paid) || payment_kinds.len() < 2 {
        let record = tokio::time::timeout_at(deadline, consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {invoice_kinds:?} and {payment_kinds:?} arrived"))
            .expect("record");
        let header = |name: &str| {
            record.headers().and_then(|hs| {
                hs.iter().find(|h| h.key == name).and_then(|h| h.value).map(|v| String::from_utf8_lossy(v).into_owned())
            })
        };
        assert_eq!(record.key(), Some(ACCOUNT.as_bytes()), "keyed by the account");
        assert!(header("koprik-event-id").is_some_and(|id| id.len() == 36));
        let value = record.payload().expect("value");
        match record.topic() {
            "billing.invoices" => {
                assert_eq!(header("koprik-type").as_deref(), Some("koprik.events.v1.InvoiceEvent"));
                let event = InvoiceEvent::decode(value).expect("an InvoiceEvent");
                assert_eq!(event.invoice.as_ref().expect("invoice").number, invoice.number);
                invoice_kinds.push(event.kind());
            }
            "billing.payments" => {
                assert_eq!(header("koprik-type").as_deref(), Some("koprik.events.v1.PaymentEvent"));
                let event = PaymentEvent::decode(value).expect("a PaymentEvent");
                assert_eq!(event.payment.as_ref().expect("payment").channel_payment_id, "pay-1");
                payment_kinds.push(event.kind());
            }
            other => panic!("unexpected topic {other}"),
        }
    }
    // October's invoice falls due in mid-November, so once the calendar is past that the invoicing loop (every
    // 200 ms here) may mark it overdue between issuing and paying: an Overdue event in between is correct.
    let (first, rest) = invoice_kinds.split_first().expect("events");
    assert_eq!(*first, InvoiceEventKind::Issued, "{invoice_kinds:?}");
    assert_eq!(rest.last(), Some(&InvoiceEventKind::Paid), "{invoice_kinds:?}");
    assert!(rest[..rest.len() - 1].iter().all(|k| *k == InvoiceEventKind::Overdue), "{invoice_kinds:?}");
    assert_eq!(payment_kinds, [PaymentEventKind::Received, PaymentEventKind::Matched]);
    // Leave the group while the broker still runs (stopping the harness stops the broker).
    drop(consumer);
    h.stop().await;
}
