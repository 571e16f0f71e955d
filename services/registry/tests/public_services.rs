//! The Unified Registry of Public Services (REG-1) against a real database (SQLite, or PostgreSQL with
//! `DATABASE_URL`) and a real Tansu broker: the procedure with its deadlines, the rules, the history, the
//! re-inventory, and the open HTTP export.
//!
//! Deadlines are computed by the server from its own clock; each test recomputes them with the same calendar from
//! the times the server recorded. The exact dates across weekends and holidays are proven by the unit tests of
//! `domain::public_service::deadlines`.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_proto::common as wire;
use koprik_proto::events::{registry_event::Entity, RegistryEvent};
use koprik_proto::registry::public_services_client::PublicServicesClient;
use koprik_proto::registry::{
    AbolishEntryRequest, ConfirmInventoryRequest, CreateOrganizationRequest, CreateServiceRequest,
    CreateSubsystemRequest, DataClassification, DataItem, DeclareRemediationRequest, Document, EntryApplicationState,
    EntryStatus, GetEntryRequest, GetHistoryRequest, ListEntryApplicationsRequest, Organization, OrganizationRole,
    OrganizationType, PendingStep, PublicServiceApplication, PublicServiceContent, RefuseEntryRequest,
    RegisterEntryRequest, ReinventoryReportRequest, ResubmitEntryRequest, SendRegistrationNoticeRequest, Service,
    StepKind, SubmitAmendmentRequest, SubmitEntryRequest, Subsystem, VersionState,
};
use koprik_proto::time::datetime;
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Status};
use koprik_registry::calendar::{Calendar, TASHKENT};
use koprik_registry::domain::public_service::deadlines;
use koprik_testkit::kafka::wait_for_record;

const BODY: &str = "201122919";
const OTHER_BODY: &str = "202365783";
const SUPPLIER: &str = "200935935";

/// The registry's reviewer of the Unified Registry (the operator's side: registers, refuses, notifies).
const REVIEWER: &str = "registry-reviewer:d.yusupova";

/// The registry editor of `body` (submits, resubmits, amends, abolishes its agency's entries).
fn editor(body: &str) -> String {
    format!("registry-editor:UZ/GOV/{body}/n.aliyeva")
}

/// The head of `body` (confirms its re-inventory).
fn head(body: &str) -> String {
    format!("agency-head:UZ/GOV/{body}/b.tursunov")
}

/// The shared registry harness with a `PublicServices` client of the operator (reads only).
struct Harness {
    client: PublicServicesClient<Channel>,
    inner: common::Harness,
}

impl Harness {
    /// `PublicServices` as `identity`.
    async fn as_(&self, identity: &str) -> PublicServicesClient<Channel> {
        self.inner.public_services_as(identity).await
    }
}

async fn start() -> Harness {
    let inner = common::start().await;
    let mut h = Harness { client: PublicServicesClient::new(inner.channel.clone()), inner };
    for code in [BODY, OTHER_BODY, SUPPLIER] {
        organization(&mut h, code).await;
    }
    h
}

async fn stop(h: Harness) {
    common::stop(h.inner).await;
}

fn member(code: &str) -> wire::MemberId {
    wire::MemberId { instance: "UZ".into(), member_class: "GOV".into(), member_code: code.into() }
}

async fn organization(h: &mut Harness, code: &str) {
    let organization = Organization {
        id: Some(member(code)),
        name: format!("Body {code}"),
        r#type: OrganizationType::StateBody as i32,
        roles: vec![OrganizationRole::Provider as i32],
        meta: None,
    };
    h.inner
        .client
        .create_organization(CreateOrganizationRequest { organization: Some(organization) })
        .await
        .expect("org");
}

use common::{act, localized as text, public_service_content as content};

async fn submit(h: &mut Harness, content: PublicServiceContent) -> Result<PublicServiceApplication, Status> {
    let body = content.competent_body.clone().expect("a competent body").member_code;
    let request = SubmitEntryRequest { content: Some(content) };
    h.as_(&editor(&body)).await.submit_entry(request).await.map(|r| r.into_inner())
}

async fn register(h: &mut Harness, id: &str) -> PublicServiceApplication {
    let request = RegisterEntryRequest { application_id: id.into() };
    h.as_(REVIEWER).await.register_entry(request).await.expect("registered").into_inner()
}

