//! Who may call what on the registry (issue 14), against the real server over mTLS: the generated matrix of every
//! method of its seven gRPC services called with no certificate, as each role and as another principal of the same
//! role (`koprik_testkit::authz_matrix`, the policy in `crates/authz/src/policy.rs`); an attacker holding one
//! consumer's certificate trying the operator's work and leaving no trace; and a revoked certificate refused on its
//! very next call.

mod common;

use chrono::Utc;
use common::*;
use koprik_authz::Role;
use koprik_proto::common as wire;
use koprik_proto::registry::{
    AbolishEntryRequest, Announcement, AnnouncementKind, ApplicationActionRequest, ApplicationForm, ApplicationState,
    ConfirmInventoryRequest, ConsentDecision, CreateAnnouncementRequest, CreateGrantRequest, CreateOrganizationRequest,
    CreateServiceRequest, CreateSubsystemRequest, CredentialStatus, DataClassification, DataItem,
    DeclareRemediationRequest, GetApplicationRequest, GetEntryApplicationRequest, GetGrantRequest, GetHistoryRequest,
    GetSubsystemRequest, GrantStatus, ListAnnouncementsRequest, ListApplicationsRequest, ListCertificatesRequest,
    ListEntryApplicationsRequest, ListGrantsRequest, ListSigningKeysRequest, ListSubsystemsRequest, Organization,
    OrganizationRole, OrganizationType, Platform, RecordProviderConsentRequest, RegisterCertificateRequest,
    RegisterEntryRequest, RegisterSigningKeyRequest, RequestedItem, RequestedService, ResubmitApplicationRequest,
    ResubmitEntryRequest, RevokeCertificateRequest, RevokeSigningKeyRequest, SignatureAlgorithm, SigningKey,
    SigningKeyPurpose, SubmitAmendmentRequest, SubmitApplicationRequest, SubmitEntryRequest, Subsystem,
    UpdateGrantRequest, UpdateServiceRequest, UpdateSubsystemRequest,
};
use koprik_proto::tonic::Code;
use koprik_testkit::authz_matrix::{self, Cast, Fixture};

/// Another provider agency: the B side of every organisation-bound role.
const OTHER_AGENCY: &str = "202365783";

fn application_form() -> ApplicationForm {
    ApplicationForm {
        consumer: Some(state_system()),
        platform: Platform::Iip as i32,
        services: vec![RequestedService {
            service: Some(person_service()),
            legal_basis: "Tax Code, Art. 86".into(),
            items: vec![RequestedItem { code: "surname".into(), purpose: "verify the surname".into() }],
            max_requests_per_month: 1_000,
            working_mode: "24/7".into(),
        }],
        personal_data_consent_attested: true,
        changes_reporting_undertaken: true,
    }
}

fn officer_key(key_id: &str, subsystem: wire::SubsystemId, purpose: SigningKeyPurpose) -> SigningKey {
    SigningKey {
        key_id: key_id.into(),
        subsystem: Some(subsystem),
        purpose: purpose as i32,
        algorithm: SignatureAlgorithm::Ed25519 as i32,
        public_key: koprik_proto::signing::PrivateKey::generate().public_key(),
        holder_name: "Dilnoza Rahimova".into(),
        holder_position: "chief inspector".into(),
        ..SigningKey::default()
    }
}

/// A second certificate of `identity`, registered by the operator, to be revoked without cutting the channel
/// that identity calls with.
async fn spare_certificate(h: &Harness, identity: &str) -> String {
    let identity: koprik_authz::Identity = identity.parse().expect("an identity");
    let pem = h.pki.dev().ca().issue_client(&identity, std::time::Duration::from_secs(3600)).expect("issued").cert_pem;
    let mut operator = h.certificates_as(OPERATOR).await;
    operator.register_certificate(RegisterCertificateRequest { pem }).await.expect("registered").into_inner().serial
}

fn today() -> String {
    Utc::now().with_timezone(&koprik_registry::calendar::TASHKENT).date_naive().to_string()
}

