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

/// An audit record.
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
