//! Authorization across the whole platform, as issue 14 checks it: an attacker holding only one consumer's
//! certificate and officer key (or nothing at all) cannot create or change a grant, an application step, a key, a
//! certificate, a payment, the base amount, a contract, an API key or a publication on any service, and leaves no
//! record; and a certificate revoked through the registry stops working on every service within a second.

use std::time::{Duration, Instant};

use koprik_cli::demo_pki;
use koprik_e2e::{demo, person_request, Sandbox};
use koprik_proto::billing::base_amounts_client::BaseAmountsClient;
use koprik_proto::billing::contracts_client::ContractsClient;
use koprik_proto::billing::payments_client::PaymentsClient;
use koprik_proto::billing::{
    CreateContractRequest, GetAccountRequest, ListBaseAmountsRequest, RecordPaymentRequest, SetBaseAmountRequest,
};
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::opendata::api_keys_client::ApiKeysClient;
use koprik_proto::opendata::datasets_client::DatasetsClient;
use koprik_proto::opendata::{
    publish_version_request::Part, IssueApiKeyRequest, ListApiKeysRequest, ListVersionsRequest, PublishVersionHeader,
    PublishVersionRequest,
};
use koprik_proto::registry::certificates_client::CertificatesClient;
use koprik_proto::registry::onboarding_client::OnboardingClient;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::signing_keys_client::SigningKeysClient;
use koprik_proto::registry::{
    AccessGround, ApplicationActionRequest, CreateGrantRequest, CredentialStatus, GrantStatus, ListCertificatesRequest,
    ListGrantsRequest, ListOrganizationsRequest, ListSigningKeysRequest, RegisterSigningKeyRequest,
    RevokeCertificateRequest, SignatureAlgorithm, SigningKey, SigningKeyPurpose, UpdateGrantRequest,
};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Request, Status};

/// The attacker: the demo tax inspection's information system, with its own certificate and officer key.
const ATTACKER: &str = demo::CONSUMER;

fn refused(result: Result<impl std::fmt::Debug, Status>, what: &str) -> Status {
    let status = result.map(|_| ()).expect_err(what);
    assert!(
        matches!(status.code(), Code::PermissionDenied | Code::Unauthenticated),
        "{what}: {:?} {}",
        status.code(),
        status.message()
    );
    status
}

/// What an attacker might change, as the operator reads it: grants, signing keys, certificates, base amounts,
/// the bank's account, API keys, the demo data set's versions.
async fn state(sandbox: &Sandbox, billing: Channel, opendata: Channel) -> String {
    let registry = sandbox.registry_channel();
    let grants = RegistryClient::new(registry.clone())
        .list_grants(ListGrantsRequest::default())
        .await
        .expect("grants")
        .into_inner()
        .grants
        .iter()
        .map(|g| format!("{}:{}:{}", g.id, g.status, g.meta.as_ref().map_or(0, |m| m.revision)))
        .collect::<Vec<_>>();
    let keys = SigningKeysClient::new(registry.clone())
        .list_signing_keys(ListSigningKeysRequest::default())
        .await
        .expect("keys")
        .into_inner()
        .keys
        .iter()
        .map(|k| format!("{}:{}", k.key_id, k.status))
        .collect::<Vec<_>>();
    let certificates = CertificatesClient::new(registry)
        .list_certificates(ListCertificatesRequest::default())
        .await
        .expect("certificates")
        .into_inner()
        .certificates
        .iter()
        .map(|c| format!("{}:{}", c.serial, c.status))
        .collect::<Vec<_>>();
    let amounts = BaseAmountsClient::new(billing.clone())
        .list_base_amounts(ListBaseAmountsRequest {})
        .await
        .expect("amounts")
        .into_inner()
        .amounts
        .len();
    let bank: MemberId = "UZ/COM/207028220".parse().expect("id");
    let account = PaymentsClient::new(billing)
        .get_account(GetAccountRequest { account: Some((&bank).into()) })
        .await
        .map(|a| format!("{:?}", a.into_inner()))
        .unwrap_or_else(|s| format!("{:?}", s.code()));
    let api_keys = ApiKeysClient::new(opendata.clone())
        .list_api_keys(ListApiKeysRequest::default())
        .await
        .expect("API keys")
        .into_inner()
        .keys
        .len();
    let versions = DatasetsClient::new(opendata)
        .list_versions(ListVersionsRequest { dataset: koprik_cli::demo_opendata::DATASET.into() })
        .await
        .expect("versions")
        .into_inner()
        .versions
        .len();
    format!("{grants:?}\n{keys:?}\n{certificates:?}\n{amounts}\n{account}\n{api_keys}\n{versions}")
}

