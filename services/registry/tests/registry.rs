//! The registry against a real database (SQLite, or PostgreSQL with `DATABASE_URL`) and a real Tansu broker:
//! the gRPC API, its validation, and the events it publishes on `registry.events`.

mod common;

use std::time::Duration;

use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_proto::common as wire;
use koprik_proto::events::{registry_event::Entity, RegistryEvent};
use koprik_proto::prost::Name;
use koprik_proto::registry::{
    AccessGround, CreateGrantRequest, CreateOrganizationRequest, CreateServiceRequest, CreateSubsystemRequest,
    DataClassification, DataItem, GetGrantRequest, GetServiceRequest, Grant, GrantStatus, ListGrantsRequest,
    ListOrganizationsRequest, Organization, OrganizationRole, OrganizationType, Service, Subsystem, UpdateGrantRequest,
    UpdateOrganizationRequest, UpdateServiceRequest,
};
use koprik_proto::tonic::Code;
use koprik_testkit::kafka::wait_for_record;

use common::{member, notice, start, stop, subsystem_id, Harness, OPERATOR};

fn service_id() -> wire::ServiceId {
    wire::ServiceId {
        subsystem: Some(subsystem_id("GOV", "201122919", "civil-registry")),
        service_code: "person-by-pinfl".into(),
        version: "v1".into(),
    }
}

/// An organisation message.
fn org(id: wire::MemberId, name: &str, kind: OrganizationType, roles: &[OrganizationRole]) -> Organization {
    Organization {
        id: Some(id),
        name: name.into(),
        r#type: kind as i32,
        roles: roles.iter().map(|r| *r as i32).collect(),
        meta: None,
    }
}

/// Asks the registry to create `organization`.
async fn create_org(h: &mut Harness, organization: Organization) -> Result<Organization, koprik_proto::tonic::Status> {
    h.client
        .create_organization(CreateOrganizationRequest { organization: Some(organization) })
        .await
        .map(|r| r.into_inner())
}

async fn organization(h: &mut Harness, class: &str, code: &str, kind: OrganizationType, roles: &[OrganizationRole]) {
    let organization = org(member(class, code), &format!("Organisation {code}"), kind, roles);
    create_org(h, organization).await.expect("organisation created");
}

async fn subsystem(h: &mut Harness, id: wire::SubsystemId) {
    h.client
        .create_subsystem(CreateSubsystemRequest {
            subsystem: Some(Subsystem {
                id: Some(id),
                name: "An information system".into(),
                description: String::new(),
                meta: None,
                form: None,
            }),
        })
        .await
        .expect("subsystem created");
}

/// A provider with one service and a state consumer with one subsystem.
async fn seed(h: &mut Harness) {
    organization(h, "GOV", "201122919", OrganizationType::StateBody, &[OrganizationRole::Provider]).await;
    organization(h, "GOV", "200935935", OrganizationType::StateBody, &[OrganizationRole::IipConsumer]).await;
    subsystem(h, subsystem_id("GOV", "201122919", "civil-registry")).await;
    subsystem(h, subsystem_id("GOV", "200935935", "tax-inspection")).await;
    h.client
        .create_service(CreateServiceRequest {
            service: Some(Service {
                id: Some(service_id()),
                name: "Person by PINFL".into(),
                description: String::new(),
                data_items: vec![DataItem {
                    code: "surname".into(),
                    name: "Surname".into(),
                    classification: DataClassification::Personal as i32,
                }],
                status: 0,
                meta: None,
                archive: false,
            }),
        })
        .await
        .expect("service created");
}

/// Grants the seeded consumer access to the seeded service.
async fn grant(h: &mut Harness) -> Grant {
    h.client
        .create_grant(CreateGrantRequest {
            consumer: Some(subsystem_id("GOV", "200935935", "tax-inspection")),
            service: Some(service_id()),
            ..Default::default()
        })
        .await
        .expect("grant created")
        .into_inner()
}

