//! End to end, with real Ed25519 keys registered in the registry and a real broker: the REG-2 p. 14 particulars are
//! required and checked, the officer's signature is verified before anything is forwarded, the adapter's signature
//! before anything is delivered, revoked keys stop working within a second, and announced technical works close
//! the service with its end time. Every refusal is audited.

use std::time::{Duration, Instant};

use chrono::Utc;
use koprik_e2e::{demo, person_request, request_id_of, Sandbox};
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_kafka::Producer;
use koprik_proto::events::registry_event::Entity;
use koprik_proto::events::{AuditOutcome, RegistryEvent};
use koprik_proto::ids::ServiceId;
use koprik_proto::registry::signing_keys_client::SigningKeysClient;
use koprik_proto::registry::{Announcement, AnnouncementKind, RevokeSigningKeyRequest};
use koprik_proto::signing::PrivateKey;
use koprik_proto::time::timestamp;
use koprik_proto::tonic::Code;

fn signed_request(sandbox: &Sandbox) -> koprik_proto::exchange::CallRequest {
    sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"]))
}

#[tokio::test]
async fn a_signed_request_is_delivered_and_audited_with_its_particulars_and_both_keys() {
    let mut sandbox = Sandbox::start().await;
    let response = sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"])).await;
    let audit = sandbox.audit_record(&response.request_id).await;
    assert_eq!(audit.outcome(), AuditOutcome::Delivered);
    assert_eq!(audit.officer_key_id, demo::OFFICER_KEY_ID);
    assert_eq!(audit.provider_key_id, demo::ADAPTER_KEY_ID);
    assert_eq!(audit.public_service_number, sandbox.public_service);
    assert_eq!(audit.applicant_request_ref, demo::APPLICANT_REQUEST_REF);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_tampered_request_or_a_missing_particular_is_refused_and_audited() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;

    // One more data item after signing: the signature no longer matches.
    let mut tampered = signed_request(&sandbox);
    tampered.data_items.push("address".into());
    let status = sandbox.call(Some(demo::CONSUMER), tampered).await.expect_err("tampered");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(status.message().contains("does not match the signed content"), "{}", status.message());
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);
    assert_eq!(audit.reason, status.message());

    // Signed by a key nobody registered.
    let mut forged = signed_request(&sandbox);
    let stranger = koprik_cli::officer::Officer {
        key: PrivateKey::generate(),
        key_id: demo::OFFICER_KEY_ID.into(),
        name: demo::OFFICER_NAME.into(),
        position: demo::OFFICER_POSITION.into(),
    };
    stranger.sign(&mut forged);
    let status = sandbox.call(Some(demo::CONSUMER), forged).await.expect_err("forged");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    // No applicant request reference: named, before the signature is even looked at.
    let mut unreferenced = person_request(demo::DEMO_PINFL, &[]);
    unreferenced = sandbox.signed(demo::CONSUMER, unreferenced);
    if let Some(p) = unreferenced.particulars.as_mut() {
        p.applicant_request_ref.clear();
    }
    let status = sandbox.call(Some(demo::CONSUMER), unreferenced).await.expect_err("no reference");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with("particulars.applicant_request_ref: is required"), "{}", status.message());
    assert_eq!(sandbox.audit_record(&request_id_of(&status)).await.outcome(), AuditOutcome::Invalid);

    // A public service that is not in the Unified Registry.
    let mut unknown_service = person_request(demo::DEMO_PINFL, &[]);
    let purpose = koprik_cli::officer::Purpose { public_service_number: 999_999, applicant_request_ref: "R-1".into() };
    unknown_service = sandbox
        .keys
        .officer()
        .prepare(unknown_service, &demo::CONSUMER.parse().expect("id"), &purpose)
        .expect("prepared");
    let status = sandbox.call(Some(demo::CONSUMER), unknown_service).await.expect_err("unknown public service");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("999999 is not in the Unified Registry"), "{}", status.message());
    sandbox.stop().await;
}

#[tokio::test]
async fn a_revoked_officer_key_is_refused_within_a_second() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    let mut keys = SigningKeysClient::new(sandbox.registry_channel());
    keys.revoke_signing_key(RevokeSigningKeyRequest {
        key_id: demo::OFFICER_KEY_ID.into(),
        reason: "the officer's token was lost".into(),
    })
    .await
    .expect("revoked");
    let revoked_at = Instant::now();
    let status = loop {
        match sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &[])).await {
            Err(status) if status.code() == Code::Unauthenticated => break status,
            other => assert!(revoked_at.elapsed() < Duration::from_secs(1), "still accepted after 1 s: {other:?}"),
        }
    };
    assert!(revoked_at.elapsed() < Duration::from_secs(1));
    assert!(status.message().contains("is revoked"), "{}", status.message());
    sandbox.stop().await;
}

#[tokio::test]
async fn an_answer_signed_with_an_unregistered_key_is_not_delivered() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    sandbox.stop_adapter().await;
    sandbox.start_adapter_with_key(&PrivateKey::generate()).await;
    let status = sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &[])).await.expect_err("forged");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("signature is not accepted"), "{}", status.message());
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::ProviderError);
    assert!(audit.response_sha256.is_empty(), "nothing was delivered");
    sandbox.stop().await;
}

#[tokio::test]
async fn announced_technical_works_fail_fast_with_their_end() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;

    // The registry accepts technical works only three working days ahead; to test the window itself, the event
    // the registry would publish when the day comes is put on registry.events directly.
    let service: ServiceId = demo::SERVICE.parse().expect("id");
    let ends_at = Utc::now() + chrono::Duration::minutes(30);
    let announcement = Announcement {
        id: uuid::Uuid::now_v7().to_string(),
        service: Some((&service).into()),
        kind: AnnouncementKind::TechnicalWorks as i32,
        starts_at: Some(timestamp(Utc::now() - chrono::Duration::minutes(1))),
        ends_at: Some(timestamp(ends_at)),
        summary: "database upgrade".into(),
        letter_reference: "04-17/552".into(),
        actor: "provider:UZ/GOV/201122919".into(),
        announced_at: Some(timestamp(Utc::now() - chrono::Duration::days(4))),
    };
    let producer = Producer::new(&sandbox.broker.kafka_config(), "test").expect("producer");
    let event = RegistryEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        entity: Some(Entity::Announcement(announcement.clone())),
        ..RegistryEvent::default()
    };
    producer
        .publish(REGISTRY_EVENTS, &format!("announcement/{}", announcement.id), &event, &event.event_id, None)
        .await
        .expect("published");

    let started = Instant::now();
    let status = loop {
        match sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &[])).await {
            Err(status) if status.code() == Code::Unavailable => break status,
            other => assert!(started.elapsed() < Duration::from_secs(5), "not closed: {other:?}"),
        }
    };
    let end = ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(status.message().contains(&end), "{} should name {end}", status.message());
    assert!(status.message().contains("04-17/552"), "{}", status.message());
    // Failing fast: the gateway does not wait for the adapter.
    let again = Instant::now();
    sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &[])).await.expect_err("closed");
    assert!(again.elapsed() < Duration::from_millis(500), "took {:?}", again.elapsed());
    assert_eq!(sandbox.audit_record(&request_id_of(&status)).await.outcome(), AuditOutcome::Refused);
    sandbox.stop().await;
}
