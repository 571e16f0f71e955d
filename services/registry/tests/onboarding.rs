//! The connection workflow, the closed lists of grounds and the working-day deadlines, driven through gRPC
//! against a real database (SQLite, or PostgreSQL with `DATABASE_URL`) and a real Tansu broker.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use common::*;
use koprik_proto::common as ids;
use koprik_proto::registry::onboarding_client::OnboardingClient;
use koprik_proto::registry::working_calendar_client::WorkingCalendarClient;
use koprik_proto::registry::{
    AccessGround, AgreeInstructionRequest, ApplicationActionRequest, ApplicationForm, ApplicationState,
    ComputeDeadlineRequest, ConnectApplicationRequest, ConnectionApplication, ConsentDecision, Contract,
    CreateGrantRequest, DataItemApproval, GetGrantRequest, Grant, GrantStatus, ListApplicationsRequest,
    ListCalendarYearsRequest, ListGrantsRequest, LoadCalendarYearRequest, Platform, RecordProviderConsentRequest,
    RefusalGround, RefuseApplicationRequest, RequestedItem, RequestedService, ResubmitApplicationRequest,
    ServicePermission, SubmitApplicationRequest, TechnologicalInstruction, UpdateGrantRequest,
};
use koprik_proto::time::{datetime, timestamp};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Status};

fn form(consumer: ids::SubsystemId, platform: Platform, items: &[&str]) -> ApplicationForm {
    ApplicationForm {
        consumer: Some(consumer),
        platform: platform as i32,
        services: vec![RequestedService {
            service: Some(person_service()),
            legal_basis: "Tax Code, Art. 86".into(),
            items: items
                .iter()
                .map(|code| RequestedItem { code: (*code).into(), purpose: format!("verify the {code}") })
                .collect(),
            max_requests_per_month: 20_000,
            working_mode: "24/7".into(),
        }],
        personal_data_consent_attested: true,
        changes_reporting_undertaken: true,
    }
}

fn onboarding(h: &Harness) -> OnboardingClient<Channel> {
    OnboardingClient::new(h.channel.clone())
}

/// The certificate identity of the consumer system an application form is for.
fn applicant(consumer: &ids::SubsystemId) -> &'static str {
    if *consumer == bank_system() {
        BANK_IDENTITY
    } else {
        STATE_IDENTITY
    }
}

/// The applicant (the consumer system the form is for) submits its form.
async fn submit(h: &Harness, form: ApplicationForm) -> Result<ConnectionApplication, Status> {
    let identity = applicant(form.consumer.as_ref().expect("a consumer"));
    let request = SubmitApplicationRequest { form: Some(form) };
    h.onboarding_as(identity).await.submit_application(request).await.map(|r| r.into_inner())
}

/// The applicant fixes its form and submits it again.
async fn resubmit(h: &Harness, id: &str, form: ApplicationForm) -> Result<ConnectionApplication, Status> {
    let identity = applicant(form.consumer.as_ref().expect("a consumer"));
    let request = ResubmitApplicationRequest { id: id.into(), form: Some(form), expected_revision: 0 };
    h.onboarding_as(identity).await.resubmit_application(request).await.map(|r| r.into_inner())
}

fn action(id: &str) -> ApplicationActionRequest {
    ApplicationActionRequest { id: id.into(), expected_revision: 0 }
}

async fn refuse(h: &Harness, id: &str, ground: i32, reasons: &str) -> Result<ConnectionApplication, Status> {
    let request = RefuseApplicationRequest { id: id.into(), ground, reasons: reasons.into(), expected_revision: 0 };
    onboarding(h).refuse_application(request).await.map(|r| r.into_inner())
}

async fn agree(h: &Harness, id: &str, items: &[&str]) -> Result<ConnectionApplication, Status> {
    let instruction = TechnologicalInstruction {
        reference: "TI-2026/41".into(),
        permissions: vec![ServicePermission {
            service: Some(person_service()),
            data_items: items.iter().map(|c| (*c).into()).collect(),
            approvals: vec![],
        }],
    };
    let request = AgreeInstructionRequest { id: id.into(), instruction: Some(instruction), expected_revision: 0 };
    onboarding(h).agree_instruction(request).await.map(|r| r.into_inner())
}