/// Submits and registers a new entry; returns its number.
async fn registered(h: &mut Harness, body: &str, name: &str) -> u64 {
    let application = submit(h, content(body, name)).await.expect("submitted");
    register(h, &application.id).await.number
}

async fn amend(h: &mut Harness, number: u64, name: &str, substance: &str) -> PublicServiceApplication {
    let today = Utc::now().with_timezone(&TASHKENT).date_naive();
    let request = SubmitAmendmentRequest {
        number,
        content: Some(content(BODY, name)),
        change_date: today.to_string(),
        change_substance: text(substance),
        grounds: "Reglament o'zgardi (PQ-7)".into(),
    };
    h.as_(&editor(BODY)).await.submit_amendment(request).await.expect("amendment submitted").into_inner()
}

fn at(value: Option<&koprik_proto::prost_types::Timestamp>) -> DateTime<Utc> {
    value.and_then(datetime).expect("a timestamp")
}

#[tokio::test]
async fn reg1_the_procedure_runs_with_its_deadlines_and_keeps_every_version_and_step() {
    let mut h = start().await;
    let calendar = Calendar::builtin();

    // Submission: registration due within a week, refusal within 5 working days (REG-1 pp. 12-13).
    let submitted = submit(&mut h, content(BODY, "Ma'lumotnoma berish")).await.expect("submitted");
    let submitted_at = at(submitted.submitted_at.as_ref());
    assert_eq!(submitted.state(), EntryApplicationState::UnderReview);
    assert_eq!(at(submitted.register_due_by.as_ref()), deadlines::registration_due(submitted_at));
    assert_eq!(at(submitted.refuse_due_by.as_ref()), deadlines::refusal_due(&calendar, submitted_at).expect("covered"));
    assert_eq!((submitted.pending(), submitted.overdue), (PendingStep::Review, false));

    // A refusal without reasons is refused (p. 13: reasoned refusal).
    let mut reviewer = h.as_(REVIEWER).await;
    let mut body = h.as_(&editor(BODY)).await;
    let request = RefuseEntryRequest { application_id: submitted.id.clone(), reasons: vec![] };
    let status = reviewer.refuse_entry(request).await.expect_err("no reasons");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("reasons:"), "{}", status.message());

    let request =
        RefuseEntryRequest { application_id: submitted.id.clone(), reasons: vec!["12-ustun: namunasi yo'q".into()] };
    let refused = reviewer.refuse_entry(request).await.expect("refused").into_inner();
    let refused_at = at(refused.refused_at.as_ref());
    assert_eq!(refused.state(), EntryApplicationState::Refused);
    assert_eq!(refused.refusal_reasons, vec!["12-ustun: namunasi yo'q".to_owned()]);
    assert_eq!(
        at(refused.remediation_due_by.as_ref()),
        deadlines::resubmission_due(&calendar, refused_at).expect("covered")
    );
    assert_eq!(refused.pending(), PendingStep::Resubmission);

    // The body needs other bodies' agreement: it declares its own date (p. 13, third paragraph).
    let date = (Utc::now().with_timezone(&TASHKENT) + chrono::Duration::days(30)).date_naive();
    let request = DeclareRemediationRequest {
        application_id: submitted.id.clone(),
        remediation_date: date.to_string(),
        reason: "Adliya vazirligi bilan kelishiladi".into(),
    };
    let declared = body.declare_remediation(request).await.expect("declared").into_inner();
    assert_eq!(at(declared.remediation_due_by.as_ref()), deadlines::declared_remediation_due(date));

    let request = ResubmitEntryRequest {
        application_id: submitted.id.clone(),
        content: Some(content(BODY, "Ma'lumotnoma berish (tuzatilgan)")),
    };
    let resubmitted = body.resubmit_entry(request).await.expect("resubmitted").into_inner();
    assert_eq!((resubmitted.state(), resubmitted.submission), (EntryApplicationState::UnderReview, 2));

    // Registration assigns number 1; the notice is due within 1 working day (p. 12).
    let registered = register(&mut h, &submitted.id).await;
    assert_eq!((registered.state(), registered.number), (EntryApplicationState::Registered, 1));
    let registered_at = at(registered.registered_at.as_ref());
    assert_eq!(
        at(registered.notice_due_by.as_ref()),
        deadlines::notice_due(&calendar, registered_at).expect("covered")
    );
    assert_eq!(registered.pending(), PendingStep::Notice);
    let notice = SendRegistrationNoticeRequest { application_id: submitted.id.clone() };
    let notified = reviewer.send_registration_notice(notice.clone()).await.expect("notice").into_inner();
    assert_eq!((notified.pending(), notified.overdue), (PendingStep::None, false));
    let again = reviewer.send_registration_notice(notice).await.expect_err("sent twice");
    assert_eq!(again.code(), Code::FailedPrecondition);

    // Two amendments; the registered content changes only when each is registered (pp. 14-15).
    let first = amend(&mut h, 1, "Ma'lumotnoma berish (2-tahrir)", "Narx bekor qilindi").await;
    let change_date = Utc::now().with_timezone(&TASHKENT).date_naive();
    assert_eq!(at(first.due_by.as_ref()), at(first.register_due_by.as_ref()).max(at(first.refuse_due_by.as_ref())));
    let entry = h.client.get_entry(GetEntryRequest { number: 1 }).await.expect("entry").into_inner();
    assert_eq!(entry.content.and_then(|c| c.name).map(|n| n.uz).as_deref(), Some("Ma'lumotnoma berish (tuzatilgan)"));
    let overlapping = SubmitAmendmentRequest {
        number: 1,
        content: Some(content(BODY, "x")),
        change_date: change_date.to_string(),
        change_substance: text("x"),
        grounds: "x".into(),
    };
    let status = body.submit_amendment(overlapping).await.expect_err("one open amendment at a time");
    assert_eq!(status.code(), Code::FailedPrecondition);
    register(&mut h, &first.id).await;
    let second = amend(&mut h, 1, "Ma'lumotnoma berish (3-tahrir)", "Muddat 2 kunga qisqardi").await;
    register(&mut h, &second.id).await;

    let entry = h.client.get_entry(GetEntryRequest { number: 1 }).await.expect("entry").into_inner();
    assert_eq!(entry.content_version, 3);
    assert_eq!(entry.content.and_then(|c| c.name).map(|n| n.uz).as_deref(), Some("Ma'lumotnoma berish (3-tahrir)"));
    let marks: Vec<(String, String)> =
        entry.change_marks.iter().map(|m| (m.date.clone(), m.substance.clone().unwrap_or_default().uz)).collect();
    assert_eq!(
        marks,
        vec![
            (change_date.to_string(), "Narx bekor qilindi".to_owned()),
            (change_date.to_string(), "Muddat 2 kunga qisqardi".to_owned())
        ]
    );

    let history = h.client.get_history(GetHistoryRequest { number: 1, application_id: String::new() }).await;
    let history = history.expect("history").into_inner();
    let versions: Vec<(String, VersionState)> = history
        .versions
        .iter()
        .map(|v| (v.content.clone().and_then(|c| c.name).unwrap_or_default().uz, v.state()))
        .collect();
    assert_eq!(
        versions,
        vec![
            ("Ma'lumotnoma berish".to_owned(), VersionState::Refused),
            ("Ma'lumotnoma berish (tuzatilgan)".to_owned(), VersionState::Registered),
            ("Ma'lumotnoma berish (2-tahrir)".to_owned(), VersionState::Registered),
            ("Ma'lumotnoma berish (3-tahrir)".to_owned(), VersionState::Registered),
        ]
    );
    assert_eq!(history.versions[2].change_mark.as_ref().map(|m| m.date.clone()), Some(change_date.to_string()));
    let steps: Vec<StepKind> = history.steps.iter().map(|s| s.kind()).collect();
    assert_eq!(
        steps,
        vec![
            StepKind::Submitted,
            StepKind::Refused,
            StepKind::RemediationDeclared,
            StepKind::Resubmitted,
            StepKind::Registered,
            StepKind::NoticeSent,
            StepKind::AmendmentSubmitted,
            StepKind::Registered,
            StepKind::AmendmentSubmitted,
            StepKind::Registered,
        ]
    );
    assert!(history.steps.iter().all(|s| !s.late), "{:?}", history.steps);
    // Each step records the certificate that took it: the agency's editor, or the operator's reviewer.
    let actors: Vec<&str> = history.steps.iter().map(|s| s.actor.as_str()).collect();
    let (body_actor, reviewer_actor) = (editor(BODY), REVIEWER.to_owned());
    let expected: Vec<&str> = [
        &body_actor,
        &reviewer_actor,
        &body_actor,
        &body_actor,
        &reviewer_actor,
        &reviewer_actor,
        &body_actor,
        &reviewer_actor,
        &body_actor,
        &reviewer_actor,
    ]
    .iter()
    .map(|a| a.as_str())
    .collect();
    assert_eq!(actors, expected);
    let amendment_step = &history.steps[6];
    assert_eq!(at(amendment_step.due_by.as_ref()), deadlines::amendment_due(&calendar, change_date).expect("covered"));

    // Every change is published; the entry's key is public-service/<number>.
    let config = h.inner.broker.kafka_config();
    let event = wait_for_record::<RegistryEvent, _>(&config, REGISTRY_EVENTS, Duration::from_secs(10), |r| {
        r.key == "public-service/1"
            && matches!(&r.value.entity, Some(Entity::PublicService(e)) if e.content_version == 3)
    })
    .await;
    assert_eq!(event.value.entity, Some(Entity::PublicService(entry_with_meta(&mut h, 1).await)));
    stop(h).await;
}

