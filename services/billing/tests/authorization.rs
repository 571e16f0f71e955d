//! Who may call billing, held to the platform's authorization policy (`crates/authz/POLICY.md`): the generated
//! matrix over every billing method and role; what an attacker holding only a consumer's (or another payment
//! channel's) certificate cannot do, with the database checked afterwards for anything it left behind, nor learn
//! (whether an invoice number or contract reference exists); revocation within a second; and calls refused as
//! unavailable while billing cannot know which certificates are revoked: the registry's certificates never read,
//! the broker gone, or the registry silent (no heartbeat) for longer than `authz.max_staleness`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use koprik_authz::{AuthzConfig, Role};
use koprik_billing::store::{base_amount, contract, invoice, payment};
use koprik_proto::billing::{
    CreateContractRequest, GetAccountRequest, GetContractRequest, GetInvoiceRequest, InvoiceStatus,
    IssueInvoicesRequest, ListBaseAmountsRequest, ListContractsRequest, ListInvoicesRequest, ListPaymentsRequest,
    RecordPaymentRequest, RefundCreditRequest, RenderInvoiceRequest, SetBaseAmountRequest, TierMode,
    VoidInvoiceRequest,
};
use koprik_proto::events::ContractEvent;
use koprik_proto::tonic::Code;
use koprik_testkit::authz_matrix::{self, Cast, Fixture};
use koprik_testkit::refusal::{assert_refused, first_refusal};
use sea_orm::{EntityTrait, Set};

/// Principals A and B of the organisation-bound roles: the consumer company and a rival; the rest only need to
/// exist (billing allows them nothing but the public schedule).
fn cast() -> Cast {
    Cast::new(&[
        (Role::Consumer, CONSUMER, "UZ/COM/207028221/scoring"),
        (Role::Provider, "UZ/GOV/201122919", "UZ/GOV/200935935"),
        (Role::Supplier, "UZ/GOV/201122920", "UZ/GOV/201122921"),
        (Role::RegistryEditor, "UZ/GOV/200935935/n.aliyeva", "UZ/GOV/201122919/o.rashidov"),
        (Role::AgencyHead, "UZ/GOV/200935935/b.tursunov", "UZ/GOV/201122919/k.saidov"),
    ])
}

/// October invoiced for the company: a BCA, `CONTRACT`, two requests, the invoice.
async fn invoiced(h: &Harness) -> koprik_proto::billing::Invoice {
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    h.produce(&[
        usage("req-1", SERVICE, tashkent("2026-10-05T10:00:00")),
        usage("req-2", SERVICE, tashkent("2026-10-06T10:00:00")),
    ])
    .await;
    h.wait_for_usage(2).await;
    h.issue("2026-10").await
}

/// Still owed in full: issued, or overdue by now (October's invoice fell due in November), never paid or void.
fn assert_unpaid(invoice: &koprik_proto::billing::Invoice) {
    let status = invoice.status();
    assert!(matches!(status, InvoiceStatus::Issued | InvoiceStatus::Overdue), "{status:?}");
    assert_eq!(invoice.paid_tiyin, 0);
}

#[tokio::test]
async fn every_billing_method_answers_every_role_as_the_policy_says() {
    let cast = cast();
    let h = start_with(Setup { more_identities: cast.identities(), ..Setup::default() }).await;
    let invoice = invoiced(&h).await;
    let a = Role::Consumer;
    let fixtures = vec![
        Fixture::new("/koprik.billing.v1.Contracts/GetContract", a, &GetContractRequest { reference: CONTRACT.into() }),
        Fixture::new(
            "/koprik.billing.v1.Contracts/ListContracts",
            a,
            &ListContractsRequest { account: Some(account()) },
        ),
        Fixture::new(
            "/koprik.billing.v1.Invoices/GetInvoice",
            a,
            &GetInvoiceRequest { number: invoice.number.clone(), contract_reference: String::new() },
        ),
        Fixture::new(
            "/koprik.billing.v1.Invoices/ListInvoices",
            a,
            &ListInvoicesRequest { account: Some(account()), ..Default::default() },
        ),
        Fixture::new(
            "/koprik.billing.v1.Invoices/RenderInvoice",
            a,
            &RenderInvoiceRequest { number: invoice.number.clone() },
        ),
        Fixture::new("/koprik.billing.v1.Payments/ListPayments", a, &ListPaymentsRequest { account: Some(account()) }),
        Fixture::new("/koprik.billing.v1.Payments/GetAccount", a, &GetAccountRequest { account: Some(account()) }),
        Fixture::new(
            "/koprik.billing.v1.Payments/RecordPayment",
            Role::PaymentChannel,
            &RecordPaymentRequest {
                channel: "matrix-a".into(),
                channel_payment_id: "matrix-1".into(),
                ..payment("", 1_000, "")
            },
        ),
    ];
    let calls = authz_matrix::run_server(&h.pki, h.grpc, "billing", &cast, &fixtures).await;
    assert!(calls > 300, "{calls} calls");
    // Principal A's payment went in under its own channel; B's attempt under A's name left nothing.
    let payments = h
        .payments(OPERATOR)
        .list_payments(ListPaymentsRequest { account: Some(account()) })
        .await
        .expect("payments")
        .into_inner()
        .payments;
    assert_eq!(payments.iter().map(|p| p.channel.as_str()).collect::<Vec<_>>(), ["matrix-a"]);
    h.stop().await;
}