async fn connect_with(h: &Harness, id: &str, contract: Option<Contract>) -> Result<ConnectionApplication, Status> {
    let request = ConnectApplicationRequest { id: id.into(), contract, expected_revision: 0 };
    onboarding(h).connect_application(request).await.map(|r| r.into_inner())
}

async fn consent(
    h: &Harness,
    id: &str,
    decision: ConsentDecision,
    reasons: &str,
) -> Result<ConnectionApplication, Status> {
    let request = RecordProviderConsentRequest {
        id: id.into(),
        service: Some(person_service()),
        decision: decision as i32,
        reasons: reasons.into(),
        document_reference: "letter 05/777".into(),
    };
    h.onboarding_as(PROVIDER_IDENTITY).await.record_provider_consent(request).await.map(|r| r.into_inner())
}

fn contract(basis_points: u32, valid_for: chrono::Duration) -> Contract {
    Contract {
        reference: "DDP-2026/114".into(),
        price_basis_points: basis_points,
        valid_from: None,
        valid_until: Some(timestamp(Utc::now() + valid_for)),
    }
}

fn state(application: &ConnectionApplication) -> ApplicationState {
    application.state()
}

fn due(application: &ConnectionApplication) -> Option<DateTime<Utc>> {
    application.due_by.as_ref().and_then(datetime)
}

fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, mentions: &str) {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(status.message().contains(mentions), "{:?} should mention {mentions:?}", status.message());
}

/// The calendar in force as the registry reports it, for computing deadlines independently of its arithmetic.
struct Calendar {
    off: HashSet<NaiveDate>,
    worked: HashSet<NaiveDate>,
}

impl Calendar {
    async fn read(h: &Harness) -> Calendar {
        let years = WorkingCalendarClient::new(h.channel.clone())
            .list_calendar_years(ListCalendarYearsRequest {})
            .await
            .expect("years")
            .into_inner()
            .years;
        let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
        Calendar {
            off: years.iter().flat_map(|y| &y.days_off).map(|d| parse(&d.date)).collect(),
            worked: years.iter().flat_map(|y| &y.working_days).map(|d| parse(&d.date)).collect(),
        }
    }

    fn works(&self, day: NaiveDate) -> bool {
        self.worked.contains(&day)
            || (!matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.off.contains(&day))
    }

    /// The end, in Tashkent (UTC+5), of the n-th working day after the Tashkent date of `at`.
    fn deadline(&self, at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut day = (at + chrono::Duration::hours(5)).date_naive();
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.works(day) {
                left -= 1;
            }
        }
        let end = day.and_hms_milli_opt(23, 59, 59, 999).expect("time") - chrono::Duration::hours(5);
        end.and_utc()
    }
}

fn step_at(application: &ConnectionApplication, state: ApplicationState) -> DateTime<Utc> {
    let step = application.history.iter().rev().find(|s| s.state() == state).expect("step recorded");
    step.at.as_ref().and_then(datetime).expect("time")
}

