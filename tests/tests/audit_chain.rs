//! End to end: the gateway's audit records form one hash chain per replica on `exchange.audit`, `koprik audit
//! verify` finds it intact, a restarted gateway continues its chain, and a forged record appended to the chain is
//! named as the broken link.

use koprik_cli::commands::audit::{render, verify};
use koprik_e2e::{demo, person_request, Sandbox, GATEWAY_INSTANCE};
use koprik_kafka::topics::EXCHANGE_AUDIT;
use koprik_kafka::Producer;
use koprik_proto::audit_chain::{link_hash, Problem};
use koprik_proto::events::{AuditRecord, AuditStep};
use koprik_proto::prost::Message;

/// Every audit record on the topic, decoded, with its value's link hash.
async fn chain_records(sandbox: &Sandbox) -> Vec<(AuditRecord, String)> {
    sandbox
        .read_topic(EXCHANGE_AUDIT)
        .await
        .into_iter()
        .map(|r| (AuditRecord::decode(r.value.as_slice()).expect("an audit record"), link_hash(&r.value)))
        .collect()
}

#[tokio::test]
async fn calls_form_one_intact_chain_that_survives_a_restart_and_exposes_a_forgery() {
    let mut sandbox = Sandbox::start().await;
    let kafka = sandbox.broker.kafka_config();
    let request = person_request(demo::DEMO_PINFL, &["surname"]);
    sandbox.call_until_delivered(demo::CONSUMER, request.clone()).await;
    for _ in 0..5 {
        sandbox.call(Some(demo::CONSUMER), request.clone()).await.expect("delivered");
        sandbox.call(Some(demo::UNGRANTED_CONSUMER), request.clone()).await.expect_err("refused");
    }

    let report = verify(&kafka).await.expect("the topic is readable");
    assert!(report.intact(), "{}", render(&report));
    assert_eq!(report.chains.len(), 1, "{}", render(&report));
    let before = report.chains[0].clone();
    assert_eq!(before.chain, GATEWAY_INSTANCE);
    assert_eq!(before.first_sequence, 0);
    assert!(before.records >= 11, "{}", render(&report));
    assert_eq!(before.last_sequence + 1, before.records);
    let records = chain_records(&sandbox).await;
    assert!(records.iter().all(|(r, _)| r.step() == AuditStep::Call && r.chain == GATEWAY_INSTANCE));

    // The restarted replica reads its chain's tail and links its first new record to the last old one.
    sandbox.restart_gateway().await;
    sandbox.call_until_delivered(demo::CONSUMER, request.clone()).await;
    let report = verify(&kafka).await.expect("the topic is readable");
    assert!(report.intact(), "{}", render(&report));
    let after = report.chains[0].clone();
    assert!(after.records > before.records);
    let records = chain_records(&sandbox).await;
    let first_new = &records[before.records as usize].0;
    assert_eq!(first_new.sequence, before.last_sequence + 1);
    assert_eq!(first_new.previous_sha256, before.last_sha256);

    // A forged record appended to the gateway's chain: the right next sequence, a link to the wrong record.
    let producer = Producer::new(&kafka, "forger").expect("producer");
    let forged = AuditRecord {
        event_id: "forged".into(),
        request_id: "forged-request".into(),
        gateway: GATEWAY_INSTANCE.into(),
        chain: GATEWAY_INSTANCE.into(),
        sequence: after.last_sequence + 1,
        previous_sha256: records[0].1.clone(),
        step: AuditStep::Call as i32,
        ..Default::default()
    };
    let landed =
        producer.publish(EXCHANGE_AUDIT, GATEWAY_INSTANCE, &forged, "forged", None).await.expect("the broker takes it");
    let report = verify(&kafka).await.expect("the topic is readable");
    assert!(!report.intact());
    let broken = report.first_break().expect("a broken link");
    assert_eq!(broken.chain, GATEWAY_INSTANCE);
    assert_eq!(broken.sequence, forged.sequence);
    assert_eq!((broken.partition, broken.offset), (landed.partition, landed.offset));
    assert!(matches!(broken.problem, Problem::PreviousHash { .. }), "{broken}");
    let rendered = render(&report);
    assert!(rendered.contains(&format!("first broken link: chain {GATEWAY_INSTANCE} sequence")), "{rendered}");
    sandbox.stop().await;
}