#[tokio::test]
async fn an_attacker_with_one_consumers_certificate_changes_nothing_anywhere() {
    let mut sandbox = Sandbox::start().await;
    let billing = sandbox.start_billing().await;
    let opendata = sandbox.start_opendata().await;
    koprik_cli::demo_billing::seed(billing.clone()).await.expect("demo billing");
    let supplier = sandbox.channel_as(sandbox.opendata_addr.expect("runs"), demo_pki::SUPPLIER).await;
    koprik_cli::demo_opendata::seed(opendata.clone(), supplier).await.expect("demo open data");
    // The portal has learned the bank's contract from billing.contracts once the operator can key it.
    let bank_system: SubsystemId = demo::DDP_CONSUMER.parse().expect("id");
    let start = Instant::now();
    let operator_key = loop {
        let request = IssueApiKeyRequest {
            contract_reference: demo::DDP_CONTRACT.into(),
            consumer: Some((&bank_system).into()),
            label: "the bank's own key".into(),
        };
        match ApiKeysClient::new(opendata.clone()).issue_api_key(request).await {
            Ok(key) => break key.into_inner(),
            Err(status) if start.elapsed() < Duration::from_secs(10) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("the portal never learned the contract: {status:?}"),
        }
    };
    assert!(!operator_key.secret.is_empty());
    let before = state(&sandbox, billing.clone(), opendata.clone()).await;

    let attacker = format!("consumer:{ATTACKER}");
    let registry = sandbox.channel_as(sandbox.registry_addr, &attacker).await;
    let billing_as_attacker = sandbox.channel_as(sandbox.billing_addr.expect("runs"), &attacker).await;
    let opendata_as_attacker = sandbox.channel_as(sandbox.opendata_addr.expect("runs"), &attacker).await;
    let service: ServiceId = demo::SERVICE.parse().expect("id");
    let me: SubsystemId = ATTACKER.parse().expect("id");

    // The registry: grant itself access, approve an application, suspend the bank's grant, register a key, revoke
    // another party's certificate.
    let mut attacker_registry = RegistryClient::new(registry.clone());
    let grant = CreateGrantRequest {
        consumer: Some((&me).into()),
        service: Some((&service).into()),
        permitted_items: vec!["surname".into(), "passport".into()],
        ..CreateGrantRequest::default()
    };
    refused(attacker_registry.create_grant(grant).await, "grant itself access");
    let approve = ApplicationActionRequest { id: uuid::Uuid::now_v7().to_string(), ..Default::default() };
    refused(OnboardingClient::new(registry.clone()).approve_application(approve).await, "approve an application");
    let grants = RegistryClient::new(sandbox.registry_channel())
        .list_grants(ListGrantsRequest::default())
        .await
        .expect("grants")
        .into_inner()
        .grants;
    let competitors =
        grants.iter().find(|g| g.consumer.as_ref().map(|c| c.subsystem_code.as_str()) == Some("kyc-check"));
    let competitors = competitors.expect("the bank's grant");
    let suspend = UpdateGrantRequest {
        id: competitors.id.clone(),
        status: GrantStatus::Suspended as i32,
        reason: "competition".into(),
        ground: AccessGround::SuspendUnagreedPurpose as i32,
        notice: Some(koprik_e2e::notice()),
        ..UpdateGrantRequest::default()
    };
    refused(attacker_registry.update_grant(suspend).await, "suspend a competitor's grant");
    let key = SigningKey {
        key_id: "attacker.officer-2".into(),
        subsystem: Some((&me).into()),
        purpose: SigningKeyPurpose::Officer as i32,
        algorithm: SignatureAlgorithm::Ed25519 as i32,
        public_key: vec![7; 32],
        holder_name: "Someone Else".into(),
        holder_position: "inspector".into(),
        ..SigningKey::default()
    };
    let register = RegisterSigningKeyRequest { key: Some(key) };
    refused(SigningKeysClient::new(registry.clone()).register_signing_key(register).await, "register a key");
    let banks = sandbox.pki.client(&demo_pki::consumer(demo::DDP_CONSUMER)).expect("the bank's certificate");
    let revoke = RevokeCertificateRequest { serial: banks.serial().expect("serial"), reason: "sabotage".into() };
    refused(CertificatesClient::new(registry).revoke_certificate(revoke).await, "revoke another's certificate");

    // Billing: a payment that would lift a suspension, the base amount, a contract.
    let bank: MemberId = "UZ/COM/207028220".parse().expect("id");
    let payment = RecordPaymentRequest {
        channel: "namuna-pay".into(),
        channel_payment_id: "FAKE-1".into(),
        account: Some((&bank).into()),
        amount_tiyin: 1_000_000_000,
        ..RecordPaymentRequest::default()
    };
    refused(PaymentsClient::new(billing_as_attacker.clone()).record_payment(payment).await, "fake a payment");
    let amount =
        SetBaseAmountRequest { effective_from: "2099-01-01".into(), amount_tiyin: 1, decree: "made up".into() };
    refused(BaseAmountsClient::new(billing_as_attacker.clone()).set_base_amount(amount).await, "set the BCA");
    let contract = CreateContractRequest { reference: "FAKE-1".into(), ..CreateContractRequest::default() };
    refused(ContractsClient::new(billing_as_attacker).create_contract(contract).await, "create a contract");

    // The portal: an API key billed to the bank's contract, a version in the statistics agency's data set.
    let key = IssueApiKeyRequest {
        contract_reference: demo::DDP_CONTRACT.into(),
        consumer: Some((&me).into()),
        label: "billed to the bank".into(),
    };
    let status = ApiKeysClient::new(opendata_as_attacker.clone()).issue_api_key(key).await.expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("contract_reference"), "{}", status.message());
    let header = PublishVersionRequest {
        part: Some(Part::Header(PublishVersionHeader {
            dataset: koprik_cli::demo_opendata::DATASET.into(),
            structure_version: 1,
            change_note: "vandalism".into(),
        })),
    };
    let chunk = PublishVersionRequest { part: Some(Part::Chunk(b"region,year,population\nX,2025,1\n".to_vec())) };
    let mut datasets = DatasetsClient::new(opendata_as_attacker);
    let published = datasets.publish_version(tokio_stream::iter(vec![header, chunk])).await;
    refused(published, "publish into another supplier's data set");

    // And with no certificate at all.
    let anonymous = sandbox.pki.client_tls(None);
    let endpoint = anonymous.endpoint(&format!("https://{}", sandbox.registry_addr)).expect("endpoint");
    let nobody = endpoint.connect().await.expect("TLS without a client certificate");
    let status = refused(
        RegistryClient::new(nobody).list_organizations(ListOrganizationsRequest::default()).await,
        "read without a certificate",
    );
    assert_eq!(status.code(), Code::Unauthenticated);

    let after = state(&sandbox, billing, opendata).await;
    assert_eq!(before, after, "an attacker's attempt left a trace");
    sandbox.stop().await;
}