#[tokio::test]
async fn every_registry_method_answers_each_role_as_the_policy_says() {
    let mut h = start().await;
    seed(&mut h).await;
    organization(&mut h, member("GOV", OTHER_AGENCY), OrganizationType::StateBody, &[OrganizationRole::Provider]).await;
    let agency = |role: &str, code: &str| format!("UZ/GOV/{code}/{role}");
    let cast = Cast::new(&[
        (Role::Consumer, "UZ/GOV/200935935/tax-inspection", "UZ/COM/207028220/loan-origination"),
        (Role::Provider, "UZ/GOV/201122919", "UZ/GOV/202365783"),
        (Role::Supplier, "UZ/GOV/201122919", "UZ/GOV/202365783"),
        (Role::RegistryEditor, &agency("n.aliyeva", PROVIDER), &agency("n.aliyeva", OTHER_AGENCY)),
        (Role::AgencyHead, &agency("b.tursunov", PROVIDER), &agency("b.tursunov", OTHER_AGENCY)),
    ]);
    for identity in cast.identities() {
        h.register(&identity).await;
    }

    // What belongs to the A principals.
    let civil_registry = subsystem_id("GOV", PROVIDER, "civil-registry");
    let grant = h
        .client
        .create_grant(CreateGrantRequest {
            consumer: Some(state_system()),
            service: Some(person_service()),
            ..Default::default()
        })
        .await
        .expect("grant")
        .into_inner();
    let consumer_a = cast.a(Role::Consumer).to_owned();
    let application = h
        .onboarding_as(&consumer_a)
        .await
        .submit_application(SubmitApplicationRequest { form: Some(application_form()) })
        .await
        .expect("application")
        .into_inner();
    let consumer_spare = spare_certificate(&h, &consumer_a).await;
    let provider_spare = spare_certificate(&h, "consumer:UZ/GOV/201122919/civil-registry").await;
    let mut keys = h.signing_keys_as(OPERATOR).await;
    for key in [
        officer_key("tax-officer-1", state_system(), SigningKeyPurpose::Officer),
        officer_key("civil-adapter-1", civil_registry.clone(), SigningKeyPurpose::Adapter),
    ] {
        keys.register_signing_key(RegisterSigningKeyRequest { key: Some(key) }).await.expect("key");
    }
    let mut editor = h.public_services_as(cast.a(Role::RegistryEditor)).await;
    let mut reviewer = h.public_services_as(cast.a(Role::RegistryReviewer)).await;
    let submit = |body: &str, name: &str| SubmitEntryRequest { content: Some(public_service_content(body, name)) };
    let entry = editor.submit_entry(submit(PROVIDER, "Ma'lumotnoma")).await.expect("submitted").into_inner();
    let number = reviewer
        .register_entry(RegisterEntryRequest { application_id: entry.id.clone() })
        .await
        .expect("registered")
        .into_inner()
        .number;
    let body_application =
        editor.submit_entry(submit(PROVIDER, "Boshqa xizmat")).await.expect("submitted").into_inner().id;
    // An application of the consumer's own organisation, whose history that consumer may read.
    let consumer_org_editor = format!("registry-editor:UZ/GOV/{STATE_CONSUMER}/n.aliyeva");
    let consumer_org_application = h
        .public_services_as(&consumer_org_editor)
        .await
        .submit_entry(submit(STATE_CONSUMER, "Soliq ma'lumotnomasi"))
        .await
        .expect("submitted")
        .into_inner()
        .id;

    let tax_subsystem = Subsystem {
        id: Some(state_system()),
        name: "Tax inspection".into(),
        form: Some(system_form()),
        ..Default::default()
    };
    let civil_subsystem =
        Subsystem { id: Some(civil_registry.clone()), name: "Civil registry".into(), ..Default::default() };
    let new_service = |code: &str| koprik_proto::registry::Service {
        id: Some(service_id(code)),
        name: "Another service".into(),
        data_items: vec![DataItem {
            code: "region".into(),
            name: "Region".into(),
            classification: DataClassification::Ordinary as i32,
        }],
        ..Default::default()
    };
    let announcement = CreateAnnouncementRequest {
        announcement: Some(Announcement {
            service: Some(person_service()),
            kind: AnnouncementKind::PlannedChange as i32,
            starts_at: Some(koprik_proto::time::timestamp(Utc::now() + chrono::Duration::days(20))),
            summary: "a new field".into(),
            letter_reference: "letter 05/901".into(),
            ..Default::default()
        }),
    };
    let by_consumer =
        |consumer: wire::SubsystemId| ListAnnouncementsRequest { consumer: Some(consumer), ..Default::default() };
    let history = |id: &str| GetHistoryRequest { number: 0, application_id: id.to_owned() };
    let amendment = SubmitAmendmentRequest {
        number,
        content: Some(public_service_content(PROVIDER, "Ma'lumotnoma (2)")),
        change_date: today(),
        change_substance: localized("Narx o'zgardi"),
        grounds: "PQ-7".into(),
    };
    let abolition = AbolishEntryRequest {
        number,
        act: Some(act("Bekor qilish to'g'risida", &today())),
        basis: localized("Birlashtirildi"),
    };
    let remediation = DeclareRemediationRequest {
        application_id: body_application.clone(),
        remediation_date: (Utc::now() + chrono::Duration::days(30)).date_naive().to_string(),
        reason: "Adliya vazirligi bilan kelishiladi".into(),
    };
    let resubmission = ResubmitEntryRequest {
        application_id: body_application.clone(),
        content: Some(public_service_content(PROVIDER, "Boshqa xizmat (2)")),
    };

    use Role::{AgencyHead as AH, Consumer as C, Provider as P, RegistryEditor as RE, Supplier as S};
    let mut fixtures = vec![
        Fixture::new("/koprik.registry.v1.Registry/GetSubsystem", C, &GetSubsystemRequest { id: Some(state_system()) }),
        Fixture::new(
            "/koprik.registry.v1.Registry/GetSubsystem",
            P,
            &GetSubsystemRequest { id: Some(civil_registry.clone()) },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/ListSubsystems",
            C,
            &ListSubsystemsRequest { member: Some(member("GOV", STATE_CONSUMER)), ..Default::default() },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/ListSubsystems",
            P,
            &ListSubsystemsRequest { member: Some(member("GOV", PROVIDER)), ..Default::default() },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/UpdateSubsystem",
            C,
            &UpdateSubsystemRequest { subsystem: Some(tax_subsystem), expected_revision: 0 },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/UpdateSubsystem",
            P,
            &UpdateSubsystemRequest { subsystem: Some(civil_subsystem), expected_revision: 0 },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/CreateService",
            P,
            &CreateServiceRequest { service: Some(new_service("matrix")) },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/UpdateService",
            P,
            &UpdateServiceRequest { service: Some(person_service_record()), expected_revision: 0 },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/ListGrants",
            C,
            &ListGrantsRequest { consumer: Some(state_system()), ..Default::default() },
        ),
        Fixture::new(
            "/koprik.registry.v1.Registry/ListGrants",
            P,
            &ListGrantsRequest { service: Some(person_service()), ..Default::default() },
        ),
        Fixture::new(
            "/koprik.registry.v1.Onboarding/SubmitApplication",
            C,
            &SubmitApplicationRequest { form: Some(application_form()) },
        ),
        Fixture::new(
            "/koprik.registry.v1.Onboarding/ResubmitApplication",
            C,
            &ResubmitApplicationRequest {
                id: application.id.clone(),
                form: Some(application_form()),
                expected_revision: 0,
            },
        ),
        Fixture::new(
            "/koprik.registry.v1.Onboarding/RecordProviderConsent",
            P,
            &RecordProviderConsentRequest {
                id: application.id.clone(),
                service: Some(person_service()),
                decision: ConsentDecision::Given as i32,
                document_reference: "letter 05/777".into(),
                ..Default::default()
            },
        ),
        Fixture::new(
            "/koprik.registry.v1.Onboarding/ListApplications",
            C,
            &ListApplicationsRequest { consumer: Some(state_system()), ..Default::default() },
        ),
        Fixture::new("/koprik.registry.v1.Announcements/CreateAnnouncement", P, &announcement),
        Fixture::new("/koprik.registry.v1.Announcements/ListAnnouncements", C, &by_consumer(state_system())),
        Fixture::new(
            "/koprik.registry.v1.Certificates/RevokeCertificate",
            C,
            &RevokeCertificateRequest { serial: consumer_spare, reason: "key lost".into() },
        ),
        Fixture::new(
            "/koprik.registry.v1.Certificates/RevokeCertificate",
            P,
            &RevokeCertificateRequest { serial: provider_spare, reason: "key lost".into() },
        ),
        Fixture::new(
            "/koprik.registry.v1.Certificates/ListCertificates",
            C,
            &ListCertificatesRequest { subsystem: Some(state_system()) },
        ),
        Fixture::new(
            "/koprik.registry.v1.Certificates/ListCertificates",
            P,
            &ListCertificatesRequest { subsystem: Some(civil_registry.clone()) },
        ),
        Fixture::new(
            "/koprik.registry.v1.SigningKeys/RevokeSigningKey",
            C,
            &RevokeSigningKeyRequest { key_id: "tax-officer-1".into(), reason: "officer left".into() },
        ),
        Fixture::new(
            "/koprik.registry.v1.SigningKeys/RevokeSigningKey",
            P,
            &RevokeSigningKeyRequest { key_id: "civil-adapter-1".into(), reason: "adapter replaced".into() },
        ),
        Fixture::new(
            "/koprik.registry.v1.SigningKeys/ListSigningKeys",
            C,
            &ListSigningKeysRequest { subsystem: Some(state_system()) },
        ),
        Fixture::new(
            "/koprik.registry.v1.SigningKeys/ListSigningKeys",
            P,
            &ListSigningKeysRequest { subsystem: Some(civil_registry.clone()) },
        ),
        Fixture::new(
            "/koprik.registry.v1.PublicServices/ConfirmInventory",
            AH,
            &ConfirmInventoryRequest { body: Some(member("GOV", PROVIDER)), year: 2026 },
        ),
        Fixture::new("/koprik.registry.v1.PublicServices/GetHistory", C, &history(&consumer_org_application)),
    ];
    for role in [C, P] {
        fixtures.push(Fixture::new(
            "/koprik.registry.v1.Registry/GetGrant",
            role,
            &GetGrantRequest { id: grant.id.clone() },
        ));
        fixtures.push(Fixture::new(
            "/koprik.registry.v1.Onboarding/GetApplication",
            role,
            &GetApplicationRequest { id: application.id.clone() },
        ));
    }
    for role in [P, S, RE, AH] {
        // A subsystem of the A agency's own organisation.
        fixtures.push(Fixture::new(
            "/koprik.registry.v1.Announcements/ListAnnouncements",
            role,
            &by_consumer(civil_registry.clone()),
        ));
    }
    for role in [P, S, RE, AH] {
        fixtures.push(Fixture::new("/koprik.registry.v1.PublicServices/GetHistory", role, &history(&body_application)));
    }
    for role in [RE, AH] {
        fixtures.extend([
            Fixture::new("/koprik.registry.v1.PublicServices/SubmitEntry", role, &submit(PROVIDER, "Yangi xizmat")),
            Fixture::new("/koprik.registry.v1.PublicServices/DeclareRemediation", role, &remediation),
            Fixture::new("/koprik.registry.v1.PublicServices/ResubmitEntry", role, &resubmission),
            Fixture::new("/koprik.registry.v1.PublicServices/SubmitAmendment", role, &amendment),
            Fixture::new("/koprik.registry.v1.PublicServices/AbolishEntry", role, &abolition),
            Fixture::new(
                "/koprik.registry.v1.PublicServices/GetEntryApplication",
                role,
                &GetEntryApplicationRequest { application_id: body_application.clone() },
            ),
            Fixture::new(
                "/koprik.registry.v1.PublicServices/ListEntryApplications",
                role,
                &ListEntryApplicationsRequest { competent_body: Some(member("GOV", PROVIDER)), ..Default::default() },
            ),
        ]);
    }

    // The registry's seven gRPC services, as `koprik_authz::policy::SERVERS` lists them.
    let calls = authz_matrix::run_server(&h.pki, h.addr, "registry", &cast, &fixtures).await;
    assert!(calls > 1_000, "{calls} calls");
    stop(h).await;
}

