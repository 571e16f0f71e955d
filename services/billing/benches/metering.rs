//! `make bench` (billing part): how many usage events billing rates per second on this machine, end to end from
//! `exchange.usage` to the ledger, on PostgreSQL (`TEST_DATABASE_URL`, default the local test server) and one
//! Tansu broker.
//!
//! 0. billing starts once on an empty broker to record the BCA and the `ACCOUNTS` contracts (as in production,
//!    contracts exist before their usage), and stops.
//! 1. **metering and reconciliation**: `EVENTS` usage records (spread over `ACCOUNTS` accounts, each with its
//!    contract) are put on `exchange.usage`, and the DELIVERED audit record of each request on `exchange.audit`
//!    (as the gateway writes them: usage, then audit); then billing starts again, and the clock runs until every
//!    request is stored *and reconciled* (both consumers in batched transactions, offsets committed after each;
//!    usage whose audit record was stored at the same moment is matched by the reconciliation loop).
//! 2. **rating**: the month is invoiced: every request priced into invoice lines, numbered, posted to the ledger.
//! 3. **payment**: every invoice paid in full, distributing its revenue in the ledger.
//!
//! Billing serves mTLS as in production: the operator and the payment channel call with certificates of a test
//! CA, registered on `registry.events` before billing starts, beside the registry's heartbeats, so each call passes
//! the authorization guard.
//!
//! Target (issue 5): at least 20 000 usage events per second end to end (metering + rating). The bench exits with
//! code 1 when it is missed.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use koprik_billing::config::{InvoicingConfig, MeteringConfig, ReconciliationConfig};
use koprik_billing::{run, BillingConfig, Listeners};
use koprik_kafka::topics::{TopicSpec, AUDIT_RETENTION, EXCHANGE_AUDIT, EXCHANGE_USAGE, USAGE_RETENTION};
use koprik_kafka::{Producer, RecordHeaders};
use koprik_proto::billing::base_amounts_client::BaseAmountsClient;
use koprik_proto::billing::contracts_client::ContractsClient;
use koprik_proto::billing::invoices_client::InvoicesClient;
use koprik_proto::billing::payments_client::PaymentsClient;
use koprik_proto::billing::{
    CreateContractRequest, IssueInvoicesRequest, RecordPaymentRequest, SetBaseAmountRequest, Tariff, Tier, TierMode,
};
use koprik_proto::events::{AuditRecord, UsageRecord};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::prost::{Message, Name};
use koprik_proto::tonic::transport::Channel;
use koprik_runtime::config::{DatabaseConfig, GrpcServerConfig, MetricsConfig};
use koprik_runtime::CancellationToken;
use koprik_testkit::{Broker, RegistryHeartbeats, TestPki};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::net::TcpListener;

#[path = "../tests/common/delivered_audit.rs"]
mod delivered;
use delivered::delivered_audit;

const EVENTS: usize = 200_000;
const ACCOUNTS: usize = 50;
const TARGET_PER_SECOND: f64 = 20_000.0;
const PERIOD: &str = "2026-10";
/// Who records the BCA, the contracts and issues the invoices.
const OPERATOR: &str = "operator:bench";
/// Who reports the payments (channel `bench-bank`).
const BANK: &str = "payment-channel:bench-bank";

fn account(i: usize) -> MemberId {
    format!("UZ/COM/{:09}", 300_000_000 + i).parse().expect("member id")
}

fn record(i: usize, start: DateTime<Utc>) -> UsageRecord {
    let account = account(i % ACCOUNTS);
    let consumer = SubsystemId::new(account.clone(), "kyc-check").expect("subsystem");
    let service: ServiceId = if i % 3 == 0 {
        "UZ/GOV/200935935/tax-registry/company-by-stir/v1".parse().expect("id")
    } else {
        "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id")
    };
    let at = start + chrono::Duration::milliseconds(i as i64 * 10);
    UsageRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: uuid::Uuid::now_v7().to_string(),
        account: Some((&account).into()),
        consumer: Some((&consumer).into()),
        service: Some((&service).into()),
        provider: Some(service.provider().into()),
        grant_id: "grant".into(),
        contract_reference: format!("DDP-BENCH-{}", i % ACCOUNTS),
        data_items: vec!["full_name".into()],
        received_at: Some(koprik_proto::time::timestamp(at)),
        answered_at: Some(koprik_proto::time::timestamp(at)),
        gateway: "gateway-1".into(),
    }
}