#[tokio::test]
async fn with_only_a_consumer_certificate_nothing_is_set_created_recorded_or_voided() {
    let h = start().await;
    let invoice = invoiced(&h).await;
    let operator_only = "it needs one of the roles operator";

    let bca = h
        .base_amounts(COMPANY)
        .set_base_amount(SetBaseAmountRequest {
            effective_from: "2027-01-01".into(),
            amount_tiyin: 1,
            decree: "self-made".into(),
        })
        .await
        .expect_err("a consumer sets no base amount");
    assert_refused(&bca, Code::PermissionDenied, "koprik.billing.v1.BaseAmounts/SetBaseAmount", operator_only);

    let contract = h
        .contracts(COMPANY)
        .create_contract(CreateContractRequest {
            reference: "DDP-SELF-MADE".into(),
            ..contract_request("", TierMode::Volume, &[(1, 10)])
        })
        .await
        .expect_err("a consumer creates no contract");
    assert_refused(&contract, Code::PermissionDenied, "koprik.billing.v1.Contracts/CreateContract", operator_only);

    let paid = h
        .payments(COMPANY)
        .record_payment(payment("fake-1", invoice.total_tiyin, &invoice.number))
        .await
        .expect_err("a consumer reports no payment");
    assert_refused(&paid, Code::PermissionDenied, "koprik.billing.v1.Payments/RecordPayment", "payment-channel");

    let voided = h
        .invoices(COMPANY)
        .void_invoice(VoidInvoiceRequest { number: invoice.number.clone(), reason: "do not like it".into() })
        .await
        .expect_err("a consumer voids no invoice");
    assert_refused(&voided, Code::PermissionDenied, "koprik.billing.v1.Invoices/VoidInvoice", operator_only);

    let refund = h
        .payments(COMPANY)
        .refund_credit(RefundCreditRequest {
            channel: "test-bank".into(),
            channel_payment_id: "refund-1".into(),
            account: Some(account()),
            amount_tiyin: 1,
        })
        .await
        .expect_err("a consumer refunds nothing");
    assert_refused(&refund, Code::PermissionDenied, "koprik.billing.v1.Payments/RefundCredit", operator_only);
    let issued = h
        .invoices(COMPANY)
        .issue_invoices(IssueInvoicesRequest { period: "2026-10".into() })
        .await
        .expect_err("a consumer issues nothing");
    assert_refused(&issued, Code::PermissionDenied, "koprik.billing.v1.Invoices/IssueInvoices", operator_only);

    // Nothing was left behind: one base amount and one contract (the operator's), no payment, the invoice as issued.
    assert_eq!(h.rows::<base_amount::Entity>().await, 1);
    assert_eq!(h.rows::<contract::Entity>().await, 1);
    assert_eq!(h.rows::<payment::Entity>().await, 0);
    assert_unpaid(&h.invoice(&invoice.number).await);
    let schedule =
        h.base_amounts(COMPANY).list_base_amounts(ListBaseAmountsRequest {}).await.expect("public").into_inner();
    assert_eq!(schedule.amounts.iter().map(|a| a.effective_from.as_str()).collect::<Vec<_>>(), ["2026-01-01"]);
    // And every refusal was counted for the operators' dashboards.
    let page = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
    let counted = page.lines().find(|line| {
        line.starts_with("koprik_billing_authz_refusals_total{")
            && line.contains("SetBaseAmount")
            && line.contains("reason=\"role\"")
    });
    assert!(counted.is_some_and(|line| line.ends_with(" 1")), "{page}");
    h.stop().await;
}

