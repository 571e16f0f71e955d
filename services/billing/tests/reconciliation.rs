//! Reconciliation against a real broker and database (issue 15, item 5): a usage record is billed only when
//! `exchange.audit` holds a DELIVERED record of the same request and its account is its contract's. A forged usage
//! record (no audit record) is never billed, and is held with its reason once the grace period is over; an audit
//! record arriving after its usage still bills it; usage naming another account's contract is held at once; the
//! operator and auditors list what is held, a consumer may not.

mod common;

use std::time::Duration;

use common::*;
use koprik_proto::billing::{HoldReason, ListHeldUsageRequest, TierMode, UsageState};
use koprik_proto::events::{AuditStep, UsageRecord};
use koprik_proto::ids::SubsystemId;
use koprik_proto::tonic::Code;

/// The rival company's usage under the company's contract: its own account and system, the company's contract.
fn under_anothers_contract(request_id: &str) -> UsageRecord {
    let rival: SubsystemId = "UZ/COM/207028221/scoring".parse().expect("id");
    UsageRecord {
        account: Some(rival.member().into()),
        consumer: Some((&rival).into()),
        ..usage(request_id, SERVICE, tashkent("2026-10-05T10:00:04"))
    }
}

/// Held usage as `identity` lists it.
async fn held(
    h: &Harness,
    identity: &str,
) -> Result<Vec<koprik_proto::billing::HeldUsage>, koprik_proto::tonic::Status> {
    h.invoices(identity).list_held_usage(ListHeldUsageRequest::default()).await.map(|r| r.into_inner().usage)
}