async fn entry_with_meta(h: &mut Harness, number: u64) -> koprik_proto::registry::PublicServiceEntry {
    h.client.get_entry(GetEntryRequest { number }).await.expect("entry").into_inner()
}

#[tokio::test]
async fn law_art8_an_item_obtained_through_cooperation_is_never_asked_of_the_applicant() {
    let mut h = start().await;
    let mut both = content(BODY, "Ma'lumotnoma berish");
    both.applicant_documents.push(Document { name: text("PASPORT  ma'lumotlari."), link: String::new() });
    let status = submit(&mut h, both).await.expect_err("once only");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("content.applicant_documents[1].name:"), "{}", status.message());
    assert!(status.message().contains("interagency_documents[0]"), "{}", status.message());

    // An agency's editor submits only for its own agency, registered or not.
    let mut body = h.as_(&editor(BODY)).await;
    for other in [OTHER_BODY, "999999999"] {
        let request = SubmitEntryRequest { content: Some(content(other, "x")) };
        let status = body.submit_entry(request).await.expect_err("another agency's entry");
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert!(status.message().contains("SubmitEntry"), "{}", status.message());
    }
    stop(h).await;
}

#[tokio::test]
async fn reg1_p17_a_registry_number_is_never_reused_after_abolition() {
    let mut h = start().await;
    assert_eq!(registered(&mut h, BODY, "Birinchi xizmat").await, 1);
    let request = AbolishEntryRequest {
        number: 1,
        act: Some(act(
            "Xizmatni bekor qilish to'g'risida",
            &Utc::now().with_timezone(&TASHKENT).date_naive().to_string(),
        )),
        basis: text("Xizmat boshqa xizmat bilan birlashtirildi"),
    };
    let mut body = h.as_(&editor(BODY)).await;
    let abolished = body.abolish_entry(request.clone()).await.expect("abolished").into_inner();
    assert_eq!(abolished.status(), EntryStatus::Abolished);

    assert_eq!(registered(&mut h, BODY, "Ikkinchi xizmat").await, 2, "number 1 is never handed out again");
    let first = entry_with_meta(&mut h, 1).await;
    assert_eq!(first.status(), EntryStatus::Abolished);
    let abolition = first.abolition.expect("abolition mark");
    assert_eq!(abolition.basis.map(|b| b.uz).as_deref(), Some("Xizmat boshqa xizmat bilan birlashtirildi"));
    assert!(!abolition.late);

    let status = body.abolish_entry(request).await.expect_err("abolished once");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let amendment = SubmitAmendmentRequest {
        number: 1,
        content: Some(content(BODY, "x")),
        change_date: "2026-11-02".into(),
        change_substance: text("x"),
        grounds: "x".into(),
    };
    let status = body.submit_amendment(amendment).await.expect_err("abolished entries never change");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let missing = h.client.get_entry(GetEntryRequest { number: 3 }).await.expect_err("no entry 3");
    assert_eq!(missing.code(), Code::NotFound);
    stop(h).await;
}