/// Calls `service` until it refuses the revoked certificate; how long that took.
async fn until_refused<F, Fut>(mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Status>>,
{
    let start = Instant::now();
    loop {
        match call().await {
            Err(status) if status.code() == Code::Unauthenticated => {
                assert!(status.message().contains("is revoked"), "{}", status.message());
                return start.elapsed();
            }
            _ if start.elapsed() < Duration::from_secs(5) => tokio::time::sleep(Duration::from_millis(5)).await,
            other => panic!("still served 5 s after the revocation: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_certificate_revoked_through_the_registry_stops_working_on_every_service_within_a_second() {
    let mut sandbox = Sandbox::start().await;
    sandbox.start_billing().await;
    sandbox.start_opendata().await;
    let identity = format!("consumer:{}", demo::CONSUMER);
    let files = sandbox.issue_certificate(&identity, true).await;
    let serial = files.serial().expect("serial");
    let tls = sandbox.pki.client_tls(Some(&files));
    let connect = |addr: std::net::SocketAddr| {
        let endpoint = tls.endpoint(&format!("https://{addr}")).expect("endpoint");
        async move { endpoint.connect().await.expect("connected") }
    };
    let registry = connect(sandbox.registry_addr).await;
    let gateway = connect(sandbox.gateway_addr).await;
    let billing = connect(sandbox.billing_addr.expect("runs")).await;
    let opendata = connect(sandbox.opendata_addr.expect("runs")).await;
    let request = person_request(demo::DEMO_PINFL, &["surname"]);
    // Each call signed afresh: a signed request is accepted once.
    let signer = sandbox.request_signer(demo::CONSUMER);

    let on_registry = || {
        let channel = registry.clone();
        async move { RegistryClient::new(channel).list_organizations(ListOrganizationsRequest::default()).await.map(|_| ()) }
    };
    let on_gateway = || {
        let (channel, request) = (gateway.clone(), signer.sign(request.clone()));
        async move { ExchangeClient::new(channel).call(Request::new(request)).await.map(|_| ()) }
    };
    let on_billing = || {
        let channel = billing.clone();
        async move { BaseAmountsClient::new(channel).list_base_amounts(ListBaseAmountsRequest {}).await.map(|_| ()) }
    };
    let on_opendata = || {
        let channel = opendata.clone();
        async move { ApiKeysClient::new(channel).list_api_keys(ListApiKeysRequest::default()).await.map(|_| ()) }
    };
    // Every service has learned the new certificate (the others from registry.events) before it is revoked.
    let start = Instant::now();
    while !(on_registry().await.is_ok()
        && on_gateway().await.is_ok()
        && on_billing().await.is_ok()
        && on_opendata().await.is_ok())
    {
        assert!(start.elapsed() < Duration::from_secs(15), "the new certificate was not accepted everywhere");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    CertificatesClient::new(sandbox.registry_channel())
        .revoke_certificate(RevokeCertificateRequest { serial: serial.clone(), reason: "key lost".into() })
        .await
        .expect("revoked");
    let (registry_took, gateway_took, billing_took, opendata_took) = tokio::join!(
        until_refused(on_registry),
        until_refused(on_gateway),
        until_refused(on_billing),
        until_refused(on_opendata)
    );
    println!(
        "revocation effective after: registry {} ms, gateway {} ms, billing {} ms, opendata {} ms",
        registry_took.as_millis(),
        gateway_took.as_millis(),
        billing_took.as_millis(),
        opendata_took.as_millis()
    );
    for (service, took) in
        [("registry", registry_took), ("gateway", gateway_took), ("billing", billing_took), ("opendata", opendata_took)]
    {
        assert!(took < Duration::from_secs(1), "{service} refused the revoked certificate only after {took:?}");
    }
    let listed = CertificatesClient::new(sandbox.registry_channel())
        .list_certificates(ListCertificatesRequest::default())
        .await
        .expect("listed")
        .into_inner()
        .certificates;
    let record = listed.iter().find(|c| c.serial == serial).expect("still on record");
    assert_eq!(record.status, CredentialStatus::Revoked as i32);
    assert_eq!(record.actor, demo_pki::OPERATOR, "the revocation is recorded under the operator's certificate");
    sandbox.stop().await;
}

/// The generated matrix for the gateway (`koprik.exchange.v1.Exchange`): every method with no certificate, every
/// role and another principal of the same role; `Get` of a request one consumer submitted is refused to another.
#[tokio::test]
async fn the_gateway_answers_every_role_as_the_policy_says() {
    use koprik_authz::Role;
    use koprik_proto::exchange::GetRequest;
    use koprik_testkit::authz_matrix::{self, Cast, Fixture};

    let sandbox = Sandbox::start().await;
    let cast = Cast::new(&[
        (Role::Consumer, demo::CONSUMER, demo::UNGRANTED_CONSUMER),
        (Role::Provider, demo::PROVIDER, demo::STATISTICS_AGENCY),
        (Role::Supplier, demo::STATISTICS_AGENCY, demo::PROVIDER),
        (Role::RegistryEditor, "UZ/GOV/201122919/editor-a", "UZ/GOV/200935935/editor-b"),
        (Role::AgencyHead, "UZ/GOV/201122919/head-a", "UZ/GOV/200935935/head-b"),
    ]);
    for identity in cast.identities() {
        sandbox.channel_as(sandbox.registry_addr, &identity).await;
    }
    // The gateway has learned every certificate once the last one registered is refused for its role, not as
    // unknown.
    let last = cast.identities().pop().expect("a cast");
    let probe = sandbox.channel_as(sandbox.gateway_addr, &last).await;
    let request = sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"]));
    let start = Instant::now();
    loop {
        let status = ExchangeClient::new(probe.clone()).call(Request::new(request.clone())).await.expect_err("role");
        if status.code() == Code::PermissionDenied {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the gateway never learned {last}: {status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A request the demo consumer (principal A) submitted.
    let submitted = loop {
        let mut gateway = sandbox.gateway.clone();
        match gateway.submit(Request::new(sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &[])))).await
        {
            Ok(submitted) => break submitted.into_inner(),
            Err(status) if start.elapsed() < Duration::from_secs(20) => {
                println!("submit not yet accepted: {status:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("submit refused: {status:?}"),
        }
    };
    let fixtures = [Fixture::new(
        "/koprik.exchange.v1.Exchange/Get",
        Role::Consumer,
        &GetRequest { request_id: submitted.request_id },
    )];
    let calls = authz_matrix::run_server(&sandbox.test_pki(), sandbox.gateway_addr, "gateway", &cast, &fixtures).await;
    println!("gateway authorization matrix: {calls} calls agree with the policy");
    sandbox.stop().await;
}
