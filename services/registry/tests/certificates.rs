//! `Certificates`: a client certificate of any role issued by the platform CA is recorded with its role and
//! principal (whose subsystem or organisation must be registered), published as `certificate/<serial>` with them,
//! listed, and revoked once with a reason; the actor is the operator's certificate.

mod common;

use std::time::Duration;

use koprik_authz::{Identity, RegisteredCertificate, Role};
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_pki::CertificateAuthority;
use koprik_proto::events::{registry_event::Entity, RegistryEvent};
use koprik_proto::registry::{
    CredentialStatus, ListCertificatesRequest, RegisterCertificateRequest, RevokeCertificateRequest,
};
use koprik_proto::tonic::Code;
use koprik_testkit::kafka::wait_for_record;

use common::{bank_system, seed, start, state_system, stop, Harness, OPERATOR, PROVIDER_IDENTITY, STATE_IDENTITY};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// A fresh certificate of `identity` from the harness's platform CA (not the one its channels use).
fn issue(h: &Harness, identity: &str) -> String {
    let identity: Identity = identity.parse().expect("an identity");
    h.pki.dev().ca().issue_client(&identity, DAY).expect("issued").cert_pem
}

fn register(pem: &str) -> RegisterCertificateRequest {
    RegisterCertificateRequest { pem: pem.to_owned() }
}

#[tokio::test]
async fn a_certificate_is_registered_published_listed_and_revoked_once() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut client = h.certificates_as(OPERATOR).await;
    let pem = issue(&h, STATE_IDENTITY);
    let expected = koprik_pki::parse_pem(&pem).expect("parses");

    let registered = client.register_certificate(register(&pem)).await.expect("registered").into_inner();
    assert_eq!(registered.serial, expected.serial);
    assert_eq!(registered.subsystem, Some(state_system()));
    assert_eq!(
        (registered.role(), registered.principal.as_str()),
        (koprik_proto::registry::Role::Consumer, "UZ/GOV/200935935/tax-inspection")
    );
    assert_eq!(registered.sha256_fingerprint, expected.sha256_fingerprint);
    assert_eq!(registered.status(), CredentialStatus::Active);
    assert_eq!(registered.actor, OPERATOR, "the actor is the certificate that called");

    let again = client.register_certificate(register(&pem)).await.expect_err("same serial");
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    client
        .register_certificate(register(&issue(&h, "consumer:UZ/COM/207028220/loan-origination")))
        .await
        .expect("another subsystem");
    let listed = client
        .list_certificates(ListCertificatesRequest { subsystem: Some(state_system()) })
        .await
        .expect("listed")
        .into_inner()
        .certificates;
    assert_eq!(listed.iter().map(|c| c.serial.clone()).collect::<Vec<_>>(), vec![expected.serial.clone()]);
    let all = client.list_certificates(ListCertificatesRequest { subsystem: None }).await.expect("listed");
    let all = all.into_inner().certificates;
    assert_eq!(all.len(), 3, "the two consumers' and the bootstrap operator's");
    assert!(all.iter().any(|c| c.role() == koprik_proto::registry::Role::Operator && c.actor == "bootstrap"));
    let bank = client.list_certificates(ListCertificatesRequest { subsystem: Some(bank_system()) }).await;
    assert_eq!(bank.expect("listed").into_inner().certificates.len(), 1);

    let no_reason = client
        .revoke_certificate(RevokeCertificateRequest { serial: expected.serial.clone(), reason: " ".into() })
        .await
        .expect_err("a reason is required");
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    assert!(no_reason.message().starts_with("reason"), "{}", no_reason.message());

    let revoke = RevokeCertificateRequest {
        // Upper case, as some tools print serials: normalised.
        serial: expected.serial.to_ascii_uppercase(),
        reason: "the key left the building".into(),
    };
    let revoked = client.revoke_certificate(revoke.clone()).await.expect("revoked").into_inner();
    assert_eq!(revoked.status(), CredentialStatus::Revoked);
    assert_eq!(revoked.revocation_reason, "the key left the building");
    assert_eq!(revoked.actor, OPERATOR);
    assert!(revoked.revoked_at.is_some());
    let twice = client.revoke_certificate(revoke).await.expect_err("final");
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");

    // Other services' directories read the published record: it carries the role and principal they need.
    let key = format!("certificate/{}", expected.serial);
    let event =
        wait_for_record::<RegistryEvent, _>(&h.broker.kafka_config(), REGISTRY_EVENTS, Duration::from_secs(10), |r| {
            r.key == key
                && matches!(&r.value.entity, Some(Entity::Certificate(c)) if c.status() == CredentialStatus::Revoked)
        })
        .await;
    let Some(Entity::Certificate(published)) = event.value.entity else { unreachable!("matched above") };
    assert_eq!(published.revocation_reason, "the key left the building");
    let read = RegisteredCertificate::try_from(&published).expect("a directory reads it");
    assert_eq!(read.identity.to_string(), STATE_IDENTITY);
    stop(h).await;
}

