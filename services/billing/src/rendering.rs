//! The printable invoice: a self-contained HTML page (print it, or "save as PDF" from any browser) with what a
//! finance officer files — number, dates, the issuer's and the payer's details, the priced lines, totals, what
//! is paid and outstanding, the notes, and how to pay.

use std::fmt::Write as _;

use chrono::SecondsFormat;
use koprik_proto::billing::{Invoice, InvoiceStatus};
use koprik_proto::ids::{MemberId, ServiceId};

use crate::billing_period::local_date;
use crate::config::IssuerConfig;
use crate::money::soum;

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn percent(basis_points: u32) -> String {
    format!("{}.{:02} %", basis_points / 100, basis_points % 100)
}

/// The invoice as an HTML page.
pub fn invoice_html(invoice: &Invoice, issuer: &IssuerConfig) -> String {
    let status = InvoiceStatus::try_from(invoice.status).unwrap_or_default();
    let payer = invoice.account.as_ref().and_then(|a| MemberId::try_from(a).ok()).map(|a| a.to_string());
    let issued = invoice.issued_at.as_ref().and_then(koprik_proto::time::datetime);
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="uz"><head><meta charset="utf-8"><title>Hisob-faktura {number}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; margin: 2cm; color: #000; }}
h1 {{ font-size: 16pt; margin-bottom: 0; }} .sub {{ color: #444; margin-top: 2pt; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 12pt; }}
th, td {{ border: 1px solid #666; padding: 3pt 5pt; vertical-align: top; }}
th {{ background: #eee; }} td.n {{ text-align: right; white-space: nowrap; }}
.parties td {{ border: none; width: 50%; }} .void {{ color: #b00; font-weight: bold; font-size: 14pt; }}
@media print {{ body {{ margin: 1cm; }} }}
</style></head><body>
<h1>Hisob-faktura / Invoice № {number}</h1>
<p class="sub">Raqamli ma'lumotlar platformasi (DDP) orqali so'rovlar uchun / for requests through the Digital Data Platform</p>
"#,
        number = escape(if invoice.number.is_empty() { "(loyiha / draft)" } else { &invoice.number }),
    );
    if status == InvoiceStatus::Void {
        let _ = writeln!(
            html,
            "<p class=\"void\">BEKOR QILINGAN / VOID — kredit-nota / credit note № {}: {}</p>",
            escape(&invoice.credit_note_number),
            escape(&invoice.void_reason)
        );
    }
    let _ = write!(
        html,
        r#"<table class="parties"><tr><td><b>Yetkazib beruvchi / Issuer</b><br>{name}<br>STIR: {stir}<br>{address}<br>Bank: {bank}, MFO {bank_code}<br>H/r: {account}</td>
<td><b>To'lovchi / Payer</b><br>{payer}<br>Shartnoma / Contract: {contract}<br>Davr / Period: {period}<br>Sana / Date: {date}<br>To'lov muddati / Due: <b>{due}</b></td></tr></table>
<table><tr><th>№</th><th>Xizmat / Service</th><th>Provayder / Provider</th><th>Pog'ona / Tier</th><th>BHM / BCA, so'm</th><th>Stavka / Rate</th><th>So'rovlar / Requests</th><th>Narx / Unit price, so'm</th><th>Summa / Amount, so'm</th></tr>
"#,
        name = escape(&issuer.name),
        stir = escape(&issuer.stir),
        address = escape(&issuer.address),
        bank = escape(&issuer.bank),
        bank_code = escape(&issuer.bank_code),
        account = escape(&issuer.account),
        payer = escape(payer.as_deref().unwrap_or("")),
        contract = escape(&invoice.contract_reference),
        period = escape(&invoice.period),
        date = issued.map(|t| local_date(t).to_string()).unwrap_or_default(),
        due = escape(&invoice.due_on),
    );
    for (i, line) in invoice.lines.iter().enumerate() {
        let service = line.service.as_ref().and_then(|s| ServiceId::try_from(s).ok()).map(|s| s.to_string());
        let provider = line.provider.as_ref().and_then(|p| MemberId::try_from(p).ok()).map(|p| p.to_string());
        let _ = writeln!(
            html,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            i + 1,
            escape(service.as_deref().unwrap_or("")),
            escape(provider.as_deref().unwrap_or("")),
            line.tier,
            soum(line.base_amount_tiyin),
            percent(line.rate_basis_points),
            line.requests,
            soum(line.unit_price_tiyin),
            soum(line.amount_tiyin),
        );
    }
    let outstanding = if status == InvoiceStatus::Void { 0 } else { invoice.total_tiyin - invoice.paid_tiyin };
    let _ = write!(
        html,
        r#"<tr><th colspan="6" style="text-align:right">Jami / Total</th><th class="n">{requests}</th><th></th><th class="n">{total}</th></tr>
<tr><td colspan="8" style="text-align:right">To'langan / Paid</td><td class="n">{paid}</td></tr>
<tr><td colspan="8" style="text-align:right"><b>To'lanishi kerak / Outstanding</b></td><td class="n"><b>{outstanding}</b></td></tr>
</table>
<p>QQS solinmaydi / VAT not applicable. Valyuta / Currency: UZS. Narx har bir so'rov uchun bazaviy hisoblash miqdorining foizida (VMQ 516, 4b) / Price per request in percent of the base calculation amount (R516 §4b).</p>
"#,
        requests = invoice.requests,
        total = soum(invoice.total_tiyin),
        paid = soum(invoice.paid_tiyin),
        outstanding = soum(outstanding),
    );
    if !invoice.notes.is_empty() {
        html.push_str("<p><b>Izohlar / Notes</b></p><ul>\n");
        for note in &invoice.notes {
            let _ = writeln!(html, "<li>{}</li>", escape(note));
        }
        html.push_str("</ul>\n");
    }
    let _ = write!(
        html,
        "<p>To'lov maqsadida hisob-faktura raqamini ko'rsating / State the invoice number as the payment purpose: <b>{}</b>.</p>\n<p class=\"sub\">Ko'prik billing, {}</p>\n</body></html>\n",
        escape(&invoice.number),
        issued.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default(),
    );
    html
}

#[cfg(test)]
mod tests {
    use koprik_proto::billing::InvoiceLine;

    use super::*;
    use crate::config::BillingConfig;

    #[test]
    fn the_page_has_the_number_lines_totals_and_escapes_text() {
        let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id");
        let invoice = Invoice {
            number: "20260000000007".into(),
            contract_reference: "DDP<2026>".into(),
            period: "2026-10".into(),
            status: InvoiceStatus::Issued as i32,
            lines: vec![InvoiceLine {
                service: Some((&service).into()),
                provider: Some(service.provider().into()),
                tier: 1,
                rate_basis_points: 15,
                base_amount_tiyin: 41_200_000,
                requests: 3,
                unit_price_tiyin: 61_800,
                amount_tiyin: 185_400,
            }],
            total_tiyin: 185_400,
            paid_tiyin: 100_000,
            requests: 3,
            due_on: "2026-11-15".into(),
            ..Default::default()
        };
        let html = invoice_html(&invoice, &BillingConfig::default().issuer);
        assert!(html.contains("№ 20260000000007"));
        assert!(html.contains("DDP&lt;2026&gt;"), "the contract reference is escaped");
        assert!(html.contains("0.15 %"));
        assert!(html.contains("1\u{a0}854.00"), "the total in soʻm");
        assert!(html.contains("854.00</b>"), "outstanding 854.00");
        assert!(html.contains("civil-registry/person-by-pinfl/v1"));
    }
}