#[tokio::test]
async fn a_consumer_reads_only_its_own_organisations_contracts_invoices_and_account() {
    let h = start().await;
    let invoice = invoiced(&h).await;
    let own = "may reach only its own organisation's";

    // The company reads its own; without a filter its lists are its own.
    assert_eq!(h.invoice(&invoice.number).await.number, invoice.number);
    let listed = h.invoices(COMPANY).list_invoices(ListInvoicesRequest::default()).await.expect("own").into_inner();
    assert_eq!(listed.invoices.len(), 1);

    // The rival company sees none of it.
    let read = h
        .invoices(RIVAL)
        .get_invoice(GetInvoiceRequest { number: invoice.number.clone(), contract_reference: String::new() })
        .await
        .expect_err("not its invoice");
    assert_refused(&read, Code::PermissionDenied, "koprik.billing.v1.Invoices/GetInvoice", own);
    let draft = h
        .invoices(RIVAL)
        .get_invoice(GetInvoiceRequest { number: String::new(), contract_reference: CONTRACT.into() })
        .await
        .expect_err("not its contract's draft");
    assert_refused(&draft, Code::PermissionDenied, "koprik.billing.v1.Invoices/GetInvoice", own);
    let rendered = h
        .invoices(RIVAL)
        .render_invoice(RenderInvoiceRequest { number: invoice.number.clone() })
        .await
        .expect_err("not its invoice");
    assert_refused(&rendered, Code::PermissionDenied, "koprik.billing.v1.Invoices/RenderInvoice", own);
    let contract = h
        .contracts(RIVAL)
        .get_contract(GetContractRequest { reference: CONTRACT.into() })
        .await
        .expect_err("not its contract");
    assert_refused(&contract, Code::PermissionDenied, "koprik.billing.v1.Contracts/GetContract", own);
    let account_read = h
        .payments(RIVAL)
        .get_account(GetAccountRequest { account: Some(account()) })
        .await
        .expect_err("not its account");
    assert_refused(&account_read, Code::PermissionDenied, "koprik.billing.v1.Payments/GetAccount", own);
    let rival_lists =
        h.invoices(RIVAL).list_invoices(ListInvoicesRequest::default()).await.expect("its own, none").into_inner();
    assert!(rival_lists.invoices.is_empty());
    let rival_contracts =
        h.contracts(RIVAL).list_contracts(ListContractsRequest::default()).await.expect("its own, none").into_inner();
    assert!(rival_contracts.contracts.is_empty());

    // The auditor reads everything and lists across accounts.
    let all = h.invoices(AUDITOR).list_invoices(ListInvoicesRequest::default()).await.expect("all").into_inner();
    assert_eq!(all.invoices.len(), 1);
    h.stop().await;
}

/// The next invoice number after `number` in its year's sequence: one that does not exist yet.
fn next_number(number: &str) -> String {
    (number.parse::<u64>().expect("14 digits") + 1).to_string()
}

