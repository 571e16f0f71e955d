//! End to end: submitted (asynchronous) requests over a real broker and database. The answer is fetched with Get
//! by the submitting subsystem only; a request past its legal deadline is escalated once across replicas, stays
//! pending and is still answered (REG-2 p. 17); a provider's reasoned refusal arrives as REFUSED with its reason.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use koprik_e2e::{demo, person_request, Sandbox};
use koprik_kafka::topics::{EXCHANGE_AUDIT, EXCHANGE_REPLIES_ASYNC};
use koprik_kafka::Producer;
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{AuditOutcome, AuditRecord, AuditStep, ExchangeReply, FailureKind, ProviderFailure};
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::exchange::{CallRequest, GetRequest, GetResponse, RequestState, SubmitResponse};
use koprik_proto::time::{datetime, timestamp};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Request, Status};
use koprik_testkit::kafka::wait_for_record;

/// Submits until the gateway accepts, as a consumer does while its grant propagates. `gateway` presents the demo
/// consumer's client certificate (the caller's identity); `request` is signed by its officer.
async fn submit_until_accepted(gateway: &mut ExchangeClient<Channel>, request: CallRequest) -> SubmitResponse {
    let start = Instant::now();
    loop {
        match gateway.submit(Request::new(request.clone())).await {
            Ok(response) => return response.into_inner(),
            Err(_) if start.elapsed() < Duration::from_secs(10) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(status) => panic!("not accepted within 10 s: {status:?}"),
        }
    }
}

/// Get as the subsystem whose client certificate `gateway` presents.
async fn get(gateway: &mut ExchangeClient<Channel>, request_id: &str) -> Result<GetResponse, Status> {
    gateway.get(Request::new(GetRequest { request_id: request_id.into() })).await.map(|r| r.into_inner())
}