#[tokio::test]
async fn certificates_of_every_role_are_recorded_when_their_principal_is_known() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut client = h.certificates_as(OPERATOR).await;
    for identity in [
        PROVIDER_IDENTITY,
        "registry-editor:UZ/GOV/201122919/n.aliyeva",
        "agency-head:UZ/GOV/201122919/b.tursunov",
        "registry-reviewer:d.yusupova",
        "auditor:s.rahimova",
        "operator:b.tursunov",
        // Suppliers are registered in the Open Data Portal, not here; payment channels are known by name.
        "supplier:UZ/GOV/209999999",
        "payment-channel:agrobank",
    ] {
        let record = client.register_certificate(register(&issue(&h, identity))).await.expect(identity).into_inner();
        let expected: Identity = identity.parse().expect("valid");
        assert_eq!(Role::from_wire(record.role), Some(expected.role()), "{identity}");
        assert_eq!(record.principal, expected.principal().to_string(), "{identity}");
        assert_eq!(record.subsystem, None, "only consumer certificates name a subsystem: {identity}");
    }
    for (identity, missing) in [
        ("consumer:UZ/GOV/209999999/unknown", "subsystem UZ/GOV/209999999/unknown"),
        ("provider:UZ/GOV/209999999", "organisation UZ/GOV/209999999"),
        ("registry-editor:UZ/GOV/209999999/n.aliyeva", "organisation UZ/GOV/209999999"),
        ("agency-head:UZ/GOV/209999999/b.tursunov", "organisation UZ/GOV/209999999"),
    ] {
        let refused = client.register_certificate(register(&issue(&h, identity))).await.expect_err(identity);
        assert_eq!(refused.code(), Code::FailedPrecondition, "{identity}: {refused:?}");
        assert!(refused.message().contains(missing), "{identity}: {}", refused.message());
        assert!(refused.message().contains("not registered"), "{}", refused.message());
    }
    stop(h).await;
}

#[tokio::test]
async fn only_readable_certificates_of_the_platform_ca_are_recorded() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut client = h.certificates_as(OPERATOR).await;

    let garbage = client.register_certificate(register("not a certificate")).await.expect_err("garbage");
    assert_eq!(garbage.code(), Code::InvalidArgument);
    assert!(garbage.message().starts_with("pem:"), "{}", garbage.message());

    let server = h.pki.dev().ca().issue_server(&["localhost".into()]).expect("issued").cert_pem;
    let no_identity = client.register_certificate(register(&server)).await.expect_err("no identity");
    assert_eq!(no_identity.code(), Code::InvalidArgument);
    assert!(no_identity.message().contains("names no identity"), "{}", no_identity.message());

    // A certificate from another CA (even one with the platform CA's name) is never recorded.
    let stranger = CertificateAuthority::generate("Ko'prik development CA").expect("CA");
    let identity: Identity = STATE_IDENTITY.parse().expect("valid");
    let forged = stranger.issue_client(&identity, DAY).expect("issued").cert_pem;
    let refused = client.register_certificate(register(&forged)).await.expect_err("another CA");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("not issued by the platform CA"), "{}", refused.message());
    let listed = client.list_certificates(ListCertificatesRequest { subsystem: Some(state_system()) }).await;
    assert!(listed.expect("listed").into_inner().certificates.is_empty());

    let unknown = client
        .revoke_certificate(RevokeCertificateRequest { serial: "abc".into(), reason: "lost".into() })
        .await
        .expect_err("no such certificate");
    assert_eq!(unknown.code(), Code::NotFound);
    stop(h).await;
}