#[tokio::test]
async fn reg1_p21_the_reinventory_report_flags_a_body_that_did_not_confirm() {
    let mut h = start().await;
    registered(&mut h, BODY, "Birinchi xizmat").await;
    registered(&mut h, OTHER_BODY, "Ikkinchi xizmat").await;
    // Last year's deadline has certainly passed; next year's certainly has not.
    let this_year = u32::try_from(Utc::now().with_timezone(&TASHKENT).year()).expect("a positive year");
    let (past, future) = (this_year - 1, this_year + 1);
    for year in [past, future] {
        let request = ConfirmInventoryRequest { body: Some(member(BODY)), year };
        let confirmation = h.as_(&head(BODY)).await.confirm_inventory(request).await.expect("confirmed").into_inner();
        assert_eq!(confirmation.actor, head(BODY));
        assert_eq!(confirmation.late, year == past);
    }

    let report =
        h.client.reinventory_report(ReinventoryReportRequest { year: past }).await.expect("report").into_inner();
    let rows: Vec<(String, Vec<u64>, bool, bool, bool)> = report
        .bodies
        .iter()
        .map(|b| {
            (b.body.clone().unwrap_or_default().member_code, b.live_entries.clone(), b.confirmed, b.late, b.missing)
        })
        .collect();
    assert_eq!(
        rows,
        vec![(BODY.to_owned(), vec![1], true, true, false), (OTHER_BODY.to_owned(), vec![2], false, false, true)]
    );
    let report = h.client.reinventory_report(ReinventoryReportRequest { year: future }).await.expect("report");
    let other = report.into_inner().bodies.into_iter().find(|b| b.body == Some(member(OTHER_BODY))).expect("listed");
    assert!(!other.confirmed && !other.missing, "not missing before the deadline");
    stop(h).await;
}