/// Gets until `done` holds; panics after `within`.
async fn get_until(
    gateway: &mut ExchangeClient<Channel>,
    request_id: &str,
    within: Duration,
    done: impl Fn(&GetResponse) -> bool,
) -> GetResponse {
    let start = Instant::now();
    loop {
        let response = get(gateway, request_id).await.expect("the consumer gets its request");
        if done(&response) {
            return response;
        }
        assert!(start.elapsed() < within, "not reached within {within:?}: {response:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `request` as the demo consumer's officer signs it.
fn signed(sandbox: &Sandbox, request: CallRequest) -> CallRequest {
    sandbox.signed(demo::CONSUMER, request)
}

async fn audit_step(sandbox: &Sandbox, request_id: &str, step: AuditStep) -> AuditRecord {
    wait_for_record::<AuditRecord, _>(&sandbox.broker.kafka_config(), EXCHANGE_AUDIT, Duration::from_secs(10), |r| {
        r.value.request_id == request_id && r.value.step() == step
    })
    .await
    .value
}

/// The value of `koprik_gateway_deadline_breaches_total` for the demo provider at `metrics` (0 when absent).
async fn breaches(metrics: SocketAddr) -> u64 {
    let text = koprik_testkit::net::http_get(metrics, "/metrics").await;
    let prefix = format!("koprik_gateway_deadline_breaches_total{{provider=\"{}\"}} ", demo::PROVIDER);
    text.lines().find_map(|l| l.strip_prefix(&prefix)).map_or(0, |v| v.trim().parse().expect("a count"))
}

#[tokio::test]
async fn a_submitted_request_is_answered_and_only_its_consumer_can_get_it() {
    let sandbox = Sandbox::start().await;
    let mut gateway = sandbox.gateway.clone();
    let submitted =
        submit_until_accepted(&mut gateway, signed(&sandbox, person_request(demo::DEMO_PINFL, &["surname"]))).await;

    // REG-2 p. 17: due by the end of the next working day after receipt, by the calendar, Tashkent time.
    let received = submitted.received_at.as_ref().and_then(datetime).expect("received_at");
    let due = koprik_calendar::Calendar::builtin().end_of_next_working_day(received).expect("a covered year");
    assert_eq!(submitted.deadline, Some(timestamp(due)));

    let answered =
        get_until(&mut gateway, &submitted.request_id, Duration::from_secs(10), |r| r.state() != RequestState::Pending)
            .await;
    assert_eq!(answered.state(), RequestState::Answered);
    assert!(!answered.escalated);
    assert_eq!(answered.content_type, "application/json");
    let person: serde_json::Value = serde_json::from_slice(&answered.payload).expect("JSON answer");
    assert_eq!(person, serde_json::json!({"pinfl": demo::DEMO_PINFL, "surname": "Karimov"}));
    assert_eq!(answered.deadline, submitted.deadline);

    // Another subsystem is refused (the policy: a consumer reads only its own submitted requests); a malformed id
    // names the field.
    let mut stranger = sandbox.client_at(sandbox.gateway_addr, demo::UNGRANTED_CONSUMER).await;
    let stranger = get(&mut stranger, &submitted.request_id).await.expect_err("not theirs");
    assert_eq!(stranger.code(), Code::PermissionDenied, "{stranger:?}");
    assert!(stranger.message().contains("may reach only its own submitted requests"), "{}", stranger.message());
    let malformed = get(&mut gateway, "42").await.expect_err("malformed");
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert!(malformed.message().starts_with("request_id:"), "{}", malformed.message());

    let record = audit_step(&sandbox, &submitted.request_id, AuditStep::Submitted).await;
    assert_eq!(record.outcome(), AuditOutcome::Delivered, "forwarded");
    assert_eq!(record.deadline, submitted.deadline);
    let record = audit_step(&sandbox, &submitted.request_id, AuditStep::Answered).await;
    assert_eq!(record.outcome(), AuditOutcome::Delivered);
    assert_eq!(record.response_sha256, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&answered.payload)));
    sandbox.stop().await;
}

#[tokio::test]
async fn a_late_request_is_escalated_once_not_refused_and_still_answered() {
    let mut sandbox = Sandbox::start().await;
    // Two more replicas whose deadlines are one second after receipt, sweeping often: both race to escalate.
    let tune = |config: &mut koprik_gateway::GatewayConfig| {
        config.asynchronous.deadline_override = Some(Duration::from_secs(1));
        config.asynchronous.sweep_interval = Duration::from_millis(100);
    };
    let (first_addr, first_metrics) = sandbox.start_gateway("gateway-a", tune).await;
    let mut first = sandbox.client_at(first_addr, demo::CONSUMER).await;
    let (_, second_metrics) = sandbox.start_gateway("gateway-b", tune).await;
    sandbox.stop_adapter().await;

    let submitted =
        submit_until_accepted(&mut first, signed(&sandbox, person_request(demo::DEMO_PINFL, &["surname"]))).await;
    let escalated = get_until(&mut first, &submitted.request_id, Duration::from_secs(10), |r| r.escalated).await;
    assert_eq!(escalated.state(), RequestState::Pending, "escalated, not refused (REG-2 p. 17)");
    assert!(escalated.escalated_at.is_some());

    let record = audit_step(&sandbox, &submitted.request_id, AuditStep::Escalated).await;
    assert_eq!(record.outcome(), AuditOutcome::TimedOut);
    assert_eq!(record.deadline, submitted.deadline);
    // Give the other replicas' sweeps time to (wrongly) escalate it again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counted =
        breaches(first_metrics).await + breaches(second_metrics).await + breaches(sandbox.gateway_metrics).await;
    assert_eq!(counted, 1, "escalated exactly once across the replicas");

    // The provider comes back and answers late: the answer is still delivered.
    sandbox.start_adapter().await;
    let answered =
        get_until(&mut first, &submitted.request_id, Duration::from_secs(15), |r| r.state() != RequestState::Pending)
            .await;
    assert_eq!(answered.state(), RequestState::Answered);
    assert!(answered.escalated, "the escalation stays on record");
    assert!(!answered.payload.is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn a_providers_refusal_arrives_as_refused_with_its_reason() {
    let mut sandbox = Sandbox::start().await;
    let mut gateway = sandbox.gateway.clone();

    // The demo registry does not hold this person: the provider's reasoned answer, REFUSED.
    let unknown =
        submit_until_accepted(&mut gateway, signed(&sandbox, person_request("31403850260029", &["surname"]))).await;
    let missing =
        get_until(&mut gateway, &unknown.request_id, Duration::from_secs(10), |r| r.state() != RequestState::Pending)
            .await;
    assert_eq!(missing.state(), RequestState::Refused);
    assert_eq!(missing.reason, "provider: no person with this PINFL is registered");
    assert_eq!(missing.status_code, Code::NotFound as i32);

    // A refusal with reasons (REG-2 p. 12), as the provider's adapter sends it.
    sandbox.stop_adapter().await;
    let refused =
        submit_until_accepted(&mut gateway, signed(&sandbox, person_request(demo::DEMO_PINFL, &["surname"]))).await;
    let producer = Producer::new(&sandbox.broker.kafka_config(), "test-provider-adapter").expect("producer");
    let service: koprik_proto::ids::ServiceId = demo::SERVICE.parse().expect("service id");
    let reply = ExchangeReply {
        request_id: refused.request_id.clone(),
        service: Some((&service).into()),
        answered_at: Some(timestamp(chrono::Utc::now())),
        outcome: Some(Outcome::Failure(ProviderFailure {
            kind: FailureKind::Refused as i32,
            message: "the record is sealed by court order".into(),
        })),
    };
    let event_id = uuid::Uuid::now_v7().to_string();
    producer.publish(EXCHANGE_REPLIES_ASYNC, &refused.request_id, &reply, &event_id, None).await.expect("replied");
    let state =
        get_until(&mut gateway, &refused.request_id, Duration::from_secs(10), |r| r.state() != RequestState::Pending)
            .await;
    assert_eq!(state.state(), RequestState::Refused);
    assert_eq!(state.reason, "provider: the record is sealed by court order");
    assert_eq!(state.status_code, Code::FailedPrecondition as i32);
    assert!(state.payload.is_empty());
    let record = audit_step(&sandbox, &refused.request_id, AuditStep::Answered).await;
    assert_eq!(record.outcome(), AuditOutcome::ProviderError);
    sandbox.stop().await;
}