#[tokio::test]
async fn a_consumer_cannot_tell_an_unknown_invoice_or_contract_from_another_organisations() {
    let h = start().await;
    let invoice = invoiced(&h).await;
    let unknown = next_number(&invoice.number);
    let get = |who: &'static str, number: &str, reference: &str| {
        let mut client = h.invoices(who);
        let request = GetInvoiceRequest { number: number.into(), contract_reference: reference.into() };
        async move { client.get_invoice(request).await }
    };
    let render = |who: &'static str, number: &str| {
        let mut client = h.invoices(who);
        let request = RenderInvoiceRequest { number: number.into() };
        async move { client.render_invoice(request).await }
    };
    let contract = |who: &'static str, reference: &str| {
        let mut client = h.contracts(who);
        let request = GetContractRequest { reference: reference.into() };
        async move { client.get_contract(request).await }
    };

    // The rival is answered exactly alike for the company's invoice, contract and draft and for ones that do not
    // exist: sequential numbers and guessable references cannot be probed.
    let pairs = [
        (get(RIVAL, &invoice.number, "").await.err(), get(RIVAL, &unknown, "").await.err(), "Invoices/GetInvoice"),
        (get(RIVAL, "", CONTRACT).await.err(), get(RIVAL, "", "DDP-2026-0043").await.err(), "Invoices/GetInvoice"),
        (render(RIVAL, &invoice.number).await.err(), render(RIVAL, &unknown).await.err(), "Invoices/RenderInvoice"),
        (contract(RIVAL, CONTRACT).await.err(), contract(RIVAL, "DDP-2026-0043").await.err(), "Contracts/GetContract"),
    ];
    for (theirs, none, method) in pairs {
        let (theirs, none) = (theirs.expect("not its own: refused"), none.expect("none: refused"));
        assert_refused(&none, Code::PermissionDenied, method, "may reach only its own organisation's");
        assert_eq!((none.code(), none.message()), (theirs.code(), theirs.message()), "{method}");
    }
    // The company itself is refused alike for a number that is not there: it may not probe others' either.
    let own_unknown = get(COMPANY, &unknown, "").await.expect_err("no such invoice");
    assert_eq!(own_unknown.code(), Code::PermissionDenied, "{own_unknown:?}");

    // The operator and auditors reach everything, so they are told what is not there.
    for who in [OPERATOR, AUDITOR] {
        let missing = get(who, &unknown, "").await.expect_err("no such invoice");
        assert_eq!(missing.code(), Code::NotFound, "{who}: {missing:?}");
        let draft = get(who, "", "DDP-2026-0043").await.expect_err("no such contract");
        assert_eq!(draft.code(), Code::NotFound, "{who}: {draft:?}");
        let rendered = render(who, &unknown).await.expect_err("no such invoice");
        assert_eq!(rendered.code(), Code::NotFound, "{who}: {rendered:?}");
        let missing = contract(who, "DDP-2026-0043").await.expect_err("no such contract");
        assert_eq!(missing.code(), Code::NotFound, "{who}: {missing:?}");
    }

    // A payment channel naming an account cannot map invoice numbers to accounts: the company's invoice reported as
    // the rival's is answered like a number that does not exist, naming only the account the report named.
    let rival: koprik_proto::common::MemberId =
        (&RIVAL_ACCOUNT.parse::<koprik_proto::ids::MemberId>().expect("id")).into();
    let report =
        |id: &str, number: &str| RecordPaymentRequest { account: Some(rival.clone()), ..payment(id, 1_000, number) };
    let foreign =
        h.payments(BANK).record_payment(report("probe-1", &invoice.number)).await.expect_err("not the rival's");
    let none = h.payments(BANK).record_payment(report("probe-2", &unknown)).await.expect_err("no such invoice");
    assert_eq!(none.code(), Code::FailedPrecondition, "{none:?}");
    assert_eq!(none.message(), format!("invoice_number: {RIVAL_ACCOUNT} has no invoice {unknown}"));
    assert_eq!(
        (foreign.code(), foreign.message().replace(&invoice.number, "N")),
        (none.code(), none.message().replace(&unknown, "N"))
    );
    assert_eq!(h.rows::<payment::Entity>().await, 0, "the probes left no payment");
    h.stop().await;
}

#[tokio::test]
async fn a_payment_channel_records_payments_only_under_its_own_name_and_each_names_its_reporter() {
    let h = start().await;
    let invoice = invoiced(&h).await;
    let forged = h
        .payments(OTHER_BANK)
        .record_payment(payment("forged-1", invoice.total_tiyin, &invoice.number))
        .await
        .expect_err("other-bank reports under test-bank's name");
    assert_refused(
        &forged,
        Code::PermissionDenied,
        "koprik.billing.v1.Payments/RecordPayment",
        "payment-channel:other-bank may reach only its own channel name",
    );
    assert_eq!(h.rows::<payment::Entity>().await, 0, "the refused report left no payment");
    assert_unpaid(&h.invoice(&invoice.number).await);

    // The real channel pays; the operator voids another invoice later: each step names its certificate.
    h.pay("real-1", invoice.total_tiyin, &invoice.number).await;
    let db = sea_orm::Database::connect(h.db.url()).await.expect("db");
    let payments = payment::Entity::find().all(&db).await.expect("payments");
    assert_eq!(payments.iter().map(|p| p.recorded_by.as_deref()).collect::<Vec<_>>(), [Some(BANK)]);
    let amounts = base_amount::Entity::find().all(&db).await.expect("base amounts");
    assert_eq!(amounts.iter().map(|a| a.recorded_by.as_deref()).collect::<Vec<_>>(), [Some(OPERATOR)]);
    let contracts = contract::Entity::find().all(&db).await.expect("contracts");
    assert_eq!(contracts.iter().map(|c| c.recorded_by.as_deref()).collect::<Vec<_>>(), [Some(OPERATOR)]);
    h.produce(&[usage("req-nov", SERVICE, tashkent("2026-11-05T10:00:00"))]).await;
    h.wait_for_usage(3).await;
    let november = h.issue("2026-11").await;
    h.invoices(OPERATOR)
        .void_invoice(VoidInvoiceRequest { number: november.number.clone(), reason: "billed in error".into() })
        .await
        .expect("voided");
    let voided = invoice::Entity::find_by_id(november.number).one(&db).await.expect("read").expect("stored");
    assert_eq!(voided.voided_by.as_deref(), Some(OPERATOR));
    db.close().await.ok();
    h.stop().await;
}