/// GET over plain HTTP: the status line, the headers and the body.
async fn get(addr: SocketAddr, path: &str) -> (String, String, String) {
    let response = koprik_testkit::net::http_get(addr, path).await;
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_owned(), headers.to_lowercase(), body.to_owned())
}

#[tokio::test]
async fn the_public_export_serves_every_entry_with_history_as_json_and_csv_without_authentication() {
    let mut h = start().await;
    registered(&mut h, BODY, "Birinchi xizmat").await;
    registered(&mut h, BODY, "Ikkinchi xizmat").await;
    let amendment = amend(&mut h, 2, "Ikkinchi xizmat, yangi tahrir", "Nomi o'zgardi").await;
    register(&mut h, &amendment.id).await;
    let request = AbolishEntryRequest {
        number: 1,
        act: Some(act("Bekor qilish to'g'risida", &Utc::now().with_timezone(&TASHKENT).date_naive().to_string())),
        basis: text("Eskirgan, \"keraksiz\""),
    };
    h.as_(&editor(BODY)).await.abolish_entry(request).await.expect("abolished");
    let provider = wire::SubsystemId { member: Some(member(SUPPLIER)), subsystem_code: "passports".into() };
    let subsystem = Subsystem {
        id: Some(provider.clone()),
        name: "Passports".into(),
        description: String::new(),
        meta: None,
        form: None,
    };
    h.inner.client.create_subsystem(CreateSubsystemRequest { subsystem: Some(subsystem) }).await.expect("subsystem");
    let item = |code: &str, classification: DataClassification| DataItem {
        code: code.into(),
        name: code.into(),
        classification: classification as i32,
    };
    let service = Service {
        id: Some(wire::ServiceId { subsystem: Some(provider), service_code: "person".into(), version: "v1".into() }),
        name: "Person".into(),
        description: String::new(),
        data_items: vec![
            item("surname", DataClassification::Personal),
            item("clearance", DataClassification::StateSecret),
        ],
        status: 0,
        meta: None,
        archive: false,
    };
    h.inner.client.create_service(CreateServiceRequest { service: Some(service) }).await.expect("service");

    let (status, headers, body) = get(h.inner.public_http, "/public/v1/public-services.json").await;
    assert!(status.contains("200"), "{status}");
    assert!(headers.contains("content-type: application/json"), "{headers}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let entries = json["public_services"].as_array().expect("a list");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["status"], "ABOLISHED");
    assert_eq!(entries[0]["abolition"]["basis"]["uz"], "Eskirgan, \"keraksiz\"");
    assert_eq!(entries[1]["content"]["name"]["uz"], "Ikkinchi xizmat, yangi tahrir");
    assert_eq!(entries[1]["change_marks"][0]["substance"]["uz"], "Nomi o'zgardi");
    assert!(entries[0].get("history").is_none());

    let (_, _, body) = get(h.inner.public_http, "/public/v1/public-services.json?history=true").await;
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let versions = json["public_services"][1]["history"]["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["content"]["name"]["uz"], "Ikkinchi xizmat");
    let steps = json["public_services"][0]["history"]["steps"].as_array().expect("steps");
    assert_eq!(steps.last().map(|s| s["kind"].clone()), Some(serde_json::json!("ABOLISHED")));

    let (status, headers, body) = get(h.inner.public_http, "/public/v1/public-services.csv?history=true").await;
    assert!(status.contains("200") && headers.contains("content-type: text/csv"), "{status} {headers}");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().expect("header").clone();
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("valid CSV");
    assert_eq!(records.len(), 3, "one row per version");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    assert_eq!(&records[0][column("status")], "ABOLISHED");
    assert_eq!(&records[0][column("abolition_basis_uz")], "Eskirgan, \"keraksiz\"");
    assert_eq!(&records[2][column("name_uz")], "Ikkinchi xizmat, yangi tahrir");
    assert!(records[2][column("steps")].contains("AMENDMENT_SUBMITTED"), "{:?}", &records[2]);
    assert_eq!(&records[1][column("delivery_forms")], "ELECTRONIC | TRADITIONAL");

    let (status, _, body) = get(h.inner.public_http, "/public/v1/public-services/2.json").await;
    assert!(status.contains("200"), "{status}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["history"]["versions"].as_array().map(Vec::len), Some(2));
    let (status, headers, body) = get(h.inner.public_http, "/public/v1/public-services/99.json").await;
    assert!(status.contains("404") && headers.contains("application/json"), "{status} {headers}");
    assert!(body.contains("does not exist"), "{body}");

    let (_, _, body) = get(h.inner.public_http, "/public/v1/web-services.json").await;
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let items = json["web_services"][0]["data_items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "state-secret items are never listed: {items:?}");
    assert_eq!(items[0]["classification"], "PERSONAL");
    let (_, headers, body) = get(h.inner.public_http, "/public/v1/web-services.csv").await;
    assert!(headers.contains("text/csv"), "{headers}");
    assert!(body.contains("surname (PERSONAL)") && !body.contains("clearance"), "{body}");
    stop(h).await;
}

#[tokio::test]
async fn overdue_applications_are_listed_with_their_pending_step() {
    let mut h = start().await;
    let application = submit(&mut h, content(BODY, "Xizmat")).await.expect("submitted");
    let list = |overdue_only| ListEntryApplicationsRequest { page: None, state: 0, overdue_only, competent_body: None };
    let all = h.client.list_entry_applications(list(false)).await.expect("listed").into_inner();
    assert_eq!(all.applications.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), vec![application.id.clone()]);
    assert_eq!(all.applications[0].pending(), PendingStep::Review);
    // Nothing can be overdue a moment after submission: the review is due days from now.
    let overdue = h.client.list_entry_applications(list(true)).await.expect("listed").into_inner();
    assert!(overdue.applications.is_empty());
    stop(h).await;
}

/// Everything the public can read of entry `number`: its history over gRPC (as `identity`), and the open export's
/// JSON and CSV with history and the entry's own document, as one text each.
async fn public_texts(h: &Harness, identity: &str, number: u64) -> Vec<String> {
    let request = GetHistoryRequest { number, application_id: String::new() };
    let history = h.as_(identity).await.get_history(request).await.expect("public history").into_inner();
    let mut texts = vec![format!("{history:?}")];
    for path in [
        "/public/v1/public-services.json?history=true".to_owned(),
        "/public/v1/public-services.csv?history=true".to_owned(),
        format!("/public/v1/public-services/{number}.json"),
    ] {
        let (status, _, body) = get(h.inner.public_http, &path).await;
        assert!(status.contains("200"), "{path}: {status}");
        texts.push(body);
    }
    texts
}

#[tokio::test]
async fn reg1_p19_an_amendment_becomes_public_history_only_once_registered() {
    let mut h = start().await;
    let number = registered(&mut h, BODY, "Ma'lumotnoma").await;
    let amendment = amend(&mut h, number, "Ma'lumotnoma (yopiq loyiha)", "Narx o'zgardi").await;
    let refusal =
        RefuseEntryRequest { application_id: amendment.id.clone(), reasons: vec!["Asoslar yetarli emas".into()] };
    h.as_(REVIEWER).await.refuse_entry(refusal).await.expect("refused");

    // Under review and then refused, the amendment is nowhere in what the public reads: not its id, its content,
    // its steps or the refusal's reasons; to the operator asking by number neither.
    let supplier = format!("supplier:UZ/GOV/{SUPPLIER}");
    for identity in [supplier.as_str(), common::OPERATOR] {
        for text in public_texts(&h, identity, number).await {
            for secret in [amendment.id.as_str(), "yopiq loyiha", "Asoslar yetarli emas", "AMENDMENT_SUBMITTED"] {
                assert!(!text.contains(secret), "{secret:?} is public before registration: {text}");
            }
            assert!(text.contains("Ma'lumotnoma"), "the registered entry is: {text}");
        }
    }
    let public = GetHistoryRequest { number, application_id: String::new() };
    let history = h.client.get_history(public.clone()).await.expect("history").into_inner();
    assert_eq!(history.versions.len(), 1, "only the registered creation: {:?}", history.versions);
    assert_eq!(history.steps.iter().map(|s| s.kind()).collect::<Vec<_>>(), [StepKind::Submitted, StepKind::Registered]);

    // The agency and the reviewer follow it through its application.
    let by_application = GetHistoryRequest { number: 0, application_id: amendment.id.clone() };
    for identity in [editor(BODY), REVIEWER.to_owned()] {
        let own = h.as_(&identity).await.get_history(by_application.clone()).await.expect("its application");
        let own = own.into_inner();
        assert_eq!(own.versions.iter().map(|v| v.state()).collect::<Vec<_>>(), [VersionState::Refused]);
        assert_eq!(
            own.steps.iter().map(|s| s.kind()).collect::<Vec<_>>(),
            [StepKind::AmendmentSubmitted, StepKind::Refused]
        );
    }

    // Resubmitted and registered, the amendment is public history, its refused round included.
    let resubmission = ResubmitEntryRequest {
        application_id: amendment.id.clone(),
        content: Some(content(BODY, "Ma'lumotnoma (2-tahrir)")),
    };
    h.as_(&editor(BODY)).await.resubmit_entry(resubmission).await.expect("resubmitted");
    register(&mut h, &amendment.id).await;
    let history = h.as_(&supplier).await.get_history(public).await.expect("history").into_inner();
    let versions: Vec<(String, VersionState)> = history
        .versions
        .iter()
        .map(|v| (v.content.clone().and_then(|c| c.name).unwrap_or_default().uz, v.state()))
        .collect();
    assert_eq!(
        versions,
        [
            ("Ma'lumotnoma".to_owned(), VersionState::Registered),
            ("Ma'lumotnoma (yopiq loyiha)".to_owned(), VersionState::Refused),
            ("Ma'lumotnoma (2-tahrir)".to_owned(), VersionState::Registered),
        ]
    );
    assert_eq!(
        history.steps.iter().map(|s| s.kind()).collect::<Vec<_>>(),
        [
            StepKind::Submitted,
            StepKind::Registered,
            StepKind::AmendmentSubmitted,
            StepKind::Refused,
            StepKind::Resubmitted,
            StepKind::Registered
        ]
    );
    for text in public_texts(&h, &supplier, number).await {
        assert!(text.contains(amendment.id.as_str()) && text.contains("2-tahrir"), "registered, it is public: {text}");
    }
    stop(h).await;
}