#[tokio::test]
async fn an_iip_application_goes_from_submission_to_connection_with_every_deadline() {
    let mut h = start().await;
    seed(&mut h).await;
    let days = Calendar::read(&h).await;

    let submitted = submit(&h, form(state_system(), Platform::Iip, &["surname", "region"])).await.expect("submitted");
    assert_eq!(state(&submitted), ApplicationState::Submitted);
    assert_eq!(
        due(&submitted),
        Some(days.deadline(step_at(&submitted, ApplicationState::Submitted), 7)),
        "A1 §9: 7 working days"
    );
    assert!(!submitted.overdue);

    let reviewing = onboarding(&h).start_review(action(&submitted.id)).await.expect("review").into_inner();
    assert_eq!(due(&reviewing), due(&submitted), "starting the review does not move the review deadline");

    let approved = onboarding(&h).approve_application(action(&submitted.id)).await.expect("approved").into_inner();
    assert_eq!(due(&approved), Some(days.deadline(step_at(&approved, ApplicationState::Approved), 7)), "A1 §10");

    // The TI may not permit what was not asked for, nor a state secret.
    expect_code(agree(&h, &submitted.id, &["account_balance"]).await, Code::InvalidArgument, "was not requested");
    let agreed = agree(&h, &submitted.id, &["surname"]).await.expect("TI agreed");
    assert_eq!(due(&agreed), Some(days.deadline(step_at(&agreed, ApplicationState::InstructionAgreed), 5)), "A1 §11");

    let connected = connect_with(&h, &submitted.id, None).await.expect("connected");
    assert_eq!(state(&connected), ApplicationState::Connected);
    assert_eq!(connected.due_by, None);
    let states: Vec<_> = connected.history.iter().map(|s| s.state()).collect();
    use ApplicationState::*;
    assert_eq!(states, [Submitted, UnderReview, Approved, InstructionAgreed, Connected]);
    assert_eq!(connected.history[0].actor, STATE_IDENTITY, "the applicant's certificate submitted it");
    assert!(connected.history.iter().skip(1).all(|s| s.actor == OPERATOR && s.due_by.is_some() && !s.late));

    let [grant_id] = connected.grant_ids.as_slice() else { panic!("one grant: {:?}", connected.grant_ids) };
    let grant = h.client.get_grant(GetGrantRequest { id: grant_id.clone() }).await.expect("grant").into_inner();
    assert_eq!(grant.status(), GrantStatus::Active);
    assert_eq!(grant.platform(), Platform::Iip);
    assert_eq!(grant.permitted_items, ["surname"]);
    assert_eq!(grant.application_id, submitted.id);
    assert_eq!(grant.max_requests_per_month, 20_000, "the monthly maximum declared in the application (A1 Ap2)");

    // Steps out of order are refused.
    expect_code(onboarding(&h).approve_application(action(&submitted.id)).await, Code::FailedPrecondition, "CONNECTED");
    stop(h).await;
}

#[tokio::test]
async fn refusals_take_only_the_closed_list_of_the_platform_and_may_be_resubmitted() {
    let mut h = start().await;
    seed(&mut h).await;
    let application = submit(&h, form(state_system(), Platform::Iip, &["surname"])).await.expect("submitted");

    expect_code(refuse(&h, &application.id, 99, "because").await, Code::InvalidArgument, "ground: must be one of");
    expect_code(
        refuse(&h, &application.id, RefusalGround::ProviderRefused as i32, "the provider said no").await,
        Code::InvalidArgument,
        "NOT_ON_INTERAGENCY_NETWORK",
    );
    expect_code(
        refuse(&h, &application.id, RefusalGround::Incomplete as i32, " ").await,
        Code::InvalidArgument,
        "reasons",
    );

    // Every IIP ground of A1 §13 is accepted; after each refusal the applicant fixes and resubmits.
    for ground in [
        RefusalGround::Incomplete,
        RefusalGround::FalseInformation,
        RefusalGround::NotOnInteragencyNetwork,
        RefusalGround::NoTechnicalSolution,
    ] {
        let refused = refuse(&h, &application.id, ground as i32, "stated reasons").await.expect("listed ground");
        assert_eq!(state(&refused), ApplicationState::Refused);
        assert_eq!(refused.due_by, None);
        let last = refused.history.last().expect("step");
        assert_eq!((last.ground(), last.reasons.as_str()), (ground, "stated reasons"));
        let resubmitted = resubmit(&h, &application.id, form(state_system(), Platform::Iip, &["surname", "region"]))
            .await
            .expect("resubmitted");
        assert_eq!(resubmitted.history.last().map(|s| s.actor.as_str()), Some(STATE_IDENTITY));
        assert_eq!(state(&resubmitted), ApplicationState::Submitted);
    }
    let final_state = onboarding(&h)
        .get_application(koprik_proto::registry::GetApplicationRequest { id: application.id.clone() })
        .await
        .expect("read")
        .into_inner();
    assert_eq!(final_state.history.len(), 9, "submission and four refusals with their resubmissions");
    stop(h).await;
}