#[tokio::test]
async fn a_consumer_reads_and_revokes_only_its_own_subsystems_certificates() {
    let mut h = start().await;
    seed(&mut h).await;
    let own = issue(&h, STATE_IDENTITY);
    let other = issue(&h, "consumer:UZ/COM/207028220/loan-origination");
    let mut operator = h.certificates_as(OPERATOR).await;
    let own = operator.register_certificate(register(&own)).await.expect("registered").into_inner();
    let other = operator.register_certificate(register(&other)).await.expect("registered").into_inner();

    let mut consumer = h.certificates_as(STATE_IDENTITY).await;
    let listed = consumer.list_certificates(ListCertificatesRequest::default()).await.expect("its own");
    let principals: Vec<String> = listed.into_inner().certificates.iter().map(|c| c.principal.clone()).collect();
    assert_eq!(principals, ["UZ/GOV/200935935/tax-inspection"; 2], "the spare and the one it calls with");
    let foreign = consumer.list_certificates(ListCertificatesRequest { subsystem: Some(bank_system()) }).await;
    assert_eq!(foreign.expect_err("not its own").code(), Code::PermissionDenied);

    let refused = consumer
        .revoke_certificate(RevokeCertificateRequest { serial: other.serial.clone(), reason: "spite".into() })
        .await
        .expect_err("another party's certificate");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("RevokeCertificate"), "{}", refused.message());
    let revoked = consumer
        .revoke_certificate(RevokeCertificateRequest { serial: own.serial.clone(), reason: "key lost".into() })
        .await
        .expect("its own spare certificate")
        .into_inner();
    assert_eq!((revoked.status(), revoked.actor.as_str()), (CredentialStatus::Revoked, STATE_IDENTITY));
    let untouched = operator.list_certificates(ListCertificatesRequest { subsystem: Some(bank_system()) }).await;
    let untouched = untouched.expect("listed").into_inner().certificates;
    assert_eq!(untouched.iter().map(|c| c.status()).collect::<Vec<_>>(), [CredentialStatus::Active]);
    stop(h).await;
}

#[tokio::test]
async fn certificates_registered_before_roles_become_their_subsystems_consumer_certificates() {
    use koprik_registry::migration::Migrator;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::MigratorTrait;

    let db = koprik_testkit::TestDatabase::create().await;
    let connection = koprik_runtime::db::connect(&db.config()).await.expect("database");
    // The schema as it was before certificates had roles (six migrations), with one subsystem's certificate.
    Migrator::up(&connection, Some(6)).await.expect("the first six migrations");
    let ca = CertificateAuthority::generate("platform").expect("CA");
    let identity: Identity = STATE_IDENTITY.parse().expect("valid");
    let pem = ca.issue_client(&identity, DAY).expect("issued").cert_pem;
    let parsed = koprik_pki::parse_pem(&pem).expect("parses");
    let sql = "INSERT INTO client_certificates (serial, subsystem_id, sha256_fingerprint, not_before, not_after, \
               status, revocation_reason, revoked_at, pem, actor, revision, created_at, updated_at) \
               VALUES (?, ?, ?, ?, ?, 'CREDENTIAL_STATUS_ACTIVE', '', NULL, ?, 'PKI officer', 1, ?, ?)";
    let sql = if db.is_postgres() {
        (1..=8).fold(sql.to_owned(), |sql, n| sql.replacen('?', &format!("${n}"), 1))
    } else {
        sql.to_owned()
    };
    let now = chrono::Utc::now();
    connection
        .execute(Statement::from_sql_and_values(
            connection.get_database_backend(),
            sql,
            [
                parsed.serial.clone().into(),
                "UZ/GOV/200935935/tax-inspection".into(),
                parsed.sha256_fingerprint.clone().into(),
                parsed.not_before.into(),
                parsed.not_after.into(),
                pem.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await
        .expect("an old certificate row");

    Migrator::up(&connection, None).await.expect("the remaining migrations");
    let repository =
        koprik_registry::repository::Repository::new(connection, std::sync::Arc::new(tokio::sync::Notify::new()));
    let record = repository.find_certificate(&parsed.serial).await.expect("readable").expect("kept");
    assert_eq!(record.role(), koprik_proto::registry::Role::Consumer);
    assert_eq!(record.principal, "UZ/GOV/200935935/tax-inspection");
    assert_eq!(record.subsystem, Some(state_system()));
    assert_eq!(record.actor, "PKI officer");
    let registered = RegisteredCertificate::try_from(&record).expect("what the guard and other services read");
    assert_eq!(registered.identity, identity);
}
