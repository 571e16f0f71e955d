//! End to end: a consumer agency asks a provider agency for data through the gateway, over a real Tansu broker,
//! with the registry on a real database (SQLite, or PostgreSQL with `DATABASE_URL`). Every outcome is checked
//! on `exchange.audit` too, read the way any Kafka client would read it.

use std::time::{Duration, Instant};

use koprik_e2e::{demo, person_request, request_id_of, Sandbox, CALL_TIMEOUT};
use koprik_proto::events::AuditOutcome;
use koprik_proto::exchange::CallRequest;
use koprik_proto::registry::{AccessGround, GrantStatus, UpdateGrantRequest};
use koprik_proto::tonic::Code;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn a_granted_consumer_gets_the_providers_data() {
    let mut sandbox = Sandbox::start().await;
    let response = sandbox
        .call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname", "birth_date"]))
        .await;

    assert_eq!(response.content_type, "application/json");
    let person: serde_json::Value = serde_json::from_slice(&response.payload).expect("JSON answer");
    assert_eq!(
        person,
        serde_json::json!({"pinfl": demo::DEMO_PINFL, "surname": "Karimov", "birth_date": "1985-03-14"})
    );
    assert!(response.received_at.is_some() && response.answered_at.is_some());

    let audit = sandbox.audit_record(&response.request_id).await;
    assert_eq!(audit.outcome(), AuditOutcome::Delivered);
    assert_eq!(audit.status_code, 0);
    assert_eq!(audit.data_items, vec!["surname", "birth_date"]);
    assert_eq!(audit.response_sha256, hex::encode(Sha256::digest(&response.payload)));
    assert_eq!(audit.consumer.as_ref().map(|c| c.subsystem_code.as_str()), Some("tax-inspection"));
    sandbox.stop().await;
}

#[tokio::test]
async fn a_consumer_without_a_grant_is_refused_with_the_reason() {
    let mut sandbox = Sandbox::start().await;
    // The granted call proves the gateway's cache holds the demo data, so the refusal below is about the grant.
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"])).await;

    let status = sandbox
        .call(Some(demo::UNGRANTED_CONSUMER), person_request(demo::DEMO_PINFL, &["surname"]))
        .await
        .expect_err("no grant");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), format!("{} has no access grant for {}", demo::UNGRANTED_CONSUMER, demo::SERVICE));

    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);
    assert_eq!(audit.status_code, Code::PermissionDenied as i32);
    assert_eq!(audit.reason, status.message());
    sandbox.stop().await;
}

#[tokio::test]
async fn an_unknown_service_is_not_found() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    let mut request = person_request(demo::DEMO_PINFL, &[]);
    if let Some(service) = request.service.as_mut() {
        service.service_code = "marriage-certificates".into();
    }
    let status = sandbox.call(Some(demo::CONSUMER), request).await.expect_err("unknown service");
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().contains("marriage-certificates"), "{}", status.message());

    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);
    assert_eq!(audit.status_code, Code::NotFound as i32);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_stopped_adapter_gives_deadline_exceeded_within_the_timeout() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    sandbox.stop_adapter().await;

    let start = Instant::now();
    let status =
        sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &[])).await.expect_err("nobody answers");
    let waited = start.elapsed();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(waited >= CALL_TIMEOUT, "answered after {waited:?}, before the timeout");
    assert!(waited < CALL_TIMEOUT + Duration::from_secs(2), "hung for {waited:?}");

    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::TimedOut);
    assert_eq!(audit.status_code, Code::DeadlineExceeded as i32);

    // A caller's own shorter deadline is honoured too, and still answered by the gateway (with its request id
    // and an audit record), not cut off by the transport.
    let mut request =
        koprik_proto::tonic::Request::new(sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])));
    request.set_timeout(Duration::from_millis(700));
    let status = sandbox.gateway.call(request).await.expect_err("nobody answers");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::TimedOut);

    // A restarted adapter skips the expired requests instead of answering nobody, and serves new ones.
    sandbox.start_adapter().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    sandbox.stop().await;
}

