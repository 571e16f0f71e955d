//! `Certificates`: a client certificate issued by the platform CA is recorded for its registered subsystem,
//! published as `certificate/<serial>`, listed, and revoked once with a reason.

mod common;

use std::time::Duration;

use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_pki::CertificateAuthority;
use koprik_proto::events::{registry_event::Entity, RegistryEvent};
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::certificates_client::CertificatesClient;
use koprik_proto::registry::{
    CredentialStatus, ListCertificatesRequest, RegisterCertificateRequest, RevokeCertificateRequest,
};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::Code;
use koprik_testkit::kafka::wait_for_record;

use common::{bank_system, seed, start, state_system, stop, subsystem_id};

const DAY: Duration = Duration::from_secs(24 * 3600);

fn client_pem(ca: &CertificateAuthority, subsystem: &koprik_proto::common::SubsystemId) -> String {
    let id = SubsystemId::try_from(subsystem).expect("valid subsystem id");
    ca.issue_client(&id, DAY).expect("issued").cert_pem
}

fn register(pem: &str) -> RegisterCertificateRequest {
    RegisterCertificateRequest { pem: pem.to_owned(), actor: "PKI officer".into() }
}

async fn certificates(channel: &Channel) -> CertificatesClient<Channel> {
    CertificatesClient::new(channel.clone())
}

#[tokio::test]
async fn a_certificate_is_registered_published_listed_and_revoked_once() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut client = certificates(&h.channel).await;
    let ca = CertificateAuthority::generate("test CA").expect("CA");
    let pem = client_pem(&ca, &state_system());
    let expected = koprik_pki::parse_pem(&pem).expect("parses");

    let registered = client.register_certificate(register(&pem)).await.expect("registered").into_inner();
    assert_eq!(registered.serial, expected.serial);
    assert_eq!(registered.subsystem, Some(state_system()));
    assert_eq!(registered.sha256_fingerprint, expected.sha256_fingerprint);
    assert_eq!(registered.status(), CredentialStatus::Active);
    assert_eq!(registered.actor, "PKI officer");

    let again = client.register_certificate(register(&pem)).await.expect_err("same serial");
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    client.register_certificate(register(&client_pem(&ca, &bank_system()))).await.expect("another subsystem");
    let listed = client
        .list_certificates(ListCertificatesRequest { subsystem: Some(state_system()) })
        .await
        .expect("listed")
        .into_inner()
        .certificates;
    assert_eq!(listed.iter().map(|c| c.serial.clone()).collect::<Vec<_>>(), vec![expected.serial.clone()]);
    let all = client.list_certificates(ListCertificatesRequest { subsystem: None }).await.expect("listed");
    assert_eq!(all.into_inner().certificates.len(), 2);

    let no_reason = client
        .revoke_certificate(RevokeCertificateRequest {
            serial: expected.serial.clone(),
            reason: " ".into(),
            actor: "PKI officer".into(),
        })
        .await
        .expect_err("a reason is required");
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    assert!(no_reason.message().starts_with("reason"), "{}", no_reason.message());

    let revoke = RevokeCertificateRequest {
        // Upper case, as some tools print serials: normalised.
        serial: expected.serial.to_ascii_uppercase(),
        reason: "the key left the building".into(),
        actor: "PKI officer".into(),
    };
    let revoked = client.revoke_certificate(revoke.clone()).await.expect("revoked").into_inner();
    assert_eq!(revoked.status(), CredentialStatus::Revoked);
    assert_eq!(revoked.revocation_reason, "the key left the building");
    assert!(revoked.revoked_at.is_some());
    let twice = client.revoke_certificate(revoke).await.expect_err("final");
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");

    let key = format!("certificate/{}", expected.serial);
    let event =
        wait_for_record::<RegistryEvent, _>(&h.broker.kafka_config(), REGISTRY_EVENTS, Duration::from_secs(10), |r| {
            r.key == key
                && matches!(&r.value.entity, Some(Entity::Certificate(c)) if c.status() == CredentialStatus::Revoked)
        })
        .await;
    let Some(Entity::Certificate(published)) = event.value.entity else { unreachable!("matched above") };
    assert_eq!(published.revocation_reason, "the key left the building");
    stop(h).await;
}

#[tokio::test]
async fn only_readable_certificates_of_registered_subsystems_are_recorded() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut client = certificates(&h.channel).await;
    let ca = CertificateAuthority::generate("test CA").expect("CA");

    let garbage = client.register_certificate(register("not a certificate")).await.expect_err("garbage");
    assert_eq!(garbage.code(), Code::InvalidArgument);
    assert!(garbage.message().starts_with("pem:"), "{}", garbage.message());

    let server = ca.issue_server(&["localhost".into()]).expect("issued").cert_pem;
    let no_subsystem = client.register_certificate(register(&server)).await.expect_err("no subsystem");
    assert_eq!(no_subsystem.code(), Code::InvalidArgument);
    assert!(no_subsystem.message().contains("names no subsystem"), "{}", no_subsystem.message());

    let stranger = client_pem(&ca, &subsystem_id("GOV", "209999999", "unknown"));
    let unregistered = client.register_certificate(register(&stranger)).await.expect_err("unknown subsystem");
    assert_eq!(unregistered.code(), Code::FailedPrecondition);
    assert!(unregistered.message().contains("UZ/GOV/209999999/unknown"), "{}", unregistered.message());

    let no_actor = RegisterCertificateRequest { pem: client_pem(&ca, &state_system()), actor: String::new() };
    assert_eq!(client.register_certificate(no_actor).await.expect_err("actor").code(), Code::InvalidArgument);

    let unknown = client
        .revoke_certificate(RevokeCertificateRequest { serial: "abc".into(), reason: "lost".into(), actor: "x".into() })
        .await
        .expect_err("no such certificate");
    assert_eq!(unknown.code(), Code::NotFound);
    stop(h).await;
}
