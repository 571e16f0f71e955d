//! One-line, human-readable renderings of registry entities and audit records for the terminal.

use koprik_proto::common::{MemberId, ServiceId, SubsystemId};
use koprik_proto::events::AuditRecord;
use koprik_proto::registry::{Grant, Organization, Service, Subsystem};

/// `UZ/GOV/123456789`, or `?` when absent.
pub fn member(id: Option<&MemberId>) -> String {
    id.map_or_else(|| "?".into(), |m| format!("{}/{}/{}", m.instance, m.member_class, m.member_code))
}

/// `UZ/GOV/123456789/code`, or `?` when absent.
pub fn subsystem_id(id: Option<&SubsystemId>) -> String {
    id.map_or_else(|| "?".into(), |s| format!("{}/{}", member(s.member.as_ref()), s.subsystem_code))
}

/// `UZ/GOV/123456789/code/service/v1`, or `?` when absent.
pub fn service_id(id: Option<&ServiceId>) -> String {
    id.map_or_else(
        || "?".into(),
        |s| format!("{}/{}/{}", subsystem_id(s.subsystem.as_ref()), s.service_code, s.version),
    )
}

fn revision<T>(meta: Option<&T>, get: impl Fn(&T) -> i64) -> i64 {
    meta.map_or(0, get)
}

/// An organisation.
pub fn organization(o: &Organization) -> String {
    let roles: Vec<&str> = o.roles().map(|r| r.as_str_name().trim_start_matches("ORGANIZATION_ROLE_")).collect();
    format!(
        "organization {}  {:?}  type={}  roles={}  revision={}",
        member(o.id.as_ref()),
        o.name,
        o.r#type().as_str_name().trim_start_matches("ORGANIZATION_TYPE_"),
        roles.join(","),
        revision(o.meta.as_ref(), |m| m.revision)
    )
}

/// A subsystem.
pub fn subsystem(s: &Subsystem) -> String {
    format!(
        "subsystem {}  {:?}  revision={}",
        subsystem_id(s.id.as_ref()),
        s.name,
        revision(s.meta.as_ref(), |m| m.revision)
    )
}

/// A web service.
pub fn service(s: &Service) -> String {
    let items: Vec<&str> = s.data_items.iter().map(|d| d.code.as_str()).collect();
    format!(
        "service {}  {:?}  status={}  items={}  revision={}",
        service_id(s.id.as_ref()),
        s.name,
        s.status().as_str_name().trim_start_matches("SERVICE_STATUS_"),
        items.join(","),
        revision(s.meta.as_ref(), |m| m.revision)
    )
}

/// A grant.
pub fn grant(g: &Grant) -> String {
    let reason = if g.reason.is_empty() { String::new() } else { format!("  reason={:?}", g.reason) };
    format!(
        "grant {}  {} -> {}  status={}{}  revision={}",
        g.id,
        subsystem_id(g.consumer.as_ref()),
        service_id(g.service.as_ref()),
        g.status().as_str_name().trim_start_matches("GRANT_STATUS_"),
        reason,
        revision(g.meta.as_ref(), |m| m.revision)
    )
}

/// A signing key.
pub fn signing_key(k: &koprik_proto::registry::SigningKey) -> String {
    let holder = if k.holder_name.is_empty() {
        String::new()
    } else {
        format!("  holder={:?} ({})", k.holder_name, k.holder_position)
    };
    let reason =
        if k.revocation_reason.is_empty() { String::new() } else { format!("  reason={:?}", k.revocation_reason) };
    format!(
        "key {}  {}  {}  status={}{holder}{reason}  public={}",
        k.key_id,
        subsystem_id(k.subsystem.as_ref()),
        k.purpose().as_str_name().trim_start_matches("SIGNING_KEY_PURPOSE_"),
        k.status().as_str_name().trim_start_matches("CREDENTIAL_STATUS_"),
        hex::encode(&k.public_key)
    )
}

