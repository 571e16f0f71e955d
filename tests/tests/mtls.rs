//! mTLS identities end to end: real certificates from a development CA, real TLS, a real broker. The gateway
//! serves only callers whose client certificate chains to the platform CA, is registered and is not revoked, and
//! records the certificate's serial in the audit trail.

use std::time::{Duration, Instant};

use koprik_cli::dev_pki::{CertFiles, DevPki};
use koprik_e2e::{demo, person_request, request_id_of, Sandbox};
use koprik_proto::events::AuditOutcome;
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::RevokeCertificateRequest;
use koprik_proto::tonic::{Code, Request, Status};

/// Calls the gateway presenting `files`.
async fn call_with(sandbox: &Sandbox, files: &CertFiles) -> Result<String, Status> {
    let mut client = sandbox
        .gateway_client(&sandbox.pki.client_tls(Some(files)))
        .await
        .map_err(|e| Status::unavailable(format!("no connection: {e}")))?;
    let request = sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"]));
    client.call(Request::new(request)).await.map(|r| r.into_inner().request_id)
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_at_the_handshake() {
    let sandbox = Sandbox::start().await;
    let other_dir = tempfile::tempdir().expect("temp dir");
    let other = DevPki::open(other_dir.path()).expect("another CA");
    let subsystem: SubsystemId = demo::CONSUMER.parse().expect("valid");
    let foreign = other.client(&subsystem).expect("issued by the other CA");
    let status = call_with(&sandbox, &foreign).await.expect_err("refused");
    // Refused by TLS, before the gateway saw a request: no request id, no audit record.
    assert!(status.metadata().get("koprik-request-id").is_none(), "reached the gateway: {status:?}");
    assert_ne!(status.code(), Code::Ok);
    sandbox.stop().await;
}

#[tokio::test]
async fn no_certificate_or_an_unregistered_one_is_unauthenticated_and_audited() {
    let mut sandbox = Sandbox::start().await;
    let status = sandbox.call(None, person_request(demo::DEMO_PINFL, &[])).await.expect_err("anonymous");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(status.message().starts_with("no TLS client certificate"), "{}", status.message());
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);
    assert_eq!(audit.certificate_serial, "");

    let unregistered = sandbox.issue_certificate(demo::CONSUMER, false).await;
    let serial = unregistered.serial().expect("serial");
    let status = call_with(&sandbox, &unregistered).await.expect_err("not registered");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(status.message(), format!("client certificate {serial} is not registered"));
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::Refused);
    assert_eq!(audit.certificate_serial, serial);
    assert!(audit.consumer.is_none());
    sandbox.stop().await;
}

#[tokio::test]
async fn a_revoked_certificate_is_refused_within_a_second_and_audits_carry_the_serial() {
    let mut sandbox = Sandbox::start().await;
    let files = sandbox.issue_certificate(demo::CONSUMER, true).await;
    let serial = files.serial().expect("serial");

    // Delivered once the gateway has seen the registration (it follows registry.events).
    let start = Instant::now();
    let request_id = loop {
        match call_with(&sandbox, &files).await {
            Ok(request_id) => break request_id,
            Err(status) if start.elapsed() < Duration::from_secs(10) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("no delivery within 10 s: {status:?}"),
        }
    };
    let audit = sandbox.audit_record(&request_id).await;
    assert_eq!(audit.outcome(), AuditOutcome::Delivered);
    assert_eq!(audit.certificate_serial, serial);
    assert_eq!(audit.consumer.as_ref().map(|c| c.subsystem_code.as_str()), Some("tax-inspection"));

    sandbox
        .certificates
        .revoke_certificate(RevokeCertificateRequest {
            serial: serial.clone(),
            reason: "the key was copied to a laptop".into(),
            actor: "security officer".into(),
        })
        .await
        .expect("revoked");
    let revoked_at = Instant::now();
    let status = loop {
        match call_with(&sandbox, &files).await {
            Err(status) if status.code() == Code::Unauthenticated => break status,
            _ if revoked_at.elapsed() < Duration::from_secs(5) => tokio::time::sleep(Duration::from_millis(10)).await,
            other => panic!("still served 5 s after the revocation: {other:?}"),
        }
    };
    let took = revoked_at.elapsed();
    assert!(took < Duration::from_secs(1), "refused only after {took:?}");
    assert_eq!(status.message(), format!("client certificate {serial} is revoked: the key was copied to a laptop"));
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.certificate_serial, serial);
    println!("revocation effective after {} ms", took.as_millis());

    // The demo consumer's own certificate is unaffected.
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    sandbox.stop().await;
}