/// Billing's configuration for the bench.
fn config(
    pki: &TestPki,
    grpc: &TcpListener,
    metrics: &TcpListener,
    database: &DatabaseConfig,
    kafka: &koprik_kafka::KafkaConfig,
) -> BillingConfig {
    BillingConfig {
        grpc: GrpcServerConfig { listen: grpc.local_addr().expect("addr"), tls: pki.server_tls() },
        metrics: MetricsConfig { listen: metrics.local_addr().expect("addr") },
        database: database.clone(),
        kafka: kafka.clone(),
        metering: MeteringConfig {
            batch_size: 5000,
            batch_linger: Duration::from_millis(50),
            ..BillingConfig::default().metering
        },
        reconciliation: ReconciliationConfig {
            batch_size: 5000,
            batch_linger: Duration::from_millis(50),
            interval: Duration::from_millis(500),
            ..BillingConfig::default().reconciliation
        },
        invoicing: InvoicingConfig {
            grace: Duration::from_secs(10 * 365 * 24 * 3600),
            interval: Duration::from_secs(3600),
        },
        ..BillingConfig::default()
    }
}

async fn fresh_database() -> (DatabaseConfig, String) {
    let admin = std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("koprik_bench_{}", uuid::Uuid::new_v4().simple());
    let db = sea_orm::Database::connect(&admin).await.expect("PostgreSQL for the benchmark");
    db.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("bench database created");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    (DatabaseConfig { max_connections: 5, ..DatabaseConfig::with_url(format!("{base}/{name}")) }, name)
}

/// Records the BCA and the `ACCOUNTS` contracts, as the operator.
async fn record_contracts(channel: &Channel) {
    BaseAmountsClient::new(channel.clone())
        .set_base_amount(SetBaseAmountRequest {
            effective_from: "2026-01-01".into(),
            amount_tiyin: 37_500_000,
            decree: "bench".into(),
        })
        .await
        .expect("BCA");
    for i in 0..ACCOUNTS {
        ContractsClient::new(channel.clone())
            .create_contract(CreateContractRequest {
                reference: format!("DDP-BENCH-{i}"),
                account: Some((&account(i)).into()),
                valid_from: "2026-01-01".into(),
                valid_until: "2030-12-31".into(),
                tariff: Some(Tariff {
                    mode: TierMode::Graduated as i32,
                    tiers: vec![
                        Tier { from_request: 1, rate_basis_points: 200 },
                        Tier { from_request: 1_001, rate_basis_points: 100 },
                        Tier { from_request: 3_001, rate_basis_points: 10 },
                    ],
                }),
                payment_terms_days: 15,
            })
            .await
            .expect("contract");
    }
}

