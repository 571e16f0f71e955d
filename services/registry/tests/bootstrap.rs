//! The first operators: registered from the `bootstrap_operator` file at start-up, once (a restart with the same
//! file adds nothing and never brings a revoked certificate back), and only operators (anything else in the file
//! stops the start-up before anything is registered).

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use koprik_proto::registry::{
    CredentialStatus, ListCertificatesRequest, ListOrganizationsRequest, RevokeCertificateRequest,
};
use koprik_proto::tonic::Code;
use koprik_registry::run;
use koprik_runtime::CancellationToken;
use koprik_testkit::{Broker, TestDatabase, TestPki};

const SECOND_OPERATOR: &str = "operator:b.tursunov";

/// Writes the PEM certificates of `identities` into one bootstrap file `name` in the test CA's directory.
fn bootstrap_file(pki: &TestPki, name: &str, identities: &[&str]) -> PathBuf {
    let text: String =
        identities.iter().map(|identity| pki.files(identity).pem().expect("a readable certificate")).collect();
    let path = pki.dev().dir().join(name);
    std::fs::write(&path, text).expect("the bootstrap file is written");
    path
}

#[tokio::test]
async fn bootstrap_operators_are_registered_once_and_a_revoked_one_stays_revoked() {
    koprik_testkit::init_logs();
    let pki = Arc::new(TestPki::new());
    let file = bootstrap_file(&pki, "operators.pem", &[OPERATOR, SECOND_OPERATOR]);
    let h = launch(Broker::start().await, TestDatabase::create().await, Arc::clone(&pki), file).await;

    let mut certificates = h.certificates_as(OPERATOR).await;
    let listed = certificates.list_certificates(ListCertificatesRequest::default()).await.expect("listed");
    let listed = listed.into_inner().certificates;
    let principals: Vec<(&str, &str)> = listed.iter().map(|c| (c.principal.as_str(), c.actor.as_str())).collect();
    assert_eq!(principals, [("a.karimov", "bootstrap"), ("b.tursunov", "bootstrap")]);

    // Both may work; then one operator revokes the other's certificate.
    let mut second = h.client_as(SECOND_OPERATOR).await;
    second.list_organizations(ListOrganizationsRequest::default()).await.expect("a registered operator");
    let serial = pki.files(SECOND_OPERATOR).serial().expect("a serial");
    certificates
        .revoke_certificate(RevokeCertificateRequest { serial: serial.clone(), reason: "left the operator".into() })
        .await
        .expect("revoked");

    // Restarted with the same file: nothing is added, and the revoked one is not brought back.
    let h = restart(h).await;
    let listed = h
        .certificates_as(OPERATOR)
        .await
        .list_certificates(ListCertificatesRequest::default())
        .await
        .expect("listed")
        .into_inner()
        .certificates;
    assert_eq!(listed.len(), 2, "not duplicated: {listed:?}");
    let revoked = listed.iter().find(|c| c.serial == serial).expect("still on record");
    assert_eq!((revoked.status(), revoked.actor.as_str()), (CredentialStatus::Revoked, OPERATOR));
    let refused = h
        .client_as(SECOND_OPERATOR)
        .await
        .list_organizations(ListOrganizationsRequest::default())
        .await
        .expect_err("revoked before the restart");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    stop(h).await;
}

#[tokio::test]
async fn anything_but_operator_certificates_in_the_bootstrap_file_stops_the_start_up() {
    koprik_testkit::init_logs();
    let pki = Arc::new(TestPki::new());
    let (broker, db) = (Broker::start().await, TestDatabase::create().await);
    let stranger = koprik_pki::CertificateAuthority::generate("Ko'prik development CA").expect("another CA");
    let foreign = pki.dev().dir().join("foreign.pem");
    let identity: koprik_authz::Identity = SECOND_OPERATOR.parse().expect("valid");
    let issued = stranger.issue_client(&identity, std::time::Duration::from_secs(3600)).expect("issued");
    std::fs::write(&foreign, issued.cert_pem).expect("written");
    let with_key = pki.dev().dir().join("with-key.pem");
    let key = std::fs::read_to_string(pki.files(SECOND_OPERATOR).key).expect("the key");
    std::fs::write(&with_key, format!("{}{key}", pki.files(SECOND_OPERATOR).pem().expect("PEM"))).expect("written");
    let empty = pki.dev().dir().join("empty.pem");
    std::fs::write(&empty, "# nothing here\n").expect("written");
    let cases = [
        (bootstrap_file(&pki, "mixed.pem", &[SECOND_OPERATOR, STATE_IDENTITY]), "only operator certificates"),
        (bootstrap_file(&pki, "provider.pem", &[PROVIDER_IDENTITY]), "names provider:UZ/GOV/201122919"),
        (foreign, "not issued by the platform CA"),
        (with_key, "not a CERTIFICATE"),
        (empty, "holds no PEM certificate"),
        (pki.dev().dir().join("missing.pem"), "cannot read"),
    ];
    for (file, expected) in cases {
        let listeners = listeners().await;
        let config = config(&pki, &db, &broker, &listeners, Some(file.clone()));
        let failed = run(config, listeners, CancellationToken::new()).await.expect_err("start-up stops");
        let message = format!("{failed:#}");
        assert!(message.contains("bootstrap_operator") && message.contains(expected), "{}: {message}", file.display());
    }

    // Nothing of the refused files was registered: with a good file, only its operator is known.
    let good = bootstrap_file(&pki, "good.pem", &[OPERATOR]);
    let h = launch(broker, db, Arc::clone(&pki), good).await;
    let listed = h
        .certificates_as(OPERATOR)
        .await
        .list_certificates(ListCertificatesRequest::default())
        .await
        .expect("listed")
        .into_inner()
        .certificates;
    assert_eq!(listed.iter().map(|c| c.principal.as_str()).collect::<Vec<_>>(), ["a.karimov"]);
    let second = pki.channel(h.addr, Some(SECOND_OPERATOR)).await;
    let refused = koprik_proto::registry::registry_client::RegistryClient::new(second)
        .list_organizations(ListOrganizationsRequest::default())
        .await
        .expect_err("never registered");
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(refused.message().ends_with("is not registered"), "{}", refused.message());
    stop(h).await;
}