/// Waits until `request_id` is in the state `state` (`pending`, `reconciled`, `held`).
async fn wait_for_state(h: &Harness, request_id: &str, state: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let row = h.usage_row(request_id).await;
        if row.as_ref().is_some_and(|r| r.reconciliation == state) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{request_id} never {state}: {row:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn only_usage_with_a_delivered_audit_record_under_its_own_accounts_contract_is_billed() {
    let h = start_with(Setup { grace: Duration::from_secs(3), ..Setup::default() }).await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;

    // 1. Delivered: the usage record and its DELIVERED audit record, as the gateway writes them.
    let delivered = usage("req-delivered", SERVICE, tashkent("2026-10-05T10:00:00"));
    h.produce(&[delivered]).await;
    // 2. Forged: a usage record with no audit record at all.
    let forged = usage("req-forged", SERVICE, tashkent("2026-10-05T10:00:01"));
    h.produce_usage_only(&[forged]).await;
    // 3. The audit record after its usage (billing's audit consumer lagging): pending until it comes.
    let late = usage("req-late-audit", SERVICE, tashkent("2026-10-05T10:00:02"));
    h.produce_usage_only(std::slice::from_ref(&late)).await;
    // 4. A submitted request: SUBMITTED + DELIVERED only says it was forwarded; ANSWERED says it was delivered.
    let submitted = usage("req-submitted", SERVICE, tashkent("2026-10-05T10:00:03"));
    h.produce_usage_only(std::slice::from_ref(&submitted)).await;
    let mut forwarded = delivered_audit(&submitted);
    forwarded.step = AuditStep::Submitted as i32;
    h.produce_audit(&[forwarded]).await;
    // 5. Another company's usage billed to the company's contract, with a genuine audit record of its own call.
    h.produce(&[under_anothers_contract("req-other-account")]).await;

    wait_for_state(&h, "req-delivered", "reconciled").await;
    wait_for_state(&h, "req-other-account", "held").await;
    wait_for_state(&h, "req-late-audit", "pending").await;
    let mut answered = delivered_audit(&submitted);
    answered.step = AuditStep::Answered as i32;
    h.produce_audit(&[delivered_audit(&late), answered]).await;
    wait_for_state(&h, "req-late-audit", "reconciled").await;
    wait_for_state(&h, "req-submitted", "reconciled").await;
    // The forged record waits out the grace period, then is held, never billed.
    wait_for_state(&h, "req-forged", "held").await;

    let invoice = h.issue("2026-10").await;
    assert_eq!(invoice.requests, 3, "delivered, late audit, answered: {invoice:?}");
    assert_eq!(invoice.total_tiyin, 3 * 37_500);

    // The operator sees what is held and why; so does an auditor.
    let listed = held(&h, OPERATOR).await.expect("the operator lists held usage");
    let reasons: Vec<(&str, HoldReason)> = listed.iter().map(|u| (u.request_id.as_str(), u.reason())).collect();
    assert_eq!(listed.len(), 2, "{reasons:?}");
    let forged = listed.iter().find(|u| u.request_id == "req-forged").expect("the forged record is listed");
    assert_eq!((forged.state(), forged.reason()), (UsageState::Held, HoldReason::NoDeliveredAudit));
    assert!(forged.explanation.contains("no delivered audit record"), "{}", forged.explanation);
    let mismatch = listed.iter().find(|u| u.request_id == "req-other-account").expect("the mismatch is listed");
    assert_eq!(mismatch.reason(), HoldReason::AccountMismatch);
    assert!(
        mismatch.explanation.contains(RIVAL_ACCOUNT) && mismatch.explanation.contains(ACCOUNT),
        "names both accounts: {}",
        mismatch.explanation
    );
    assert_eq!(held(&h, AUDITOR).await.expect("an auditor lists held usage").len(), 2);
    let only_mismatch = h
        .invoices(OPERATOR)
        .list_held_usage(ListHeldUsageRequest { reason: HoldReason::AccountMismatch as i32, ..Default::default() })
        .await
        .expect("filtered")
        .into_inner()
        .usage;
    assert_eq!(only_mismatch.len(), 1);

    // A consumer may not list it, not even its own.
    let refused = held(&h, COMPANY).await.expect_err("a consumer is refused");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("ListHeldUsage"), "{}", refused.message());

    // Held usage stays held, is never billed on a later invoice, and is counted by reason.
    assert!(h.usage_row("req-forged").await.expect("kept").invoice_number.is_none());
    let page = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
    assert!(page.contains(r#"koprik_billing_usage_held_total{reason="no_delivered_audit"} 1"#), "{page}");
    assert!(page.contains(r#"koprik_billing_usage_held_total{reason="account_mismatch"} 1"#), "{page}");
    h.stop().await;
}

#[tokio::test]
async fn a_held_forgery_is_released_only_by_its_delivered_audit_record() {
    let h = start_with(Setup { grace: Duration::from_millis(500), ..Setup::default() }).await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    let record = usage("req-audit-after-grace", SERVICE, tashkent("2026-10-05T10:00:00"));
    h.produce_usage_only(std::slice::from_ref(&record)).await;
    wait_for_state(&h, "req-audit-after-grace", "held").await;
    // An audit record of another consumer's call under the same request id does not release it.
    let mut other = delivered_audit(&record);
    other.consumer = under_anothers_contract("x").consumer;
    h.produce_audit(&[other]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let row = h.usage_row("req-audit-after-grace").await.expect("kept");
    assert_eq!((row.reconciliation.as_str(), row.hold_code.as_deref()), ("held", Some("audit_mismatch")));
    assert!(row.invoice_number.is_none());
    h.stop().await;
}

#[tokio::test]
async fn the_genuine_audit_record_arriving_after_the_grace_period_still_bills_the_request() {
    let h = start_with(Setup { grace: Duration::from_millis(500), ..Setup::default() }).await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    let record = usage("req-slow-audit", SERVICE, tashkent("2026-10-05T10:00:00"));
    h.produce_usage_only(std::slice::from_ref(&record)).await;
    wait_for_state(&h, "req-slow-audit", "held").await;
    h.produce_audit(&[delivered_audit(&record)]).await;
    wait_for_state(&h, "req-slow-audit", "reconciled").await;
    assert!(held(&h, OPERATOR).await.expect("listed").is_empty());
    assert_eq!(h.issue("2026-10").await.requests, 1);
    h.stop().await;
}

#[tokio::test]
async fn usage_stored_before_reconciliation_existed_stays_billable_on_upgrade() {
    // A database as billing left it before it reconciled usage: two migrations, one metered request, no audit record
    // of it anywhere (it was billed under the old rule, or is about to be).
    let db = koprik_testkit::TestDatabase::create().await;
    let conn = koprik_runtime::db::connect(&db.config()).await.expect("db");
    use sea_orm::{EntityTrait, Set};
    use sea_orm_migration::MigratorTrait as _;
    koprik_billing::migration::Migrator::up(&conn, Some(2)).await.expect("the migrations before reconciliation");
    let at = tashkent("2026-10-05T10:00:00");
    // Inserted without reading back: the row has none of the columns the reconciliation migration adds.
    let old = koprik_billing::store::usage_event::ActiveModel {
        request_id: Set("req-before-upgrade".into()),
        account: Set(ACCOUNT.into()),
        contract_reference: Set(CONTRACT.into()),
        service: Set(SERVICE.into()),
        provider: Set("UZ/GOV/201122919".into()),
        received_at: Set(at),
        gateway: Set("gateway-1".into()),
        recorded_at: Set(at),
        invoice_number: Set(None),
        ..Default::default()
    };
    koprik_billing::store::usage_event::Entity::insert(old).exec_without_returning(&conn).await.expect("old usage");
    conn.close().await.ok();

    let h = start_with(Setup { db: Some(db), grace: Duration::from_millis(200), ..Setup::default() }).await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    // Several rounds of the reconciliation loop, well past the grace period: it stays reconciled.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(h.usage_row("req-before-upgrade").await.expect("kept").reconciliation, "reconciled");
    assert_eq!(h.issue("2026-10").await.requests, 1);
    h.stop().await;
}
