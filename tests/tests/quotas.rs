//! End to end: the monthly maximum of requests a consumer declared in its application (A1 Ap2, A2 Ap2) holds
//! across gateway replicas sharing one database and broker, and its refusal says when it resets.

use std::time::{Duration, Instant};

use koprik_e2e::{demo, person_request, request_id_of, Sandbox};
use koprik_gateway::request_quota::month_of;
use koprik_proto::events::AuditOutcome;
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::exchange::{CallRequest, CallResponse};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::{CreateGrantRequest, CreateSubsystemRequest, Subsystem};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Request, Status};

/// A subsystem of the demo consumer whose grant declares at most [`MAX`] requests a month.
const LIMITED: &str = "UZ/GOV/200935935/quota-test";
const MAX: u32 = 3;

/// A request of the limited subsystem, signed by its officer.
fn as_limited(sandbox: &Sandbox) -> Request<CallRequest> {
    Request::new(sandbox.signed(LIMITED, person_request(demo::DEMO_PINFL, &["surname"])))
}

/// Calls through `gateway`, a client presenting the limited subsystem's certificate.
async fn call(sandbox: &Sandbox, gateway: &mut ExchangeClient<Channel>) -> Result<CallResponse, Status> {
    gateway.call(as_limited(sandbox)).await.map(|r| r.into_inner())
}

/// Calls until delivered, while the grant reaches this replica's cache (refusals before that are not counted).
async fn call_until_delivered(sandbox: &Sandbox, gateway: &mut ExchangeClient<Channel>) {
    let start = Instant::now();
    loop {
        match call(sandbox, gateway).await {
            Ok(_) => return,
            // Until the grant, the certificate and the officer's key reach this replica's cache.
            Err(status)
                if matches!(status.code(), Code::PermissionDenied | Code::Unauthenticated)
                    && start.elapsed() < Duration::from_secs(10) =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("not delivered: {status:?}"),
        }
    }
}

#[tokio::test]
async fn the_declared_monthly_maximum_holds_across_replicas_and_says_when_it_resets() {
    let mut sandbox = Sandbox::start().await;
    let limited: SubsystemId = LIMITED.parse().expect("subsystem id");
    let service: ServiceId = demo::SERVICE.parse().expect("service id");
    let subsystem = Subsystem { id: Some((&limited).into()), name: "Quota test".into(), ..Subsystem::default() };
    sandbox.registry.create_subsystem(CreateSubsystemRequest { subsystem: Some(subsystem) }).await.expect("subsystem");
    sandbox
        .registry
        .create_grant(CreateGrantRequest {
            consumer: Some((&limited).into()),
            service: Some((&service).into()),
            max_requests_per_month: MAX,
            ..CreateGrantRequest::default()
        })
        .await
        .expect("grant with a declared maximum");
    sandbox.add_officer(LIMITED).await;
    let (second_addr, _) = sandbox.start_gateway("gateway-second", |_| {}).await;
    let mut second = sandbox.client_at(second_addr, LIMITED).await;
    let mut first = sandbox.client_at(sandbox.gateway_addr, LIMITED).await;

    call_until_delivered(&sandbox, &mut first).await;
    call_until_delivered(&sandbox, &mut second).await;
    call(&sandbox, &mut first).await.expect("the third of three");

    let over = sandbox.signed(LIMITED, person_request(demo::DEMO_PINFL, &["surname"]));
    let refused = second.call(Request::new(over.clone())).await.expect_err("the fourth, on the other replica");
    assert_eq!(refused.code(), Code::ResourceExhausted);
    let (month, resets_at) = month_of(chrono::Utc::now());
    let reset = resets_at.with_timezone(&koprik_calendar::TASHKENT).format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    assert!(refused.message().contains(&format!("monthly maximum of {MAX} requests")), "{}", refused.message());
    assert!(refused.message().contains(&format!("used up for {month}; it resets at {reset}")), "{}", refused.message());
    let audit = sandbox.audit_record(&request_id_of(&refused)).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);
    assert_eq!(audit.status_code, Code::ResourceExhausted as i32);

    // Refused, so not accepted either: the acceptance of a signed request and its count are one transaction, and
    // the same signed request is refused for the quota again, not as a replay.
    let again = first.call(Request::new(over)).await.expect_err("still over the maximum");
    assert_eq!(again.code(), Code::ResourceExhausted, "{again:?}");

    // A refused request is not counted, and Submit goes through the same checks.
    let submitted = first.submit(as_limited(&sandbox)).await;
    assert_eq!(submitted.expect_err("over the maximum").code(), Code::ResourceExhausted);
    // Consumers without a declared maximum are not limited.
    for _ in 0..=MAX {
        sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &["surname"])).await.expect("no quota");
    }
    sandbox.stop().await;
}