#[tokio::main]
async fn main() {
    let broker = Broker::start().await;
    let kafka = broker.kafka_config();
    koprik_kafka::admin::ensure_topics(
        &kafka,
        &[TopicSpec::retained(EXCHANGE_USAGE, USAGE_RETENTION), TopicSpec::retained(EXCHANGE_AUDIT, AUDIT_RETENTION)],
    )
    .await
    .expect("topics");
    let (database, name) = fresh_database().await;
    let pki = TestPki::new();
    koprik_testkit::publish_certificates(&kafka, &[pki.record(OPERATOR), pki.record(BANK)]).await;
    // Without a registry, its heartbeats: billing refuses every call while the registry is silent.
    let _heartbeats = RegistryHeartbeats::start(&kafka).await;

    // The BCA and the contracts, recorded before the month's usage arrives.
    {
        let grpc = TcpListener::bind("127.0.0.1:0").await.expect("port");
        let metrics = TcpListener::bind("127.0.0.1:0").await.expect("port");
        let addr = grpc.local_addr().expect("addr");
        let config = config(&pki, &grpc, &metrics, &database, &kafka);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(config, Listeners { grpc, metrics }, shutdown.clone()));
        let channel: Channel = pki.channel(addr, Some(OPERATOR)).await;
        record_contracts(&channel).await;
        shutdown.cancel();
        task.await.expect("billing task").expect("billing stopped cleanly");
    }

    // The usage of a busy month and its audit trail, produced before billing starts again.
    let producer = Producer::new(&kafka, "bench-gateway").expect("producer");
    let start_of_month = DateTime::parse_from_rfc3339("2026-10-01T00:00:00+05:00").expect("time").with_timezone(&Utc);
    let produced = Instant::now();
    let mut pending = Vec::with_capacity(2 * EVENTS);
    for i in 0..EVENTS {
        let record = record(i, start_of_month);
        let headers = RecordHeaders {
            event_id: Some(record.event_id.clone()),
            event_type: Some(UsageRecord::full_name()),
            traceparent: None,
        };
        let key = account(i % ACCOUNTS).to_string();
        pending
            .push(producer.enqueue_encoded(EXCHANGE_USAGE, &key, &record.encode_to_vec(), &headers).expect("queued"));
        let audit = AuditRecord { sequence: i as u64, ..delivered_audit(&record) };
        let headers = RecordHeaders {
            event_id: Some(audit.event_id.clone()),
            event_type: Some(AuditRecord::full_name()),
            traceparent: None,
        };
        pending.push(
            producer.enqueue_encoded(EXCHANGE_AUDIT, &audit.chain, &audit.encode_to_vec(), &headers).expect("queued"),
        );
    }
    for delivery in pending {
        delivery.await.expect("delivered");
    }
    eprintln!("produced {EVENTS} usage and {EVENTS} audit records in {:.1} s", produced.elapsed().as_secs_f64());

    let grpc = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let metrics = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let addr = grpc.local_addr().expect("addr");
    let config = config(&pki, &grpc, &metrics, &database, &kafka);
    let shutdown = CancellationToken::new();
    let metering_started = Instant::now();
    let task = tokio::spawn(run(config, Listeners { grpc, metrics }, shutdown.clone()));
    let channel: Channel = pki.channel(addr, Some(OPERATOR)).await;
    let bank: Channel = pki.channel(addr, Some(BANK)).await;
    let db = sea_orm::Database::connect(&database.url).await.expect("bench database");
    // The first stored batch marks the end of start-up (joining the consumer groups); the clock stops when every
    // request is stored and reconciled.
    let mut first: Option<(Instant, u64)> = None;
    let mut stored_at: Option<Instant> = None;
    loop {
        use koprik_billing::store::usage_event;
        let stored = usage_event::Entity::find().count(&db).await.unwrap_or(0);
        if first.is_none() && stored > 0 {
            first = Some((Instant::now(), stored));
        }
        if stored as usize >= EVENTS {
            stored_at.get_or_insert_with(Instant::now);
            let reconciled = usage_event::Entity::find()
                .filter(usage_event::Column::Reconciliation.eq(koprik_billing::reconciliation::RECONCILED))
                .count(&db)
                .await
                .unwrap_or(0);
            if reconciled as usize >= EVENTS {
                break;
            }
        }
        assert!(metering_started.elapsed() < Duration::from_secs(600), "metering stalled at {stored}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (first_at, first_stored) = first.expect("something was stored");
    let start_up = first_at - metering_started;
    let metering = first_at.elapsed();
    let stored_after = stored_at.map_or(metering, |at| at - first_at);
    let metered = EVENTS as u64 - first_stored;

    let rating_started = Instant::now();
    let invoices = InvoicesClient::new(channel.clone())
        .issue_invoices(IssueInvoicesRequest { period: PERIOD.into() })
        .await
        .expect("issued")
        .into_inner()
        .invoices;
    let rating = rating_started.elapsed();
    assert_eq!(invoices.len(), ACCOUNTS);
    assert_eq!(invoices.iter().map(|i| i.requests).sum::<u64>() as usize, EVENTS);

    let paying_started = Instant::now();
    for (i, invoice) in invoices.iter().enumerate() {
        PaymentsClient::new(bank.clone())
            .record_payment(RecordPaymentRequest {
                channel: "bench-bank".into(),
                channel_payment_id: format!("P-{i}"),
                account: invoice.account.clone(),
                amount_tiyin: invoice.total_tiyin,
                invoice_number: invoice.number.clone(),
                paid_at: Some(koprik_proto::time::timestamp(Utc::now())),
            })
            .await
            .expect("paid");
    }
    let paying = paying_started.elapsed();
    shutdown.cancel();
    task.await.expect("billing task").expect("billing stopped cleanly");
    db.close().await.ok();

    let per_second = |d: Duration| EVENTS as f64 / d.as_secs_f64();
    let metering_rate = metered as f64 / metering.as_secs_f64();
    // Each event passes metering (as it arrives) and rating (when its month is invoiced): the end-to-end rate is
    // one over the sum of the time each takes per event. Start-up is a one-time cost, shown apart.
    let end_to_end_rate = 1.0 / (1.0 / metering_rate + 1.0 / per_second(rating));
    println!("billing on PostgreSQL, {EVENTS} usage events, {ACCOUNTS} accounts and contracts, graduated tiers:");
    println!("  start-up to the first stored batch:       {:>8.2} s", start_up.as_secs_f64());
    println!(
        "  metering and reconciliation (exchange.usage + exchange.audit → reconciled usage): {:>6.2} s  {metering_rate:>9.0} events/s  (all stored after {:.2} s)",
        metering.as_secs_f64(),
        stored_after.as_secs_f64(),
    );
    println!(
        "  rating (invoices issued, ledger posted):  {:>8.2} s  {:>9.0} events/s",
        rating.as_secs_f64(),
        per_second(rating)
    );
    println!(
        "  end to end (metered, then rated):                     {end_to_end_rate:>9.0} events/s  (target ≥ {TARGET_PER_SECOND:.0})"
    );
    println!(
        "  {ACCOUNTS} payments with revenue distribution: {:>6.2} s  {:>9.1} ms each",
        paying.as_secs_f64(),
        paying.as_secs_f64() * 1000.0 / ACCOUNTS as f64
    );

    let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if let Ok(admin) = sea_orm::Database::connect(&admin).await {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE {name}")).await;
    }
    if end_to_end_rate < TARGET_PER_SECOND {
        eprintln!("TARGET MISSED: {end_to_end_rate:.0} usage events/s end to end, target {TARGET_PER_SECOND:.0}");
        std::process::exit(1);
    }
}
