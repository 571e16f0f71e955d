//! Pricing and invoicing against a real broker and database: tiers crossed mid-month, a BCA change mid-month,
//! late usage carried to the next invoice, gap-free 14-digit numbers, and the legal bounds of a tariff.

mod common;

use common::*;
use koprik_proto::billing::{
    GetInvoiceRequest, InvoiceStatus, IssueInvoicesRequest, RenderInvoiceRequest, SetBaseAmountRequest, TierMode,
};
use koprik_proto::tonic::Code;

#[tokio::test]
async fn a_tier_boundary_crossed_mid_month_prices_each_request_by_its_tier() {
    let h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    // 2 % for the first 3 requests of the month, 1 % from the 4th, 0.1 % from the 6th.
    h.contract(TierMode::Graduated, &[(1, 200), (4, 100), (6, 10)]).await;
    // Produced out of order: the position in the month is by the time of receipt, not by arrival.
    let records: Vec<_> = [7, 3, 1, 5, 2, 6, 4]
        .iter()
        .map(|&day| usage(&format!("req-{day}"), SERVICE, tashkent(&format!("2026-10-0{day}T09:00:00"))))
        .collect();
    h.produce(&records).await;
    h.wait_for_usage(7).await;
    let invoice = h.issue("2026-10").await;
    let tiers: Vec<(u32, u64, i64)> = invoice.lines.iter().map(|l| (l.tier, l.requests, l.unit_price_tiyin)).collect();
    assert_eq!(tiers, [(1, 3, 750_000), (2, 2, 375_000), (3, 2, 37_500)]);
    assert_eq!(invoice.total_tiyin, 3 * 750_000 + 2 * 375_000 + 2 * 37_500);
    h.stop().await;
}

#[tokio::test]
async fn volume_tiers_price_the_whole_month_by_the_tier_its_total_reaches() {
    let h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 200), (4, 100)]).await;
    let records: Vec<_> = (1..=4)
        .map(|day| usage(&format!("req-{day}"), SERVICE, tashkent(&format!("2026-10-0{day}T09:00:00"))))
        .collect();
    h.produce(&records).await;
    h.wait_for_usage(4).await;
    let invoice = h.issue("2026-10").await;
    assert_eq!(invoice.lines.len(), 1);
    assert_eq!((invoice.lines[0].tier, invoice.lines[0].requests, invoice.lines[0].unit_price_tiyin), (2, 4, 375_000));
    h.stop().await;
}

#[tokio::test]
async fn a_bca_change_mid_period_prices_each_request_by_the_amount_in_force_at_its_receipt() {
    let h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    // The decree raises the BCA to 412 000 soʻm from 15 October.
    h.set_bca("2026-10-15", 41_200_000).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    h.produce(&[
        usage("before-1", SERVICE, tashkent("2026-10-14T23:59:59")),
        usage("before-2", OTHER_SERVICE, tashkent("2026-10-10T12:00:00")),
        usage("after-1", SERVICE, tashkent("2026-10-15T00:00:00")),
    ])
    .await;
    h.wait_for_usage(3).await;
    let invoice = h.issue("2026-10").await;
    let lines: Vec<(String, i64, u64, i64)> = invoice
        .lines
        .iter()
        .map(|l| {
            let service = koprik_proto::ids::ServiceId::try_from(l.service.as_ref().expect("service")).expect("id");
            (service.service_code().to_owned(), l.base_amount_tiyin, l.requests, l.unit_price_tiyin)
        })
        .collect();
    // Lines are ordered by service id (the tax committee's code sorts first), then tier and BCA.
    assert_eq!(
        lines,
        [
            ("company-by-stir".to_owned(), 37_500_000, 1, 37_500),
            ("person-by-pinfl".to_owned(), 37_500_000, 1, 37_500),
            ("person-by-pinfl".to_owned(), 41_200_000, 1, 41_200),
        ]
    );
    assert_eq!(invoice.total_tiyin, 37_500 + 41_200 + 37_500);

    // Once October is invoiced, a BCA from a date inside it would change the invoice: refused.
    let refused = h
        .base_amounts(OPERATOR)
        .set_base_amount(SetBaseAmountRequest {
            effective_from: "2026-10-20".into(),
            amount_tiyin: 50_000_000,
            decree: "late".into(),
        })
        .await
        .expect_err("would change an issued invoice");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    h.stop().await;
}

