//! The JSON documents of the public export: entries with every column and language version, their history, and
//! the web-service catalogue. Enum values are the protobuf names without their prefix (`LIVE`, `ELECTRONIC`);
//! times are RFC 3339 in UTC; member and service ids are in their canonical text form.

use koprik_proto::common;
use koprik_proto::prost_types::Timestamp;
use koprik_proto::registry::{
    price::Kind, ChangeMark, ContentVersion, Document, LocalizedText, NormativeAct, PublicServiceContent,
    PublicServiceEntry, PublicServiceHistory, Service, Step,
};
use serde_json::{json, Value};

use crate::repository::public_services::ExportedEntry;

/// A protobuf enum name without its type prefix: `ENTRY_STATUS_LIVE` → `LIVE`.
pub fn name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix).unwrap_or(full).to_owned()
}

/// A timestamp as RFC 3339 UTC, empty when unset.
pub fn time(value: Option<&Timestamp>) -> String {
    value.and_then(koprik_proto::time::datetime).map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn optional_time(value: Option<&Timestamp>) -> Value {
    Some(time(value)).filter(|t| !t.is_empty()).map_or(Value::Null, Value::String)
}

/// A member id in its canonical form.
pub fn member(id: Option<&common::MemberId>) -> String {
    id.map(|m| format!("{}/{}/{}", m.instance, m.member_class, m.member_code)).unwrap_or_default()
}

/// A service id in its canonical form.
pub fn service_id(id: Option<&common::ServiceId>) -> String {
    id.map(|s| {
        let subsystem = s.subsystem.as_ref();
        format!(
            "{}/{}/{}/{}",
            member(subsystem.and_then(|x| x.member.as_ref())),
            subsystem.map(|x| x.subsystem_code.as_str()).unwrap_or_default(),
            s.service_code,
            s.version
        )
    })
    .unwrap_or_default()
}

fn text(value: Option<&LocalizedText>) -> Value {
    match value {
        Some(t) => json!({ "uz": t.uz, "ru": t.ru, "en": t.en }),
        None => Value::Null,
    }
}

fn act(value: Option<&NormativeAct>) -> Value {
    match value {
        Some(a) => json!({ "title": text(a.title.as_ref()), "number": a.number, "date": a.date, "link": a.link }),
        None => Value::Null,
    }
}

fn document(d: &Document) -> Value {
    json!({ "name": text(d.name.as_ref()), "link": d.link })
}

/// The price as `{ "kind": "free" | "som" | "percent" | "bca_multiple", "value": ..., "note": ... }`.
fn price(content: &PublicServiceContent) -> Value {
    let Some(price) = &content.price else { return Value::Null };
    let (kind, value) = match &price.kind {
        Some(Kind::Free(_)) => ("free", Value::Null),
        Some(Kind::Som(som)) => ("som", json!(som)),
        Some(Kind::Percent(p)) => ("percent", json!(p)),
        Some(Kind::BcaMultiple(m)) => ("bca_multiple", json!(m)),
        None => ("", Value::Null),
    };
    json!({ "kind": kind, "value": value, "note": text(price.note.as_ref()) })
}

/// Every column of a content.
pub fn content(c: &PublicServiceContent) -> Value {
    json!({
        "name": text(c.name.as_ref()),
        "competent_body": member(c.competent_body.as_ref()),
        "applicant_categories": c.applicant_categories.iter().map(|t| text(Some(t))).collect::<Vec<_>>(),
        "delivery_forms": c.delivery_forms().map(|f| name(f.as_str_name(), "DELIVERY_FORM_")).collect::<Vec<_>>(),
        "price": price(c),
        "deadlines": text(c.deadlines.as_ref()),
        "conditions": text(c.conditions.as_ref()),
        "applicant_documents": c.applicant_documents.iter().map(document).collect::<Vec<_>>(),
        "interagency_documents": c.interagency_documents.iter().map(|d| json!({
            "name": text(d.name.as_ref()),
            "supplier": member(d.supplier.as_ref()),
            "web_service": service_id(d.web_service.as_ref()),
        })).collect::<Vec<_>>(),
        "result": text(c.result.as_ref()),
        "forms": c.forms.iter().map(|f| json!({ "name": text(f.name.as_ref()), "sample_url": f.sample_url })).collect::<Vec<_>>(),
        "permanent_link": c.permanent_link,
        "regulation": c.regulation.as_ref().map_or(Value::Null, |r| json!({
            "act": act(r.act.as_ref()),
            "documents": r.documents.iter().map(document).collect::<Vec<_>>(),
        })),
        "exchanged_data": c.exchanged_data.iter().map(|d| json!({
            "name": text(d.name.as_ref()),
            "counterpart": member(d.counterpart.as_ref()),
            "volume": text(d.volume.as_ref()),
        })).collect::<Vec<_>>(),
        "service_type": name(c.service_type().as_str_name(), "SERVICE_TYPE_"),
        "e_service_kind": name(c.e_service_kind().as_str_name(), "E_SERVICE_KIND_"),
        "legal_basis": c.legal_basis.iter().map(|a| act(Some(a))).collect::<Vec<_>>(),
        "language_versions": {
            "uz": "AUTHORITATIVE",
            "ru": name(c.ru().as_str_name(), "TRANSLATION_STATUS_"),
            "en": name(c.en().as_str_name(), "TRANSLATION_STATUS_"),
        },
    })
}

fn change_mark(m: &ChangeMark) -> Value {
    json!({
        "date": m.date,
        "substance": text(m.substance.as_ref()),
        "registered_at": optional_time(m.registered_at.as_ref()),
        "application_id": m.application_id,
    })
}

fn version(v: &ContentVersion) -> Value {
    json!({
        "id": v.id,
        "application_id": v.application_id,
        "kind": name(v.kind().as_str_name(), "ENTRY_APPLICATION_KIND_"),
        "submission": v.submission,
        "state": name(v.state().as_str_name(), "VERSION_STATE_"),
        "submitted_by": v.submitted_by,
        "submitted_at": time(v.submitted_at.as_ref()),
        "change_mark": v.change_mark.as_ref().map_or(Value::Null, change_mark),
        "grounds": v.grounds,
        "content": v.content.as_ref().map_or(Value::Null, content),
    })
}

/// One step of the history.
pub fn step(s: &Step) -> Value {
    json!({
        "kind": name(s.kind().as_str_name(), "STEP_KIND_"),
        "actor": s.actor,
        "at": time(s.at.as_ref()),
        "due_by": optional_time(s.due_by.as_ref()),
        "late": s.late,
        "application_id": s.application_id,
        "detail": s.detail,
    })
}

/// An entry, with its history when given.
pub fn entry(e: &PublicServiceEntry, history: Option<&PublicServiceHistory>) -> Value {
    let mut value = json!({
        "number": e.number,
        "status": name(e.status().as_str_name(), "ENTRY_STATUS_"),
        "content_version": e.content_version,
        "registered_at": time(e.registered_at.as_ref()),
        "content": e.content.as_ref().map_or(Value::Null, content),
        "change_marks": e.change_marks.iter().map(change_mark).collect::<Vec<_>>(),
        "abolition": e.abolition.as_ref().map_or(Value::Null, |a| json!({
            "date": a.date,
            "act": act(a.act.as_ref()),
            "basis": text(a.basis.as_ref()),
            "notified_at": time(a.notified_at.as_ref()),
            "due_by": time(a.due_by.as_ref()),
            "late": a.late,
        })),
    });
    if let (Some(history), Some(object)) = (history, value.as_object_mut()) {
        object.insert(
            "history".into(),
            json!({
                "versions": history.versions.iter().map(version).collect::<Vec<_>>(),
                "steps": history.steps.iter().map(step).collect::<Vec<_>>(),
            }),
        );
    }
    value
}

/// The whole registry.
pub fn entries(all: &[ExportedEntry]) -> Value {
    json!({ "public_services": all.iter().map(|e| entry(&e.entry, e.history.as_ref())).collect::<Vec<_>>() })
}

/// The web-service catalogue.
pub fn web_services(services: &[Service]) -> Value {
    let list: Vec<Value> = services
        .iter()
        .map(|s| {
            let id = service_id(s.id.as_ref());
            let provider = id.rsplitn(3, '/').nth(2).unwrap_or_default().to_owned();
            json!({
                "id": id,
                "provider": provider,
                "name": s.name,
                "description": s.description,
                "status": name(s.status().as_str_name(), "SERVICE_STATUS_"),
                "data_items": s.data_items.iter().map(|d| json!({
                    "code": d.code,
                    "name": d.name,
                    "classification": name(d.classification().as_str_name(), "DATA_CLASSIFICATION_"),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "web_services": list })
}
