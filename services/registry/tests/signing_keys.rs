//! Signing keys against a real database and broker: registration rules, final revocation, the published events.

mod common;

use std::time::Duration;

use common::*;
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_proto::events::registry_event::Entity;
use koprik_proto::events::RegistryEvent;
use koprik_proto::registry::signing_keys_client::SigningKeysClient;
use koprik_proto::registry::{
    CredentialStatus, ListSigningKeysRequest, RegisterSigningKeyRequest, RevokeSigningKeyRequest, SignatureAlgorithm,
    SigningKey, SigningKeyPurpose,
};
use koprik_proto::signing::PrivateKey;
use koprik_proto::tonic::Code;
use koprik_testkit::kafka::wait_for_record;

fn officer_key(key_id: &str) -> SigningKey {
    SigningKey {
        key_id: key_id.into(),
        subsystem: Some(state_system()),
        purpose: SigningKeyPurpose::Officer as i32,
        algorithm: SignatureAlgorithm::Ed25519 as i32,
        public_key: PrivateKey::generate().public_key(),
        holder_name: "Dilnoza Rahimova".into(),
        holder_position: "chief inspector".into(),
        ..SigningKey::default()
    }
}

fn register(key: SigningKey) -> RegisterSigningKeyRequest {
    RegisterSigningKeyRequest { key: Some(key), actor: "operator Aziz".into() }
}

#[tokio::test]
async fn an_officer_key_is_registered_published_and_revoked_for_good() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut keys = SigningKeysClient::new(h.channel.clone());

    let key = keys.register_signing_key(register(officer_key("tax-officer-1"))).await.expect("registered").into_inner();
    assert_eq!(key.status(), CredentialStatus::Active);
    assert!(key.valid_from.is_some());

    let again = keys.register_signing_key(register(officer_key("tax-officer-1"))).await.expect_err("duplicate");
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    let revoked = keys
        .revoke_signing_key(RevokeSigningKeyRequest {
            key_id: "tax-officer-1".into(),
            reason: "the officer left the service".into(),
            actor: "operator Aziz".into(),
        })
        .await
        .expect("revoked")
        .into_inner();
    assert_eq!(revoked.status(), CredentialStatus::Revoked);
    let event = wait_for_record::<RegistryEvent, _>(&h.broker.kafka_config(), REGISTRY_EVENTS, Duration::from_secs(10), |r| {
        matches!(&r.value.entity, Some(Entity::SigningKey(k)) if k.key_id == "tax-officer-1" && k.status() == CredentialStatus::Revoked)
    })
    .await;
    assert_eq!(event.key, "signing-key/tax-officer-1");

    let twice = keys
        .revoke_signing_key(RevokeSigningKeyRequest {
            key_id: "tax-officer-1".into(),
            reason: "again".into(),
            actor: "operator Aziz".into(),
        })
        .await
        .expect_err("final");
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");

    let listed = keys
        .list_signing_keys(ListSigningKeysRequest { subsystem: Some(state_system()) })
        .await
        .expect("listed")
        .into_inner()
        .keys;
    assert_eq!(listed.len(), 1);
    stop(h).await;
}

#[tokio::test]
async fn bad_keys_are_refused_naming_the_field() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut keys = SigningKeysClient::new(h.channel.clone());

    let mut nameless = officer_key("k-1");
    nameless.holder_name.clear();
    let err = keys.register_signing_key(register(nameless)).await.expect_err("no holder");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().starts_with("key.holder_name:"), "{}", err.message());

    let mut short = officer_key("k-2");
    short.public_key.truncate(16);
    let err = keys.register_signing_key(register(short)).await.expect_err("short key");
    assert!(err.message().starts_with("key.public_key:"), "{}", err.message());

    let mut stranger = officer_key("k-3");
    stranger.subsystem = Some(subsystem_id("GOV", "300000001", "unknown"));
    let err = keys.register_signing_key(register(stranger)).await.expect_err("unknown subsystem");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");

    let err = keys
        .revoke_signing_key(RevokeSigningKeyRequest { key_id: "k-9".into(), reason: String::new(), actor: "a".into() })
        .await
        .expect_err("no reason");
    assert!(err.message().starts_with("reason:"), "{}", err.message());
    stop(h).await;
}