/// Asserts that `result` is refused with `code` by the policy, naming `method`.
fn refused<T: std::fmt::Debug>(result: Result<T, koprik_proto::tonic::Status>, code: Code, method: &str) {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(status.message().contains(method), "{:?} should name {method}", status.message());
}

#[tokio::test]
async fn a_consumer_certificate_cannot_do_the_operators_work_and_leaves_no_trace() {
    let mut h = start().await;
    seed(&mut h).await;
    // What the attacker targets: a competitor's grant and certificate, and its own pending application.
    let bank_grant = h
        .client
        .create_grant(CreateGrantRequest {
            consumer: Some(bank_system()),
            service: Some(person_service()),
            contract: Some(koprik_proto::registry::Contract {
                reference: "DDP-2026/114".into(),
                price_basis_points: 50,
                valid_from: None,
                valid_until: Some(koprik_proto::time::timestamp(Utc::now() + chrono::Duration::days(365))),
            }),
            ..Default::default()
        })
        .await
        .expect("the bank's grant")
        .into_inner();
    let bank_certificate = h.register(BANK_IDENTITY).await;
    let own_application = h
        .onboarding_as(STATE_IDENTITY)
        .await
        .submit_application(SubmitApplicationRequest { form: Some(application_form()) })
        .await
        .expect("its own application")
        .into_inner();

    let mut registry = h.client_as(STATE_IDENTITY).await;
    let mut onboarding = h.onboarding_as(STATE_IDENTITY).await;
    let mut keys = h.signing_keys_as(STATE_IDENTITY).await;
    let mut certificates = h.certificates_as(STATE_IDENTITY).await;

    let grant_itself =
        CreateGrantRequest { consumer: Some(state_system()), service: Some(person_service()), ..Default::default() };
    let status = registry.create_grant(grant_itself.clone()).await.expect_err("not an operator");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "koprik.registry.v1.Registry/CreateGrant is not permitted to the role consumer \
         (consumer:UZ/GOV/200935935/tax-inspection); it needs one of the roles operator"
    );
    let approve = ApplicationActionRequest { id: own_application.id.clone(), expected_revision: 0 };
    refused(onboarding.start_review(approve.clone()).await, Code::PermissionDenied, "Onboarding/StartReview");
    refused(onboarding.approve_application(approve).await, Code::PermissionDenied, "Onboarding/ApproveApplication");
    let suspend = UpdateGrantRequest {
        id: bank_grant.id.clone(),
        status: GrantStatus::Suspended as i32,
        reason: "competition".into(),
        ground: koprik_proto::registry::AccessGround::SuspendLatePayment as i32,
        notice: Some(notice()),
        expected_revision: 0,
    };
    refused(registry.update_grant(suspend).await, Code::PermissionDenied, "Registry/UpdateGrant");
    let key = officer_key("attacker-1", state_system(), SigningKeyPurpose::Officer);
    refused(
        keys.register_signing_key(RegisterSigningKeyRequest { key: Some(key) }).await,
        Code::PermissionDenied,
        "SigningKeys/RegisterSigningKey",
    );
    let revoke = RevokeCertificateRequest { serial: bank_certificate.serial.clone(), reason: "lost".into() };
    refused(certificates.revoke_certificate(revoke).await, Code::PermissionDenied, "Certificates/RevokeCertificate");
    // Nor can it read what is not its own, or make itself someone else's organisation.
    refused(
        registry.get_grant(GetGrantRequest { id: bank_grant.id.clone() }).await,
        Code::PermissionDenied,
        "Registry/GetGrant",
    );
    refused(
        registry.list_grants(ListGrantsRequest { consumer: Some(bank_system()), ..Default::default() }).await,
        Code::PermissionDenied,
        "Registry/ListGrants",
    );
    let organization = Organization {
        id: Some(member("GOV", "209999999")),
        name: "Shadow".into(),
        r#type: OrganizationType::StateBody as i32,
        roles: vec![OrganizationRole::Provider as i32],
        meta: None,
    };
    refused(
        registry.create_organization(CreateOrganizationRequest { organization: Some(organization) }).await,
        Code::PermissionDenied,
        "Registry/CreateOrganization",
    );
    // Without any certificate, nothing at all.
    let mut anonymous = koprik_proto::registry::registry_client::RegistryClient::new(h.anonymous().await);
    refused(anonymous.create_grant(grant_itself).await, Code::Unauthenticated, "Registry/CreateGrant");
    let subsystem =
        Subsystem { id: Some(subsystem_id("GOV", STATE_CONSUMER, "shadow")), name: "x".into(), ..Default::default() };
    refused(
        anonymous.create_subsystem(CreateSubsystemRequest { subsystem: Some(subsystem) }).await,
        Code::Unauthenticated,
        "Registry/CreateSubsystem",
    );

    // Nothing changed.
    let grants = h.client.list_grants(ListGrantsRequest::default()).await.expect("grants").into_inner().grants;
    assert_eq!(grants.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), [bank_grant.id.as_str()]);
    assert_eq!((grants[0].status(), grants[0].meta.as_ref().map(|m| m.revision)), (GrantStatus::Active, Some(1)));
    let application = h
        .onboarding_as(OPERATOR)
        .await
        .get_application(GetApplicationRequest { id: own_application.id.clone() })
        .await
        .expect("application")
        .into_inner();
    assert_eq!((application.state(), application.history.len()), (ApplicationState::Submitted, 1));
    let keys = h.signing_keys_as(OPERATOR).await.list_signing_keys(ListSigningKeysRequest::default()).await;
    assert!(keys.expect("keys").into_inner().keys.is_empty());
    let bank = h
        .certificates_as(OPERATOR)
        .await
        .list_certificates(ListCertificatesRequest { subsystem: Some(bank_system()) })
        .await
        .expect("certificates")
        .into_inner()
        .certificates;
    assert_eq!(bank.iter().map(|c| c.status()).collect::<Vec<_>>(), [CredentialStatus::Active]);
    let organizations = h
        .client
        .get_organization(koprik_proto::registry::GetOrganizationRequest { id: Some(member("GOV", "209999999")) })
        .await;
    assert_eq!(organizations.expect_err("never created").code(), Code::NotFound);
    let subsystem =
        h.client.get_subsystem(GetSubsystemRequest { id: Some(subsystem_id("GOV", STATE_CONSUMER, "shadow")) }).await;
    assert_eq!(subsystem.expect_err("never created").code(), Code::NotFound);

    // Each refusal is counted by method and reason.
    let metrics = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
    for line in [
        r#"authz_refusals_total{method="/koprik.registry.v1.Registry/CreateGrant",reason="role"} 1"#,
        r#"authz_refusals_total{method="/koprik.registry.v1.Registry/GetGrant",reason="reach"} 1"#,
        r#"authz_refusals_total{method="/koprik.registry.v1.Registry/CreateGrant",reason="no_certificate"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} not in\n{metrics}");
    }
    stop(h).await;
}