/// Changes the demo grant's status and returns the gateway's refusal, which must come within a second.
async fn refused_within_a_second(sandbox: &mut Sandbox, change: UpdateGrantRequest) -> koprik_proto::tonic::Status {
    sandbox.registry.update_grant(change).await.expect("status changed");
    let changed_at = Instant::now();
    let status = loop {
        match sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &[])).await {
            Err(status) if status.code() == Code::PermissionDenied => break status,
            other => {
                assert!(changed_at.elapsed() < Duration::from_secs(1), "still not refused a second after: {other:?}");
            }
        }
    };
    assert!(changed_at.elapsed() < Duration::from_secs(1));
    status
}

fn grant_change(id: &str, status: GrantStatus, ground: AccessGround, reason: &str) -> UpdateGrantRequest {
    UpdateGrantRequest {
        id: id.into(),
        status: status as i32,
        reason: reason.into(),
        expected_revision: 0,
        ground: ground as i32,
        notice: Some(koprik_e2e::notice()),
    }
}

#[tokio::test]
async fn suspension_and_termination_in_the_registry_are_refused_at_the_gateway_within_a_second() {
    let mut sandbox = Sandbox::start().await;
    let grant = demo::seed(&mut sandbox.registry).await.expect("demo grant");
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;

    let suspension =
        grant_change(&grant.id, GrantStatus::Suspended, AccessGround::SuspendUnagreedPurpose, "purpose not agreed");
    let status = refused_within_a_second(&mut sandbox, suspension).await;
    assert!(
        status.message().ends_with("is suspended (SUSPEND_UNAGREED_PURPOSE, notice 01-12/345): purpose not agreed"),
        "{}",
        status.message()
    );
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);

    let reinstatement = UpdateGrantRequest {
        notice: None,
        ..grant_change(&grant.id, GrantStatus::Active, AccessGround::Unspecified, "")
    };
    sandbox.registry.update_grant(reinstatement).await.expect("reinstated");
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;

    let termination = grant_change(
        &grant.id,
        GrantStatus::Revoked,
        AccessGround::TerminateRegulationBreach,
        "the regulation was not fulfilled",
    );
    let status = refused_within_a_second(&mut sandbox, termination).await;
    assert!(
        status
            .message()
            .ends_with("is revoked (TERMINATE_REGULATION_BREACH, notice 01-12/345): the regulation was not fulfilled"),
        "{}",
        status.message()
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn malformed_or_empty_input_is_an_invalid_argument() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;

    let cases = [
        (CallRequest::default(), "service: is required"),
        (
            person_request("3140385026001", &[]),
            "applicants[0].pinfl: must be 14 digits: sex-and-century digit 1-6, birth date DDMMYY, district, serial, check digit",
        ),
        (
            person_request(demo::DEMO_PINFL, &["salary"]),
            "data_items[0]: \"salary\" is not a data item of service UZ/GOV/201122919/civil-registry/person-by-pinfl/v1",
        ),
    ];
    for (request, message) in cases {
        let status = sandbox.call(Some(demo::CONSUMER), request).await.expect_err(message);
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(status.message(), message);
        let audit = sandbox.audit_record(&request_id_of(&status)).await;
        assert_eq!(audit.outcome(), AuditOutcome::Invalid);
        assert_eq!(audit.reason, message);
    }

    // Without a certificate nothing is opened: refused by the authorization policy, counted, not audited.
    let status = sandbox.call(None, person_request(demo::DEMO_PINFL, &[])).await.expect_err("anonymous");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.metadata().get("koprik-request-id").is_none(), "{status:?}");
    sandbox.stop().await;
}

#[tokio::test]
async fn a_provider_refusal_is_relayed_as_the_providers() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    // A well-formed PINFL of nobody in the civil registry.
    let status =
        sandbox.call(Some(demo::CONSUMER), person_request("40101900000005", &[])).await.expect_err("unknown person");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(status.message(), "provider: no person with this PINFL is registered");
    assert_eq!(status.metadata().get("koprik-error-source").and_then(|v| v.to_str().ok()), Some("provider"));
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::ProviderError);
    sandbox.stop().await;
}