#[tokio::test]
async fn late_usage_lands_on_the_next_invoice_with_a_note_and_numbers_have_no_gaps() {
    let h = start().await;
    h.set_bca("2026-01-01", BCA).await;
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    h.produce(&[usage("sep-1", SERVICE, tashkent("2026-09-30T23:00:00"))]).await;
    h.wait_for_usage(1).await;
    let september = h.issue("2026-09").await;
    assert_eq!(september.requests, 1);
    assert!(september.notes.is_empty());

    // A September record arrives after September was invoiced, with an October one.
    h.produce(&[
        usage("sep-late", SERVICE, tashkent("2026-09-29T10:00:00")),
        usage("oct-1", SERVICE, tashkent("2026-10-01T00:00:00")),
    ])
    .await;
    h.wait_for_usage(3).await;
    let draft = h
        .invoices(COMPANY)
        .get_invoice(GetInvoiceRequest { number: String::new(), contract_reference: CONTRACT.into() })
        .await
        .expect("draft")
        .into_inner();
    assert_eq!((draft.status, draft.period.as_str(), draft.requests), (InvoiceStatus::Draft as i32, "2026-10", 2));
    let october = h.issue("2026-10").await;
    assert_eq!(october.requests, 2);
    assert_eq!(october.notes, ["includes 1 request(s) of 2026-09 received after that period was invoiced"]);
    // Issuing again changes nothing.
    assert_eq!(h.issue("2026-10").await.number, october.number);

    let year = &september.number[..4];
    let sequence = |n: &str| n[4..].parse::<u64>().expect("digits");
    assert_eq!(&october.number[..4], year);
    assert_eq!(sequence(&october.number), sequence(&september.number) + 1, "no gap between consecutive invoices");

    let html = h
        .invoices(COMPANY)
        .render_invoice(RenderInvoiceRequest { number: october.number.clone() })
        .await
        .expect("rendered")
        .into_inner();
    let page = String::from_utf8(html.content).expect("utf-8");
    assert!(page.contains(&october.number) && page.contains("received after that period was invoiced"));
    h.stop().await;
}

#[tokio::test]
async fn a_period_is_invoiced_only_once_it_has_ended_and_bad_tariffs_are_refused_by_field() {
    let h = start().await;
    let open = h
        .invoices(OPERATOR)
        .issue_invoices(IssueInvoicesRequest { period: "2099-01".into() })
        .await
        .expect_err("not ended");
    assert_eq!(open.code(), Code::FailedPrecondition);
    let malformed =
        h.invoices(OPERATOR).issue_invoices(IssueInvoicesRequest { period: "2026-13".into() }).await.expect_err("13");
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert!(malformed.message().starts_with("period:"), "{}", malformed.message());

    let too_cheap = h
        .contracts(OPERATOR)
        .create_contract(contract_request("DDP-CHEAP", TierMode::Graduated, &[(1, 100), (1_000, 5)]))
        .await
        .expect_err("0.05 % is below the legal floor");
    assert_eq!(too_cheap.code(), Code::InvalidArgument);
    assert!(too_cheap.message().starts_with("tariff.tiers[1].rate_basis_points:"), "{}", too_cheap.message());
    let too_dear = h
        .contracts(OPERATOR)
        .create_contract(contract_request("DDP-DEAR", TierMode::Volume, &[(1, 250)]))
        .await
        .expect_err("2.5 % is above the legal ceiling");
    assert!(too_dear.message().contains("R516"), "{}", too_dear.message());
    h.contract(TierMode::Volume, &[(1, 10)]).await;
    let twice = h.contracts(OPERATOR).create_contract(contract_request(CONTRACT, TierMode::Volume, &[(1, 10)])).await;
    assert_eq!(twice.expect_err("taken").code(), Code::AlreadyExists);
    h.stop().await;
}