/// One line per audit record.
pub fn audit(a: &AuditRecord) -> String {
    let when =
        a.received_at.as_ref().and_then(koprik_proto::time::datetime).map(|t| t.to_rfc3339()).unwrap_or_default();
    let reason = if a.reason.is_empty() { String::new() } else { format!("  reason={:?}", a.reason) };
    format!(
        "{when}  {}  {}  {} -> {}  status={}{reason}",
        a.request_id,
        a.outcome().as_str_name().trim_start_matches("AUDIT_OUTCOME_"),
        subsystem_id(a.consumer.as_ref()),
        service_id(a.service.as_ref()),
        a.status_code,
    )
}

/// A time in Tashkent (UTC+5), where the law's days end.
fn when(t: Option<&koprik_proto::prost_types::Timestamp>) -> String {
    let tashkent = chrono::FixedOffset::east_opt(5 * 3600);
    match (t.and_then(koprik_proto::time::datetime), tashkent) {
        (Some(t), Some(zone)) => t.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S%:z").to_string(),
        _ => "-".into(),
    }
}

/// A connection application with its steps.
pub fn application(a: &koprik_proto::registry::ConnectionApplication) -> String {
    let form = a.form.clone().unwrap_or_default();
    let mut out = format!(
        "application {}  {} on {}  state={}  due_by={}{}  revision={}",
        a.id,
        subsystem_id(form.consumer.as_ref()),
        form.platform().as_str_name().trim_start_matches("PLATFORM_"),
        a.state().as_str_name().trim_start_matches("APPLICATION_STATE_"),
        when(a.due_by.as_ref()),
        if a.overdue { "  OVERDUE" } else { "" },
        revision(a.meta.as_ref(), |m| m.revision)
    );
    for step in &a.history {
        let ground = match step.ground() {
            koprik_proto::registry::RefusalGround::Unspecified => String::new(),
            g => format!("  ground={}", g.as_str_name().trim_start_matches("REFUSAL_GROUND_")),
        };
        let reasons = if step.reasons.is_empty() { String::new() } else { format!("  reasons={:?}", step.reasons) };
        out.push_str(&format!(
            "\n  {}  {}  by {:?}  due_by={}{}{ground}{reasons}",
            when(step.at.as_ref()),
            step.state().as_str_name().trim_start_matches("APPLICATION_STATE_"),
            step.actor,
            when(step.due_by.as_ref()),
            if step.late { "  LATE" } else { "" },
        ));
    }
    for consent in &a.consents {
        out.push_str(&format!(
            "\n  consent {}  {}  by {:?}  {:?}",
            service_id(consent.service.as_ref()),
            consent.decision().as_str_name().trim_start_matches("CONSENT_DECISION_"),
            consent.actor,
            consent.reasons
        ));
    }
    for grant in &a.grant_ids {
        out.push_str(&format!("\n  grant {grant}"));
    }
    out
}

/// A provider announcement.
pub fn announcement(a: &koprik_proto::registry::Announcement) -> String {
    format!(
        "announcement {}  {}  {}  from {} to {}  {:?}  letter={:?}",
        a.id,
        service_id(a.service.as_ref()),
        a.kind().as_str_name().trim_start_matches("ANNOUNCEMENT_KIND_"),
        when(a.starts_at.as_ref()),
        when(a.ends_at.as_ref()),
        a.summary,
        a.letter_reference
    )
}

/// A calendar year with its exceptions.
pub fn calendar_year(y: &koprik_proto::registry::CalendarYear) -> String {
    let origin = if y.builtin { "built-in".to_owned() } else { format!("loaded by {:?}", y.loaded_by) };
    let mut out = format!("calendar {}  {origin}  {:?}", y.year, y.source);
    for day in &y.days_off {
        out.push_str(&format!("\n  {}  day off      {}", day.date, day.name));
    }
    for day in &y.working_days {
        out.push_str(&format!("\n  {}  working day  {}", day.date, day.name));
    }
    out
}