#[tokio::test]
async fn a_revoked_certificate_is_refused_within_a_second() {
    let h = start().await;
    let read = |who: &'static str| {
        let mut client = h.payments(who);
        async move { client.get_account(GetAccountRequest { account: None }).await }
    };
    read(COMPANY).await.expect("the company reads its account");
    // The clock starts when the registry's record of the revocation is on registry.events.
    h.revoke(COMPANY).await;
    let revoked_at = Instant::now();
    let refused = first_refusal(revoked_at, Duration::from_secs(1), Duration::from_millis(20), || read(COMPANY)).await;
    assert!(revoked_at.elapsed() < Duration::from_secs(1), "refused only after {:?}", revoked_at.elapsed());
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(refused.message().contains("is revoked: key lost"), "{}", refused.message());
    // Others are unaffected.
    h.payments(OPERATOR).get_account(GetAccountRequest { account: Some(account()) }).await.expect("operator");
    h.stop().await;
}

#[tokio::test]
async fn every_call_is_unavailable_while_the_registrys_certificates_were_never_read() {
    // registry.events is never created: billing cannot learn which certificates exist or are revoked.
    let authz = AuthzConfig { startup_wait: Duration::from_millis(300), ..AuthzConfig::default() };
    let h = start_with(Setup { publish: false, authz, ..Setup::default() }).await;
    for who in [OPERATOR, COMPANY, BANK] {
        let refused = h
            .base_amounts(who)
            .list_base_amounts(ListBaseAmountsRequest {})
            .await
            .expect_err("revocations cannot be confirmed");
        assert_refused(
            &refused,
            Code::Unavailable,
            "koprik.billing.v1.BaseAmounts/ListBaseAmounts",
            "certificate revocations cannot be confirmed now",
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn every_call_is_unavailable_once_the_broker_is_gone_for_longer_than_max_staleness() {
    let authz = AuthzConfig {
        max_staleness: Duration::from_secs(1),
        probe_interval: Duration::from_millis(100),
        ..AuthzConfig::default()
    };
    let mut h = start_with(Setup { authz, ..Setup::default() }).await;
    h.base_amounts(OPERATOR).list_base_amounts(ListBaseAmountsRequest {}).await.expect("admitted");
    h.kill_broker().await;
    let killed = Instant::now();
    let refused = first_refusal(killed, Duration::from_secs(5), Duration::from_millis(50), || {
        let mut client = h.base_amounts(OPERATOR);
        async move { client.list_base_amounts(ListBaseAmountsRequest {}).await }
    })
    .await;
    assert_refused(
        &refused,
        Code::Unavailable,
        "koprik.billing.v1.BaseAmounts/ListBaseAmounts",
        "certificate revocations cannot be confirmed now",
    );
    // Without the broker neither the topic's end nor the registry's heartbeats can be read: whichever ages past
    // max_staleness first is named.
    let cause = ["last known current", "the registry's latest heartbeat is"];
    assert!(cause.iter().any(|c| refused.message().contains(c)), "{}", refused.message());
    // Without a broker billing cannot stop gracefully (its relay has nowhere to publish): kill it.
    h.crash().await;
}

#[tokio::test]
async fn every_call_is_unavailable_while_the_registry_is_silent_and_admitted_again_once_it_beats() {
    // The broker stays up and billing reads registry.events to its end all along; only the heartbeats stop, as when
    // the registry is down or its relay is wedged, so revocations it records may not be arriving.
    let authz = AuthzConfig {
        max_staleness: Duration::from_secs(1),
        probe_interval: Duration::from_millis(100),
        ..AuthzConfig::default()
    };
    let mut h = start_with(Setup { authz, ..Setup::default() }).await;
    let list = |h: &Harness, who: &'static str| {
        let mut client = h.base_amounts(who);
        async move { client.list_base_amounts(ListBaseAmountsRequest {}).await }
    };
    list(&h, OPERATOR).await.expect("admitted while the registry beats");
    h.stop_heartbeats();
    let silent = Instant::now();
    let refused =
        first_refusal(silent, Duration::from_millis(1_200), Duration::from_millis(50), || list(&h, OPERATOR)).await;
    assert_refused(
        &refused,
        Code::Unavailable,
        "koprik.billing.v1.BaseAmounts/ListBaseAmounts",
        "certificate revocations cannot be confirmed now",
    );
    assert!(refused.message().contains("the registry's latest heartbeat is"), "{}", refused.message());
    for who in [COMPANY, BANK] {
        let status = list(&h, who).await.expect_err("every caller is refused");
        assert_eq!(status.code(), Code::Unavailable, "{who}: {status:?}");
    }

    // The registry beats again: calls are admitted again, with no restart.
    h.resume_heartbeats().await;
    let resumed = Instant::now();
    loop {
        match list(&h, OPERATOR).await {
            Ok(_) => break,
            Err(status) => {
                assert!(
                    resumed.elapsed() < Duration::from_secs(5),
                    "still refused after the beats resumed: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    list(&h, COMPANY).await.expect("the company too");
    h.stop().await;
}

#[tokio::test]
async fn every_recorded_contract_is_published_on_billing_contracts_keyed_by_its_reference() {
    let h = start().await;
    let recorded = h.contract(TierMode::Volume, &[(1, 10)]).await;
    let event = koprik_testkit::kafka::wait_for_record::<ContractEvent, _>(
        &h.broker.kafka_config(),
        "billing.contracts",
        Duration::from_secs(10),
        |e| e.key == CONTRACT,
    )
    .await;
    assert_eq!(event.value.contract.as_ref(), Some(&recorded));
    assert_eq!(event.headers.event_type.as_deref(), Some("koprik.events.v1.ContractEvent"));
    h.stop().await;
}

#[tokio::test]
async fn contracts_recorded_before_billing_published_them_are_published_once_on_upgrade() {
    // A database as billing left it before contracts were published: the first migration only, one contract.
    let db = koprik_testkit::TestDatabase::create().await;
    let conn = koprik_runtime::db::connect(&db.config()).await.expect("db");
    use sea_orm_migration::MigratorTrait as _;
    koprik_billing::migration::Migrator::up(&conn, Some(1)).await.expect("first migration");
    let tariff = koprik_proto::billing::Tariff {
        mode: TierMode::Volume as i32,
        tiers: vec![koprik_proto::billing::Tier { from_request: 1, rate_basis_points: 10 }],
    };
    // Inserted without reading back: the row has none of the columns later migrations add.
    let old = contract::ActiveModel {
        reference: Set("DDP-2025-0007".into()),
        account: Set(ACCOUNT.into()),
        valid_from: Set("2025-01-01".into()),
        valid_until: Set("2027-12-31".into()),
        tariff: Set(koprik_proto::prost::Message::encode_to_vec(&tariff)),
        payment_terms_days: Set(10),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    contract::Entity::insert(old).exec_without_returning(&conn).await.expect("an old contract");
    conn.close().await.ok();

    let h = start_with(Setup { db: Some(db), ..Setup::default() }).await;
    let event = koprik_testkit::kafka::wait_for_record::<ContractEvent, _>(
        &h.broker.kafka_config(),
        "billing.contracts",
        Duration::from_secs(10),
        |e| e.key == "DDP-2025-0007",
    )
    .await;
    let published = event.value.contract.expect("the contract");
    assert_eq!((published.valid_from.as_str(), published.valid_until.as_str()), ("2025-01-01", "2027-12-31"));
    h.stop().await;
}