#[tokio::test]
async fn a_grant_is_stored_listed_and_published() {
    let mut h = start().await;
    seed(&mut h).await;
    let grant = grant(&mut h).await;
    assert_eq!(grant.status(), GrantStatus::Active);
    let created = grant.history.first().expect("the grant's creation is recorded");
    assert_eq!(created.actor, OPERATOR, "the actor is the certificate that called");

    let listed = h
        .client
        .list_grants(ListGrantsRequest {
            page: None,
            consumer: Some(subsystem_id("GOV", "200935935", "tax-inspection")),
            service: None,
        })
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.grants, vec![grant.clone()]);

    let config = h.broker.kafka_config();
    let key = format!("grant/{}", grant.id);
    let event =
        wait_for_record::<RegistryEvent, _>(&config, REGISTRY_EVENTS, Duration::from_secs(10), |r| r.key == key).await;
    assert_eq!(event.headers.event_type.as_deref(), Some(RegistryEvent::full_name().as_str()));
    assert_eq!(event.headers.event_id.as_deref(), Some(event.value.event_id.as_str()));
    assert_eq!(event.value.entity, Some(Entity::Grant(grant)));
    stop(h).await;
}

#[tokio::test]
async fn the_declared_monthly_maximum_and_the_archive_mark_are_stored_and_published() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut service =
        h.client.get_service(GetServiceRequest { id: Some(service_id()) }).await.expect("got").into_inner();
    assert!(!service.archive, "not an archive service unless said so");
    service.archive = true;
    let expected_revision = service.meta.as_ref().map_or(0, |m| m.revision);
    let updated = h
        .client
        .update_service(UpdateServiceRequest { service: Some(service), expected_revision })
        .await
        .expect("updated")
        .into_inner();
    assert!(updated.archive, "REG-2 p. 17: archive services have no deadline");
    let read = h.client.get_service(GetServiceRequest { id: Some(service_id()) }).await.expect("got").into_inner();
    assert!(read.archive);

    let grant = h
        .client
        .create_grant(CreateGrantRequest {
            consumer: Some(subsystem_id("GOV", "200935935", "tax-inspection")),
            service: Some(service_id()),
            max_requests_per_month: 500,
            ..Default::default()
        })
        .await
        .expect("grant created")
        .into_inner();
    assert_eq!(grant.max_requests_per_month, 500);
    let stored = h.client.get_grant(GetGrantRequest { id: grant.id.clone() }).await.expect("got").into_inner();
    assert_eq!(stored.max_requests_per_month, 500);

    let config = h.broker.kafka_config();
    let key = format!("grant/{}", grant.id);
    let event =
        wait_for_record::<RegistryEvent, _>(&config, REGISTRY_EVENTS, Duration::from_secs(10), |r| r.key == key).await;
    assert!(matches!(event.value.entity, Some(Entity::Grant(g)) if g.max_requests_per_month == 500));
    let service_key = format!("service/{}", koprik_proto::ids::ServiceId::try_from(&service_id()).expect("id"));
    let event = wait_for_record::<RegistryEvent, _>(&config, REGISTRY_EVENTS, Duration::from_secs(10), |r| {
        r.key == service_key && matches!(&r.value.entity, Some(Entity::Service(s)) if s.archive)
    })
    .await;
    assert!(matches!(event.value.entity, Some(Entity::Service(s)) if s.archive));
    stop(h).await;
}

#[tokio::test]
async fn every_change_is_published_in_order_with_its_revision() {
    let mut h = start().await;
    seed(&mut h).await;
    let grant = grant(&mut h).await;
    let revoked = h
        .client
        .update_grant(UpdateGrantRequest {
            id: grant.id.clone(),
            status: GrantStatus::Revoked as i32,
            reason: "the regulation was not fulfilled".into(),
            expected_revision: 1,
            ground: AccessGround::TerminateRegulationBreach as i32,
            notice: Some(notice()),
        })
        .await
        .expect("revoked")
        .into_inner();
    assert_eq!(revoked.meta.as_ref().map(|m| m.revision), Some(2));

    let config = h.broker.kafka_config();
    let key = format!("grant/{}", grant.id);
    let last = wait_for_record::<RegistryEvent, _>(&config, REGISTRY_EVENTS, Duration::from_secs(10), |r| {
        r.key == key && matches!(&r.value.entity, Some(Entity::Grant(g)) if g.status() == GrantStatus::Revoked)
    })
    .await;
    let first =
        wait_for_record::<RegistryEvent, _>(&config, REGISTRY_EVENTS, Duration::from_secs(10), |r| r.key == key).await;
    assert!(first.offset < last.offset, "the creation is published before the revocation");
    stop(h).await;
}