#[tokio::test]
async fn ddp_access_needs_the_providers_consent_and_a_contract() {
    let mut h = start().await;
    seed(&mut h).await;
    let application = submit(&h, form(bank_system(), Platform::Ddp, &["surname"])).await.expect("submitted");
    expect_code(
        submit(&h, form(bank_system(), Platform::Iip, &["surname"])).await,
        Code::FailedPrecondition,
        "IIP_CONSUMER",
    );

    expect_code(onboarding(&h).approve_application(action(&application.id)).await, Code::FailedPrecondition, "consent");
    expect_code(
        refuse(&h, &application.id, RefusalGround::ProviderRefused as i32, "provider refused").await,
        Code::InvalidArgument,
        "recorded refusal",
    );
    expect_code(consent(&h, &application.id, ConsentDecision::Refused, "").await, Code::InvalidArgument, "reasons");
    consent(&h, &application.id, ConsentDecision::Refused, "A2 §19: the data is under audit").await.expect("refusal");
    expect_code(
        onboarding(&h).approve_application(action(&application.id)).await,
        Code::FailedPrecondition,
        "PROVIDER_REFUSED",
    );
    expect_code(
        refuse(&h, &application.id, RefusalGround::NotOnInteragencyNetwork as i32, "x").await,
        Code::InvalidArgument,
        "PLATFORM_DDP",
    );
    let refused = refuse(&h, &application.id, RefusalGround::ProviderRefused as i32, "the provider refused lawfully")
        .await
        .expect("A2 §13 ground");
    assert_eq!(state(&refused), ApplicationState::Refused);

    resubmit(&h, &application.id, form(bank_system(), Platform::Ddp, &["surname"])).await.expect("resubmitted");
    let consented = consent(&h, &application.id, ConsentDecision::Given, "").await.expect("consent");
    assert_eq!(consented.consents.last().map(|c| c.actor.as_str()), Some(PROVIDER_IDENTITY));
    onboarding(&h).approve_application(action(&application.id)).await.expect("approved");
    agree(&h, &application.id, &["surname"]).await.expect("TI");

    expect_code(connect_with(&h, &application.id, None).await, Code::InvalidArgument, "contract");
    let too_dear = contract(250, chrono::Duration::days(365));
    expect_code(connect_with(&h, &application.id, Some(too_dear)).await, Code::InvalidArgument, "price_basis_points");
    let connected =
        connect_with(&h, &application.id, Some(contract(50, chrono::Duration::days(365)))).await.expect("connected");
    assert_eq!(connected.contract.as_ref().map(|c| c.price_basis_points), Some(50));
    let grant =
        h.client.get_grant(GetGrantRequest { id: connected.grant_ids[0].clone() }).await.expect("grant").into_inner();
    assert_eq!(grant.platform(), Platform::Ddp);
    assert_eq!(grant.contract.as_ref().map(|c| c.reference.as_str()), Some("DDP-2026/114"));
    stop(h).await;
}

#[tokio::test]
async fn a2_s18_a_resubmission_asking_for_more_data_needs_the_providers_consent_again() {
    let mut h = start().await;
    seed(&mut h).await;
    let application = submit(&h, form(bank_system(), Platform::Ddp, &["surname"])).await.expect("submitted");
    consent(&h, &application.id, ConsentDecision::Given, "").await.expect("consent to the surname");
    let incomplete = RefusalGround::Incomplete as i32;

    // Resubmitted asking for the same data: the provider's consent still answers it.
    refuse(&h, &application.id, incomplete, "the users' appointment orders are missing").await.expect("refused");
    let same = resubmit(&h, &application.id, form(bank_system(), Platform::Ddp, &["surname"])).await.expect("same");
    assert_eq!(same.consents.len(), 1, "an unchanged request keeps its consent");

    // Resubmitted asking for more items of the service: the consent given for the surname alone is gone, and the
    // application cannot be approved until the provider consents to the new request.
    refuse(&h, &application.id, incomplete, "the purpose of the region is missing").await.expect("refused");
    let more =
        resubmit(&h, &application.id, form(bank_system(), Platform::Ddp, &["surname", "region"])).await.expect("more");
    assert!(more.consents.is_empty(), "{:?}", more.consents);
    expect_code(onboarding(&h).approve_application(action(&application.id)).await, Code::FailedPrecondition, "consent");
    consent(&h, &application.id, ConsentDecision::Given, "").await.expect("consent to the new request");
    let approved = onboarding(&h).approve_application(action(&application.id)).await.expect("approved").into_inner();
    assert_eq!(state(&approved), ApplicationState::Approved);
    stop(h).await;
}

async fn change(h: &mut Harness, grant: &Grant, status: GrantStatus, ground: AccessGround) -> Result<Grant, Status> {
    let request = UpdateGrantRequest {
        id: grant.id.clone(),
        status: status as i32,
        reason: "stated reasons".into(),
        expected_revision: 0,
        ground: ground as i32,
        notice: Some(notice()),
    };
    h.client.update_grant(request).await.map(|r| r.into_inner())
}

