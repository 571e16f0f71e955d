//! End to end: a signed request is accepted once (issue 15, item 2). Two gateway replicas share one database: the
//! second use of a signed request is refused on either, by Call and by Submit alike, naming the request id it was
//! first accepted as; a fresh signature of the same content is a new request; a signature older than the
//! acceptance window is refused; and a replica killed like `kill -9` and started again still refuses a request it
//! accepted before (the store is in the database, not in memory).

use std::time::{Duration, Instant};

use chrono::Utc;
use koprik_e2e::{call_as, demo, person_request, request_id_of, Sandbox};
use koprik_proto::events::AuditOutcome;
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::exchange::{CallRequest, CallResponse};
use koprik_proto::time::timestamp;
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Request, Status};

/// A request of the demo consumer, signed by its officer now.
fn signed(sandbox: &Sandbox) -> CallRequest {
    sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"]))
}

/// Calls through `gateway` with a fresh signature each attempt until delivered (a replica just started may still
/// be learning the registry); returns the request as signed and its answer.
async fn delivered(sandbox: &Sandbox, gateway: &mut ExchangeClient<Channel>) -> (CallRequest, CallResponse) {
    let started = Instant::now();
    loop {
        let request = signed(sandbox);
        match call_as(gateway, request.clone()).await {
            Ok(response) => return (request, response),
            Err(status) if started.elapsed() < Duration::from_secs(10) => {
                assert_ne!(status.code(), Code::AlreadyExists, "a fresh signature is a new request: {status:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("not delivered within 10 s: {status:?}"),
        }
    }
}

/// Asserts that `status` refuses a second use of the request first accepted as `first_request_id`, and that the
/// refusal is audited.
async fn assert_replay_refused(sandbox: &Sandbox, status: &Status, first_request_id: &str) {
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(
        status
            .message()
            .starts_with(&format!("this signed request was already accepted as request {first_request_id}")),
        "{}",
        status.message()
    );
    let refused_id = request_id_of(status);
    assert_ne!(refused_id, first_request_id, "the replay got a request id of its own");
    let audit = sandbox.audit_record(&refused_id).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);
    assert_eq!(audit.status_code, Code::AlreadyExists as i32);
    assert_eq!(audit.reason, status.message());
}

#[tokio::test]
async fn a_signed_request_is_accepted_once_on_any_replica_by_call_or_submit() {
    let mut sandbox = Sandbox::start().await;
    let mut first = sandbox.gateway.clone();
    let (request, response) = delivered(&sandbox, &mut first).await;
    let (second_addr, _) = sandbox.start_gateway("gateway-second", |_| {}).await;
    let mut second = sandbox.client_at(second_addr, demo::CONSUMER).await;
    // A fresh signature is accepted on the second replica (once it serves).
    delivered(&sandbox, &mut second).await;

    // The same signed request again: refused on the other replica, on the same one, and as a Submit.
    let status = call_as(&mut second, request.clone()).await.expect_err("replayed on the other replica");
    assert_replay_refused(&sandbox, &status, &response.request_id).await;
    let status = call_as(&mut first, request.clone()).await.expect_err("replayed on the same replica");
    assert_replay_refused(&sandbox, &status, &response.request_id).await;
    let status = second.submit(Request::new(request.clone())).await.expect_err("replayed as a Submit");
    assert_replay_refused(&sandbox, &status, &response.request_id).await;

    // A submitted request cannot be submitted (or called) twice either.
    let to_submit = signed(&sandbox);
    let accepted = second.submit(Request::new(to_submit.clone())).await.expect("submitted").into_inner();
    let status = first.submit(Request::new(to_submit.clone())).await.expect_err("submitted again");
    assert_replay_refused(&sandbox, &status, &accepted.request_id).await;
    let status = call_as(&mut first, to_submit).await.expect_err("called after submitting");
    assert_replay_refused(&sandbox, &status, &accepted.request_id).await;

    // Two replicas given the same fresh request at the same moment: exactly one accepts it.
    let racing = signed(&sandbox);
    let (a, b) = tokio::join!(call_as(&mut first, racing.clone()), call_as(&mut second, racing.clone()));
    assert!(a.is_ok() != b.is_ok(), "exactly one of the replicas accepts it: {a:?} / {b:?}");
    let refused = a.err().or(b.err()).expect("one refusal");
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");

    // A signature older than the acceptance window (15 minutes) is refused whatever it signs.
    let mut old = signed(&sandbox);
    if let Some(particulars) = old.particulars.as_mut() {
        particulars.signed_at = Some(timestamp(Utc::now() - chrono::Duration::minutes(16)));
    }
    sandbox.keys.officer_for(demo::CONSUMER).sign(&mut old);
    let status = call_as(&mut second, old).await.expect_err("expired");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        status.message(),
        "particulars.signed_at: must be at most 15 minutes old: the officer signs each request as it is sent"
    );
    assert_eq!(sandbox.audit_record(&request_id_of(&status)).await.outcome(), AuditOutcome::Invalid);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_replica_killed_and_restarted_still_refuses_a_request_it_accepted() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"])).await;
    let replica = sandbox.start_killable_gateway("gateway-killable").await;
    let mut client = sandbox.client_at(replica.addr, demo::CONSUMER).await;
    let (request, response) = delivered(&sandbox, &mut client).await;

    // kill -9: no shutdown code runs; whatever the replica knew only in memory is gone.
    replica.kill();
    let restarted = sandbox.start_killable_gateway("gateway-killable").await;
    let mut client = sandbox.client_at(restarted.addr, demo::CONSUMER).await;
    let started = Instant::now();
    let status = loop {
        match call_as(&mut client, request.clone()).await {
            Err(status) if status.code() == Code::AlreadyExists => break status,
            // Until the restarted replica serves its caller (its registry cache caught up).
            Err(status) if started.elapsed() < Duration::from_secs(10) => {
                assert_ne!(status.code(), Code::Ok, "{status:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("the replayed request was not refused after the restart: {other:?}"),
        }
    };
    assert_replay_refused(&sandbox, &status, &response.request_id).await;
    // A fresh signature is served by the restarted replica.
    delivered(&sandbox, &mut client).await;
    restarted.kill();
    sandbox.stop().await;
}
