//! Signing keys against a real database and broker: registration rules, final revocation, the published events,
//! and who may revoke and read which keys.

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
    RegisterSigningKeyRequest { key: Some(key) }
}

#[tokio::test]
async fn an_officer_key_is_registered_published_and_revoked_for_good() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut keys = SigningKeysClient::new(h.channel.clone());

    let key = keys.register_signing_key(register(officer_key("tax-officer-1"))).await.expect("registered").into_inner();
    assert_eq!(key.status(), CredentialStatus::Active);
    assert!(key.valid_from.is_some());
    assert_eq!(key.actor, OPERATOR, "the actor is the certificate that called");

    let again = keys.register_signing_key(register(officer_key("tax-officer-1"))).await.expect_err("duplicate");
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    let revoked = keys
        .revoke_signing_key(RevokeSigningKeyRequest {
            key_id: "tax-officer-1".into(),
            reason: "the officer left the service".into(),
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
        .revoke_signing_key(RevokeSigningKeyRequest { key_id: "tax-officer-1".into(), reason: "again".into() })
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

    keys.register_signing_key(register(officer_key("k-9"))).await.expect("registered");
    let err = keys
        .revoke_signing_key(RevokeSigningKeyRequest { key_id: "k-9".into(), reason: String::new() })
        .await
        .expect_err("no reason");
    assert!(err.message().starts_with("reason:"), "{}", err.message());
    let err = keys
        .revoke_signing_key(RevokeSigningKeyRequest { key_id: "k-404".into(), reason: "lost".into() })
        .await
        .expect_err("no such key");
    assert_eq!(err.code(), Code::NotFound);
    stop(h).await;
}

#[tokio::test]
async fn a_consumer_revokes_and_reads_only_its_own_subsystems_keys() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut operator = SigningKeysClient::new(h.channel.clone());
    operator.register_signing_key(register(officer_key("tax-officer-1"))).await.expect("registered");
    let bank_key = SigningKey { subsystem: Some(bank_system()), ..officer_key("bank-officer-1") };
    operator.register_signing_key(register(bank_key)).await.expect("registered");

    let mut consumer = h.signing_keys_as(STATE_IDENTITY).await;
    let own = consumer.list_signing_keys(ListSigningKeysRequest::default()).await.expect("its own").into_inner();
    assert_eq!(own.keys.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(), ["tax-officer-1"]);
    let foreign = consumer.list_signing_keys(ListSigningKeysRequest { subsystem: Some(bank_system()) }).await;
    assert_eq!(foreign.expect_err("not its own").code(), Code::PermissionDenied);

    let refused = consumer
        .revoke_signing_key(RevokeSigningKeyRequest { key_id: "bank-officer-1".into(), reason: "spite".into() })
        .await
        .expect_err("another party's key");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    let revoked = consumer
        .revoke_signing_key(RevokeSigningKeyRequest { key_id: "tax-officer-1".into(), reason: "officer left".into() })
        .await
        .expect("its own key")
        .into_inner();
    assert_eq!((revoked.status(), revoked.actor.as_str()), (CredentialStatus::Revoked, STATE_IDENTITY));
    let all = operator.list_signing_keys(ListSigningKeysRequest::default()).await.expect("all").into_inner().keys;
    let bank = all.iter().find(|k| k.key_id == "bank-officer-1").expect("listed");
    assert_eq!(bank.status(), CredentialStatus::Active, "the refused revocation changed nothing");

    let register_own = consumer.register_signing_key(register(officer_key("tax-officer-2"))).await;
    assert_eq!(register_own.expect_err("operators register keys").code(), Code::PermissionDenied);
    stop(h).await;
}