async fn direct_grant(
    h: &mut Harness,
    consumer: ids::SubsystemId,
    items: &[&str],
    contract: Option<Contract>,
) -> Result<Grant, Status> {
    let request = CreateGrantRequest {
        consumer: Some(consumer),
        service: Some(person_service()),
        permitted_items: items.iter().map(|c| (*c).into()).collect(),
        approvals: vec![],
        contract,
        max_requests_per_month: 0,
    };
    h.client.create_grant(request).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn suspension_and_termination_take_only_their_platforms_grounds_with_a_notice() {
    let mut h = start().await;
    seed(&mut h).await;
    let iip = direct_grant(&mut h, state_system(), &[], None).await.expect("IIP grant");
    assert_eq!(iip.permitted_items, ["surname", "region"], "by default: the ordinary and personal items");
    let ddp = direct_grant(&mut h, bank_system(), &["surname"], Some(contract(20, chrono::Duration::days(30))))
        .await
        .expect("DDP grant");

    use AccessGround::*;
    for ground in [SuspendLawOrTiViolation, SuspendUnlawfulTransfer, SuspendSecurityConclusion, SuspendUnagreedPurpose]
    {
        let suspended = change(&mut h, &iip, GrantStatus::Suspended, ground).await.expect("IIP suspension ground");
        assert_eq!((suspended.status(), suspended.ground()), (GrantStatus::Suspended, ground));
        assert_eq!(suspended.notice.as_ref().map(|n| n.number.as_str()), Some("01-12/345"));
        change(&mut h, &iip, GrantStatus::Active, Unspecified).await.expect("reinstated");
    }
    for ground in [SuspendLatePayment, SuspendProviderNotice] {
        expect_code(change(&mut h, &iip, GrantStatus::Suspended, ground).await, Code::InvalidArgument, "ground");
        change(&mut h, &ddp, GrantStatus::Suspended, ground).await.expect("DDP-only ground");
        change(&mut h, &ddp, GrantStatus::Active, Unspecified).await.expect("reinstated");
    }
    expect_code(
        change(&mut h, &ddp, GrantStatus::Revoked, TerminateSystemIncompatibility).await,
        Code::InvalidArgument,
        "ground",
    );
    expect_code(
        change(&mut h, &iip, GrantStatus::Revoked, TerminateContractExpiry).await,
        Code::InvalidArgument,
        "ground",
    );
    let without_notice = UpdateGrantRequest {
        id: iip.id.clone(),
        status: GrantStatus::Suspended as i32,
        reason: "x".into(),
        ground: SuspendUnagreedPurpose as i32,
        ..Default::default()
    };
    expect_code(h.client.update_grant(without_notice).await, Code::InvalidArgument, "notice");

    let terminated =
        change(&mut h, &iip, GrantStatus::Revoked, TerminateSystemIncompatibility).await.expect("terminated");
    let statuses: Vec<_> = terminated.history.iter().map(|c| c.status()).collect();
    assert!(terminated.history.iter().all(|c| c.actor == OPERATOR), "every change names the operator's certificate");
    assert_eq!(statuses.len(), 10, "creation, four suspensions with reinstatements, termination: {statuses:?}");
    expect_code(change(&mut h, &iip, GrantStatus::Active, Unspecified).await, Code::FailedPrecondition, "revoked");
    // A revoked grant stays on record; a new one can be made for the same pair.
    let again = direct_grant(&mut h, state_system(), &["region"], None).await.expect("new grant after termination");
    assert_ne!(again.id, iip.id);
    let both = h
        .client
        .list_grants(ListGrantsRequest { consumer: Some(state_system()), ..Default::default() })
        .await
        .expect("list")
        .into_inner()
        .grants;
    assert_eq!(both.len(), 2);
    stop(h).await;
}

#[tokio::test]
async fn a_state_secret_item_is_never_granted_and_a_bank_secret_needs_an_approval() {
    let mut h = start().await;
    seed(&mut h).await;
    expect_code(
        direct_grant(&mut h, state_system(), &["clearance"], None).await,
        Code::InvalidArgument,
        "never be granted",
    );
    expect_code(
        submit(&h, form(state_system(), Platform::Iip, &["surname", "clearance"])).await,
        Code::InvalidArgument,
        "form.services[0].items[1].code",
    );
    expect_code(
        direct_grant(&mut h, state_system(), &["account_balance"], None).await,
        Code::InvalidArgument,
        "approval",
    );
    let approved = CreateGrantRequest {
        consumer: Some(state_system()),
        service: Some(person_service()),
        permitted_items: vec!["account_balance".into()],
        approvals: vec![DataItemApproval {
            data_item: "account_balance".into(),
            approved_by: Some(member("GOV", "200000001")),
            document_number: "07/1-55".into(),
            document_date: "2026-11-02".into(),
        }],
        contract: None,
        max_requests_per_month: 0,
    };
    let grant = h.client.create_grant(approved).await.expect("approved bank secret").into_inner();
    assert_eq!(grant.approvals.len(), 1);
    stop(h).await;
}

#[tokio::test]
async fn deadlines_follow_the_calendar_across_weekends_holidays_and_loaded_years() {
    let mut h = start().await;
    seed(&mut h).await;
    let mut calendar = WorkingCalendarClient::new(h.channel.clone());
    let tashkent = |text: &str| DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc);
    // Friday 28 August 2026, 15:00 in Tashkent: the weekend, then Tuesday 1 September (Independence Day).
    let friday = tashkent("2026-08-28T15:00:00+05:00");
    for (working_days, expected) in [(1, "2026-08-31"), (2, "2026-09-02"), (7, "2026-09-09")] {
        let due = calendar
            .compute_deadline(ComputeDeadlineRequest { from: Some(timestamp(friday)), working_days })
            .await
            .expect("deadline")
            .into_inner()
            .due_by
            .and_then(|t| datetime(&t));
        assert_eq!(due, Some(tashkent(&format!("{expected}T23:59:59.999+05:00"))), "{working_days} working days");
    }
    let uncovered =
        ComputeDeadlineRequest { from: Some(timestamp(tashkent("2031-03-01T10:00:00+05:00"))), working_days: 1 };
    expect_code(calendar.compute_deadline(uncovered).await, Code::FailedPrecondition, "no year 2031");

    // An operator loads a year in which the next three weekdays are decreed days off, and one Saturday is worked.
    let today = (Utc::now() + chrono::Duration::hours(5)).date_naive();
    let mut weekdays =
        (1..).map(|n| today + Days::new(n)).filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun));
    let off: Vec<NaiveDate> = weekdays.by_ref().take(3).filter(|d| d.year() == today.year()).collect();
    let saturday = (1..).map(|n| today + Days::new(n)).find(|d| d.weekday() == Weekday::Sat).expect("a Saturday");
    let worked: Vec<NaiveDate> = [saturday].into_iter().filter(|d| d.year() == today.year()).collect();
    let line = |d: &NaiveDate, name: &str| format!("{{ date = \"{d}\", name = \"{name}\" }}");
    let file = format!(
        "year = {}\nsource = \"test decree\"\ndays_off = [{}]\nworking_days = [{}]\n",
        today.year(),
        off.iter().map(|d| line(d, "decreed day off")).collect::<Vec<_>>().join(", "),
        worked.iter().map(|d| line(d, "worked Saturday")).collect::<Vec<_>>().join(", "),
    );
    let loaded =
        calendar.load_calendar_year(LoadCalendarYearRequest { content: file }).await.expect("loaded").into_inner();
    assert!(!loaded.builtin);
    assert_eq!(loaded.loaded_by, OPERATOR);
    let bad = LoadCalendarYearRequest { content: "year = 2026\nholidays = []".into() };
    expect_code(calendar.load_calendar_year(bad).await, Code::InvalidArgument, "content");

    let days = Calendar::read(&h).await;
    assert!(
        off.iter().all(|d| !days.works(*d)) && worked.iter().all(|d| days.works(*d)),
        "the loaded year is in force"
    );
    let submitted = submit(&h, form(state_system(), Platform::Iip, &["surname"])).await.expect("submitted");
    let at = step_at(&submitted, ApplicationState::Submitted);
    assert_eq!(due(&submitted), Some(days.deadline(at, 7)));
    stop(h).await;
}