#[tokio::test]
async fn a_consumer_subsystem_that_provides_the_service_reads_only_its_own_grants_and_applications() {
    let mut h = start().await;
    seed(&mut h).await;
    // The tax inspection's grant on the person service, and its application asking for that service.
    let grant = h
        .client
        .create_grant(CreateGrantRequest {
            consumer: Some(state_system()),
            service: Some(person_service()),
            ..Default::default()
        })
        .await
        .expect("grant")
        .into_inner();
    let application = h
        .onboarding_as(STATE_IDENTITY)
        .await
        .submit_application(SubmitApplicationRequest { form: Some(application_form()) })
        .await
        .expect("application")
        .into_inner();
    let get_grant = GetGrantRequest { id: grant.id.clone() };
    let get_application = GetApplicationRequest { id: application.id.clone() };

    // The civil registry provides the person service; as a consumer subsystem it is the tax inspection's peer.
    let providing = "consumer:UZ/GOV/201122919/civil-registry";
    refused(
        h.client_as(providing).await.get_grant(get_grant.clone()).await,
        Code::PermissionDenied,
        "Registry/GetGrant",
    );
    refused(
        h.onboarding_as(providing).await.get_application(get_application.clone()).await,
        Code::PermissionDenied,
        "Onboarding/GetApplication",
    );

    // The provider organisation reads both, as the tax inspection does.
    for identity in [PROVIDER_IDENTITY, STATE_IDENTITY] {
        let read = h.client_as(identity).await.get_grant(get_grant.clone()).await.expect("a grant it may read");
        assert_eq!(read.into_inner().id, grant.id, "{identity}");
        let read = h.onboarding_as(identity).await.get_application(get_application.clone()).await;
        assert_eq!(read.expect("an application it may read").into_inner().id, application.id, "{identity}");
    }
    stop(h).await;
}

