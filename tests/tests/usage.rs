//! End to end: every delivered DDP exchange produces exactly one usage record on `exchange.usage`, attributed to
//! the consumer's account, the provider, the grant and its contract, even while the gateway restarts; IIP
//! exchanges and refused calls produce none (A2 §11, R516 §4b: DDP access is paid per request).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use koprik_e2e::{call_as, demo, person_request, request_id_of, Sandbox};
use koprik_kafka::topics::{EXCHANGE_AUDIT, EXCHANGE_USAGE};
use koprik_proto::events::{AuditOutcome, AuditRecord, UsageRecord};
use koprik_proto::ids::SubsystemId;
use koprik_proto::prost::Message;
use koprik_proto::registry::ListGrantsRequest;

const CALLERS: usize = 4;
const CALLS_PER_CALLER: usize = 40;

#[tokio::test]
async fn each_delivered_ddp_exchange_is_billed_once_across_a_gateway_restart() {
    let mut sandbox = Sandbox::start().await;
    let request = person_request(demo::DEMO_PINFL, &["surname", "birth_date"]);
    sandbox.call_until_delivered(demo::DDP_CONSUMER, request.clone()).await;

    // DDP callers run while the gateway is stopped and started again under them.
    let mut callers = Vec::new();
    let ddp_client = sandbox.client_for(demo::DDP_CONSUMER).await;
    // Each call signed afresh: a signed request is accepted once.
    let signer = sandbox.request_signer(demo::DDP_CONSUMER);
    for _ in 0..CALLERS {
        let mut client = ddp_client.clone();
        let (request, signer) = (request.clone(), signer.clone());
        callers.push(tokio::spawn(async move {
            let (mut delivered, mut failed) = (Vec::new(), 0usize);
            for _ in 0..CALLS_PER_CALLER {
                match call_as(&mut client, signer.sign(request.clone())).await {
                    Ok(response) => delivered.push(response.request_id),
                    Err(_) => {
                        failed += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            (delivered, failed)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(callers.iter().all(|c| !c.is_finished()), "the restart must come mid-run");
    sandbox.restart_gateway().await;
    let (mut delivered, mut failed) = (Vec::new(), 0);
    for caller in callers {
        let (ids, failures) = caller.await.expect("caller");
        delivered.extend(ids);
        failed += failures;
    }
    eprintln!("{} DDP calls delivered, {failed} failed during the restart", delivered.len());
    assert!(delivered.len() > CALLERS * CALLS_PER_CALLER / 2, "{} delivered, {failed} failed", delivered.len());

    // Calls that must not be billed: an IIP consumer's, a consumer without a grant, and an invalid DDP request.
    let free = sandbox.call(Some(demo::CONSUMER), request.clone()).await.expect("IIP delivered").request_id;
    let refused =
        request_id_of(&sandbox.call(Some(demo::UNGRANTED_CONSUMER), request.clone()).await.expect_err("no grant"));
    let invalid = request_id_of(
        &sandbox
            .call(Some(demo::DDP_CONSUMER), person_request(demo::DEMO_PINFL, &["no_such_item"]))
            .await
            .expect_err("not an item of the service"),
    );

    let usage: Vec<UsageRecord> = sandbox
        .read_topic(EXCHANGE_USAGE)
        .await
        .into_iter()
        .map(|r| UsageRecord::decode(r.value.as_slice()).expect("a usage record"))
        .collect();
    let mut per_request: HashMap<&str, usize> = HashMap::new();
    for record in &usage {
        *per_request.entry(record.request_id.as_str()).or_default() += 1;
    }
    assert!(per_request.values().all(|&n| n == 1), "a request id was billed twice");

    let audit: Vec<AuditRecord> = sandbox
        .read_topic(EXCHANGE_AUDIT)
        .await
        .into_iter()
        .map(|r| AuditRecord::decode(r.value.as_slice()).expect("an audit record"))
        .collect();
    let ddp: SubsystemId = demo::DDP_CONSUMER.parse().expect("DDP consumer");
    let delivered_ddp: HashSet<&str> = audit
        .iter()
        .filter(|r| r.outcome() == AuditOutcome::Delivered)
        .filter(|r| r.consumer.as_ref().and_then(|c| SubsystemId::try_from(c).ok()).as_ref() == Some(&ddp))
        .map(|r| r.request_id.as_str())
        .collect();
    let billed: HashSet<&str> = per_request.keys().copied().collect();
    assert_eq!(billed, delivered_ddp, "usage records and delivered DDP exchanges in the audit differ");
    for id in &delivered {
        assert!(billed.contains(id.as_str()), "delivered {id} was not billed");
    }
    for id in [&free, &refused, &invalid] {
        assert!(!billed.contains(id.as_str()), "{id} was billed");
    }

    let grant = sandbox
        .registry
        .list_grants(ListGrantsRequest { page: None, consumer: Some((&ddp).into()), service: None })
        .await
        .expect("grants")
        .into_inner()
        .grants
        .remove(0);
    for record in &usage {
        assert_eq!(record.account.as_ref(), Some(&ddp.member().into()));
        assert_eq!(record.consumer.as_ref(), Some(&(&ddp).into()));
        assert_eq!(record.provider.as_ref().map(|p| p.member_code.as_str()), Some("201122919"));
        assert_eq!(
            (record.grant_id.as_str(), record.contract_reference.as_str()),
            (grant.id.as_str(), demo::DDP_CONTRACT)
        );
        assert_eq!(record.data_items, vec!["surname", "birth_date"]);
        assert!(record.received_at.is_some() && record.answered_at.is_some());
    }
    // Concurrent callers and a restart leave the audit chain intact: links are assigned in enqueue order.
    let report = koprik_cli::commands::audit::verify(&sandbox.broker.kafka_config()).await.expect("verified");
    assert!(report.intact(), "{}", koprik_cli::commands::audit::render(&report));
    sandbox.stop().await;
}