#[tokio::test]
async fn overdue_steps_are_listed_and_recorded_as_late() {
    let mut h = start().await;
    seed(&mut h).await;
    let on_time = submit(&h, form(state_system(), Platform::Iip, &["surname"])).await.expect("submitted");
    let late = submit(&h, form(state_system(), Platform::Iip, &["region"])).await.expect("submitted");
    // Time passes: the review deadline of one application is made yesterday's.
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(h.db.url()).await.expect("database");
    let yesterday = Utc::now() - chrono::Duration::days(1);
    db.execute(Statement::from_sql_and_values(
        db.get_database_backend(),
        if h.db.is_postgres() {
            "UPDATE applications SET due_by = $1 WHERE id = $2"
        } else {
            "UPDATE applications SET due_by = ? WHERE id = ?"
        },
        [yesterday.into(), late.id.clone().into()],
    ))
    .await
    .expect("deadline moved");

    let overdue = onboarding(&h)
        .list_applications(ListApplicationsRequest { overdue_only: true, ..Default::default() })
        .await
        .expect("list")
        .into_inner()
        .applications;
    assert_eq!(overdue.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [late.id.as_str()]);
    assert!(overdue[0].overdue);
    let all = onboarding(&h).list_applications(ListApplicationsRequest::default()).await.expect("list").into_inner();
    assert_eq!(all.applications.len(), 2);
    assert!(all.applications.iter().any(|a| a.id == on_time.id && !a.overdue));

    let approved = onboarding(&h).approve_application(action(&late.id)).await.expect("approved late").into_inner();
    let step = approved.history.last().expect("step");
    assert!(step.late, "the step after the deadline is recorded as late");
    assert_eq!(step.due_by.as_ref().and_then(datetime).map(|d| d.timestamp()), Some(yesterday.timestamp()));
    stop(h).await;
}

