//! mTLS identities end to end: real certificates from a development CA, real TLS, a real broker. The gateway
//! serves only callers whose client certificate chains to the platform CA, is registered for the consumer role and
//! is not revoked (the authorization guard every service has), and records the certificate's serial in the audit
//! trail of every exchange it serves. Calls refused before identification are counted, not audited: nobody's
//! request, five years of records per anonymous call otherwise.

use std::time::{Duration, Instant};

use koprik_e2e::{demo, person_request, Sandbox};
use koprik_proto::events::AuditOutcome;
use koprik_proto::registry::RevokeCertificateRequest;
use koprik_proto::tonic::{Code, Request, Status};
use koprik_runtime::dev_pki::{CertFiles, DevPki};

/// Calls the gateway presenting `files`.
async fn call_with(sandbox: &Sandbox, files: &CertFiles) -> Result<String, Status> {
    let mut client = sandbox
        .gateway_client(&sandbox.pki.client_tls(Some(files)))
        .await
        .map_err(|e| Status::unavailable(format!("no connection: {e}")))?;
    let request = sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"]));
    client.call(Request::new(request)).await.map(|r| r.into_inner().request_id)
}

/// The gateway's count of refusals of `Exchange/Call` for `reason`.
async fn refusals(sandbox: &Sandbox, reason: &str) -> u64 {
    let text = gateway_metrics_text(sandbox).await;
    let series = format!(
        "koprik_gateway_authz_refusals_total{{method=\"/koprik.exchange.v1.Exchange/Call\",reason=\"{reason}\"}} "
    );
    text.lines().find_map(|line| line.strip_prefix(&series)).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// The gateway's `/metrics` text.
async fn gateway_metrics_text(sandbox: &Sandbox) -> String {
    koprik_testkit::net::http_get(sandbox.gateway_metrics, "/metrics").await
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_at_the_handshake() {
    let sandbox = Sandbox::start().await;
    let other_dir = tempfile::tempdir().expect("temp dir");
    let other = DevPki::open(other_dir.path()).expect("another CA");
    let foreign = other.client(&koprik_cli::demo_pki::consumer(demo::CONSUMER)).expect("issued by the other CA");
    let status = call_with(&sandbox, &foreign).await.expect_err("refused");
    // Refused by TLS, before the gateway saw a request: no request id, no audit record.
    assert!(status.metadata().get("koprik-request-id").is_none(), "reached the gateway: {status:?}");
    assert_ne!(status.code(), Code::Ok);
    sandbox.stop().await;
}

#[tokio::test]
async fn no_certificate_or_an_unregistered_or_wrong_role_one_is_refused_and_counted() {
    let mut sandbox = Sandbox::start().await;
    let status = sandbox.call(None, person_request(demo::DEMO_PINFL, &[])).await.expect_err("anonymous");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(
        status.message().starts_with("koprik.exchange.v1.Exchange/Call needs a TLS client certificate"),
        "{}",
        status.message()
    );
    assert!(status.metadata().get("koprik-request-id").is_none(), "no exchange was opened: {status:?}");
    assert_eq!(refusals(&sandbox, "no_certificate").await, 1);

    let unregistered = sandbox.issue_certificate(&format!("consumer:{}", demo::CONSUMER), false).await;
    let serial = unregistered.serial().expect("serial");
    let status = call_with(&sandbox, &unregistered).await.expect_err("not registered");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(
        status.message(),
        format!("client certificate {serial} (consumer:{}) is not registered", demo::CONSUMER)
    );
    assert_eq!(refusals(&sandbox, "unregistered").await, 1);

    // An operator may do much, but not call web services: that is a consumer's.
    let operator = sandbox.pki.client(&koprik_cli::demo_pki::identity(koprik_cli::demo_pki::OPERATOR)).expect("file");
    let status = call_with(&sandbox, &operator).await.expect_err("an operator is not a consumer");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("it needs one of the roles consumer"), "{}", status.message());
    assert_eq!(refusals(&sandbox, "role").await, 1);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_revoked_certificate_is_refused_within_a_second_and_audits_carry_the_serial() {
    let mut sandbox = Sandbox::start().await;
    let files = sandbox.issue_certificate(&format!("consumer:{}", demo::CONSUMER), true).await;
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
    assert_eq!(
        status.message(),
        format!("client certificate {serial} (consumer:{}) is revoked: the key was copied to a laptop", demo::CONSUMER)
    );
    println!("revocation effective after {} ms", took.as_millis());

    // The demo consumer's own certificate is unaffected.
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])).await;
    sandbox.stop().await;
}