#[tokio::test]
async fn a_revoked_certificate_is_refused_on_its_very_next_call() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut consumer = h.client_as(STATE_IDENTITY).await;
    let own_grants = ListGrantsRequest::default();
    consumer.list_grants(own_grants.clone()).await.expect("registered and active");

    // The operator revokes it: the next call over the same connection is refused.
    let serial = h.pki.files(STATE_IDENTITY).serial().expect("a serial");
    h.certificates_as(OPERATOR)
        .await
        .revoke_certificate(RevokeCertificateRequest { serial: serial.clone(), reason: "key compromised".into() })
        .await
        .expect("revoked");
    let status = consumer.list_grants(own_grants).await.expect_err("revoked");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(status.message().ends_with("is revoked: key compromised"), "{}", status.message());

    // A provider that revokes its own (lost) certificate cuts itself off just as fast.
    let mut provider = h.certificates_as(PROVIDER_IDENTITY).await;
    let own = h.pki.files(PROVIDER_IDENTITY).serial().expect("a serial");
    let revoked = provider
        .revoke_certificate(RevokeCertificateRequest { serial: own, reason: "laptop stolen".into() })
        .await
        .expect("its own certificate")
        .into_inner();
    assert_eq!(revoked.actor, PROVIDER_IDENTITY);
    let status = provider.list_certificates(ListCertificatesRequest::default()).await.expect_err("revoked");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    stop(h).await;
}