#[tokio::test]
async fn late_payment_suspends_ddp_access_and_payment_lifts_it_contract_expiry_ends_it() {
    use koprik_kafka::topics::BILLING_ACCOUNT_STATUS;
    use koprik_proto::events::{AccountStanding, AccountStatusEvent};

    let mut h = start().await;
    seed(&mut h).await;
    let grant = direct_grant(&mut h, bank_system(), &["surname"], Some(contract(20, chrono::Duration::days(30))))
        .await
        .expect("DDP grant");
    let state_grant = direct_grant(&mut h, state_system(), &[], None).await.expect("IIP grant");
    let producer = koprik_kafka::Producer::new(&h.broker.kafka_config(), "billing-test").expect("producer");
    let publish = |standing: AccountStanding| {
        let event = AccountStatusEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            account: Some(member("COM", BANK)),
            standing: standing as i32,
            contract_reference: "DDP-2026/114".into(),
            reason: "invoice 2026-10 unpaid".into(),
            occurred_at: Some(timestamp(Utc::now())),
        };
        let producer = producer.clone();
        async move {
            let id = event.event_id.clone();
            producer.publish(BILLING_ACCOUNT_STATUS, "UZ/COM/207028220", &event, &id, None).await.expect("published")
        }
    };
    let waiting_client = h.client.clone();
    let wait_for = |id: String, status: GrantStatus| {
        let mut client = waiting_client.clone();
        async move {
            for _ in 0..100 {
                let grant = client.get_grant(GetGrantRequest { id: id.clone() }).await.expect("grant").into_inner();
                if grant.status() == status {
                    return grant;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("grant {id} did not become {status:?}");
        }
    };
    // A record billing should never send is set aside, not applied and not retried forever.
    publish(AccountStanding::Unspecified).await;
    let config = h.broker.kafka_config();
    let dead =
        koprik_testkit::kafka::wait_for_raw(&config, "billing.account-status.dlq", Duration::from_secs(10), |_| true)
            .await;
    assert_eq!(dead.key, b"UZ/COM/207028220");
    publish(AccountStanding::Overdue).await;
    let suspended = wait_for(grant.id.clone(), GrantStatus::Suspended).await;
    assert_eq!(suspended.ground(), AccessGround::SuspendLatePayment);
    assert_eq!(suspended.history.last().map(|c| c.actor.as_str()), Some("billing"));
    publish(AccountStanding::Current).await;
    wait_for(grant.id.clone(), GrantStatus::Active).await;
    let untouched =
        h.client.get_grant(GetGrantRequest { id: state_grant.id.clone() }).await.expect("grant").into_inner();
    assert_eq!(untouched.meta.map(|m| m.revision), Some(1), "IIP access is not billed");

    let short = direct_grant(&mut h, bank_system(), &[], Some(contract(20, chrono::Duration::days(1)))).await;
    expect_code(short, Code::AlreadyExists, "already exists");
    change(&mut h, &grant, GrantStatus::Revoked, AccessGround::TerminateRegulationBreach).await.expect("terminated");
    let expiring = direct_grant(&mut h, bank_system(), &["surname"], Some(contract(20, chrono::Duration::seconds(2))))
        .await
        .expect("short contract");
    let ended = wait_for(expiring.id.clone(), GrantStatus::Revoked).await;
    assert_eq!(ended.ground(), AccessGround::TerminateContractExpiry);
    stop(h).await;
}

#[tokio::test]
async fn announcements_need_their_notice_period_and_reach_the_consumers_concerned() {
    use koprik_proto::registry::{Announcement, AnnouncementKind, CreateAnnouncementRequest, ListAnnouncementsRequest};

    let mut h = start().await;
    seed(&mut h).await;
    direct_grant(&mut h, state_system(), &[], None).await.expect("grant");
    let mut client = h.announcements_as(PROVIDER_IDENTITY).await;
    let announce = |kind: AnnouncementKind, starts: chrono::Duration, ends: Option<chrono::Duration>| {
        let now = Utc::now();
        CreateAnnouncementRequest {
            announcement: Some(Announcement {
                service: Some(person_service()),
                kind: kind as i32,
                starts_at: Some(timestamp(now + starts)),
                ends_at: ends.map(|e| timestamp(now + e)),
                summary: "the response gains a field".into(),
                letter_reference: "letter 05/901 of 2026-11-23".into(),
                // Ignored: the actor is the certificate that announces.
                actor: "someone else".into(),
                ..Default::default()
            }),
        }
    };
    use AnnouncementKind::*;
    let days = chrono::Duration::days;
    expect_code(
        client.create_announcement(announce(PlannedChange, days(13), None)).await,
        Code::InvalidArgument,
        "two weeks",
    );
    let announced = client
        .create_announcement(announce(PlannedChange, days(15), None))
        .await
        .expect("two weeks ahead")
        .into_inner();
    assert_eq!(announced.actor, PROVIDER_IDENTITY);
    expect_code(
        client.create_announcement(announce(TechnicalWorks, chrono::Duration::hours(20), Some(days(1)))).await,
        Code::InvalidArgument,
        "three working days",
    );
    expect_code(
        client.create_announcement(announce(TechnicalWorks, days(10), None)).await,
        Code::InvalidArgument,
        "ends_at",
    );
    // Ten calendar days always hold three working days, whatever the holidays.
    client
        .create_announcement(announce(TechnicalWorks, days(10), Some(days(10) + chrono::Duration::hours(4))))
        .await
        .expect("works");
    let mut unwritten = announce(PlannedChange, days(20), None);
    if let Some(a) = unwritten.announcement.as_mut() {
        a.letter_reference = String::new();
    }
    expect_code(client.create_announcement(unwritten).await, Code::InvalidArgument, "in writing");

    let for_consumer = ListAnnouncementsRequest { consumer: Some(state_system()), ..Default::default() };
    let mut state = h.announcements_as(STATE_IDENTITY).await;
    let seen = state.list_announcements(for_consumer.clone()).await.expect("list").into_inner().announcements;
    assert_eq!(seen.iter().map(|a| a.kind()).collect::<Vec<_>>(), [TechnicalWorks, PlannedChange], "soonest first");
    let other = ListAnnouncementsRequest { consumer: Some(bank_system()), ..Default::default() };
    let mut bank = h.announcements_as(BANK_IDENTITY).await;
    assert!(bank.list_announcements(other).await.expect("list").into_inner().announcements.is_empty());
    // What a consumer is told reveals what it is granted: another consumer may not ask.
    expect_code(bank.list_announcements(for_consumer).await, Code::PermissionDenied, "ListAnnouncements");
    // A service's announcements are public.
    let public = ListAnnouncementsRequest { service: Some(person_service()), ..Default::default() };
    assert_eq!(bank.list_announcements(public).await.expect("public").into_inner().announcements.len(), 2);
    stop(h).await;
}