#[tokio::test]
async fn malformed_input_is_refused_naming_the_field() {
    let mut h = start().await;
    let mut bad = member("GOV", "20112291");
    bad.member_code = "20112291".into();
    let status =
        create_org(&mut h, org(bad, "Short STIR", OrganizationType::StateBody, &[])).await.expect_err("invalid STIR");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "organization.id.member_code: must be 9 digits (the member's STIR)");

    let status = h
        .client
        .create_organization(CreateOrganizationRequest { organization: None })
        .await
        .expect_err("empty request");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "organization: is required");

    let status = h
        .client
        .list_organizations(ListOrganizationsRequest {
            page: Some(wire::PageRequest { page_size: 100_000, page_token: String::new() }),
        })
        .await
        .expect_err("page too large");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("page.page_size"), "{}", status.message());
    stop(h).await;
}

#[tokio::test]
async fn duplicates_stale_updates_and_missing_roles_are_refused() {
    let mut h = start().await;
    seed(&mut h).await;

    let again = org(member("GOV", "201122919"), "Again", OrganizationType::StateBody, &[]);
    let duplicate = create_org(&mut h, again).await.expect_err("duplicate");
    assert_eq!(duplicate.code(), Code::AlreadyExists);

    // The same STIR under another member class: it would share the provider's request topic.
    let namesake = org(member("COM", "201122919"), "Namesake", OrganizationType::Commercial, &[]);
    let same_stir = create_org(&mut h, namesake).await.expect_err("STIR taken");
    assert_eq!(same_stir.code(), Code::AlreadyExists);
    assert!(same_stir.message().contains("with STIR 201122919"), "{}", same_stir.message());

    let stale = h
        .client
        .update_organization(UpdateOrganizationRequest {
            organization: Some(org(
                member("GOV", "201122919"),
                "Renamed",
                OrganizationType::StateBody,
                &[OrganizationRole::Provider],
            )),
            expected_revision: 7,
        })
        .await
        .expect_err("stale revision");
    assert_eq!(stale.code(), Code::Aborted);

    // The provider organisation is not a consumer: it cannot be granted access.
    let not_consumer = h
        .client
        .create_grant(CreateGrantRequest {
            consumer: Some(subsystem_id("GOV", "201122919", "civil-registry")),
            service: Some(service_id()),
            ..Default::default()
        })
        .await
        .expect_err("no consumer role");
    assert_eq!(not_consumer.code(), Code::FailedPrecondition);
    assert!(not_consumer.message().contains("IIP_CONSUMER"), "{}", not_consumer.message());

    let unknown = h
        .client
        .get_service(GetServiceRequest { id: Some(wire::ServiceId { version: "v9".into(), ..service_id() }) })
        .await
        .expect_err("unknown service");
    assert_eq!(unknown.code(), Code::NotFound);
    stop(h).await;
}

#[tokio::test]
async fn a_revoked_grant_cannot_be_reinstated() {
    let mut h = start().await;
    seed(&mut h).await;
    let grant = grant(&mut h).await;
    let no_reason = h
        .client
        .update_grant(UpdateGrantRequest {
            id: grant.id.clone(),
            status: GrantStatus::Suspended as i32,
            reason: String::new(),
            expected_revision: 0,
            ground: AccessGround::SuspendUnagreedPurpose as i32,
            notice: Some(notice()),
        })
        .await
        .expect_err("reason required");
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    assert!(no_reason.message().starts_with("reason:"), "{}", no_reason.message());

    for (status, expected) in [(GrantStatus::Revoked, Code::Ok), (GrantStatus::Active, Code::FailedPrecondition)] {
        let result = h
            .client
            .update_grant(UpdateGrantRequest {
                id: grant.id.clone(),
                status: status as i32,
                reason: "personal data passed on unlawfully".into(),
                expected_revision: 0,
                ground: AccessGround::TerminatePersonalDataViolation as i32,
                notice: Some(notice()),
            })
            .await;
        assert_eq!(result.err().map_or(Code::Ok, |s| s.code()), expected);
    }
    stop(h).await;
}

#[tokio::test]
async fn metrics_are_served() {
    let h = start().await;
    let body = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
    assert!(body.contains("koprik_registry_outbox_published"), "{body}");
    stop(h).await;
}
