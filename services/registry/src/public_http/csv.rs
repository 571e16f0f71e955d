//! The CSV documents of the public export: one row per entry (per content version with history), lists joined with
//! " | ", every human-readable text in three columns suffixed `_uz`, `_ru`, `_en`. Quoting is the `csv` crate's
//! (RFC 4180), so texts with commas, quotes or line breaks survive.

use koprik_proto::registry::{
    price::Kind, ContentVersion, LocalizedText, NormativeAct, PublicServiceContent, PublicServiceEntry, Service, Step,
};

use super::json::{member, name, service_id, time};
use crate::repository::public_services::ExportedEntry;

const SEPARATOR: &str = " | ";

/// The localized columns, each written as three (`_uz`, `_ru`, `_en`).
const TEXTS: &[&str] = &[
    "name",
    "applicant_categories",
    "price_note",
    "deadlines",
    "conditions",
    "applicant_documents",
    "interagency_documents",
    "result",
    "forms",
    "regulation_title",
    "regulation_documents",
    "exchanged_data",
    "legal_basis",
    "change_marks",
    "abolition_basis",
];

/// The plain columns before the localized ones.
const LEADING: &[&str] = &["number", "status", "content_version", "registered_at"];
/// The history columns (with `?history=true`).
const HISTORY: &[&str] = &[
    "version_id",
    "application_id",
    "application_kind",
    "submission",
    "version_state",
    "submitted_by",
    "submitted_at",
    "grounds",
    "steps",
];
/// The plain columns after the localized ones.
const TRAILING: &[&str] = &[
    "competent_body",
    "delivery_forms",
    "price_kind",
    "price_value",
    "interagency_suppliers",
    "interagency_web_services",
    "form_sample_urls",
    "permanent_link",
    "regulation_number",
    "regulation_date",
    "regulation_link",
    "service_type",
    "e_service_kind",
    "ru_version",
    "en_version",
    "abolition_date",
    "abolition_act",
    "abolition_notified_at",
];

fn header(with_history: bool) -> Vec<String> {
    let mut columns: Vec<String> = LEADING.iter().map(|c| (*c).to_owned()).collect();
    if with_history {
        columns.extend(HISTORY.iter().map(|c| (*c).to_owned()));
    }
    for column in TEXTS {
        columns.extend(["uz", "ru", "en"].iter().map(|lang| format!("{column}_{lang}")));
    }
    columns.extend(TRAILING.iter().map(|c| (*c).to_owned()));
    columns
}

/// A list of texts as three joined columns.
fn texts<'a>(items: impl IntoIterator<Item = Option<&'a LocalizedText>>) -> [String; 3] {
    let items: Vec<&LocalizedText> = items.into_iter().flatten().collect();
    let join = |f: fn(&LocalizedText) -> &str| items.iter().map(|t| f(t)).collect::<Vec<_>>().join(SEPARATOR);
    [join(|t| &t.uz), join(|t| &t.ru), join(|t| &t.en)]
}

fn joined(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().collect::<Vec<_>>().join(SEPARATOR)
}

fn act_text(act: &NormativeAct) -> String {
    format!("{} {} {}", act.number, act.date, act.link).trim().to_owned()
}

/// The text columns of a content (and of the entry's change marks and abolition) in [`TEXTS`] order.
fn text_columns(c: &PublicServiceContent, entry: &PublicServiceEntry) -> Vec<String> {
    let regulation = c.regulation.as_ref();
    let groups = [
        texts([c.name.as_ref()]),
        texts(c.applicant_categories.iter().map(Some)),
        texts([c.price.as_ref().and_then(|p| p.note.as_ref())]),
        texts([c.deadlines.as_ref()]),
        texts([c.conditions.as_ref()]),
        texts(c.applicant_documents.iter().map(|d| d.name.as_ref())),
        texts(c.interagency_documents.iter().map(|d| d.name.as_ref())),
        texts([c.result.as_ref()]),
        texts(c.forms.iter().map(|f| f.name.as_ref())),
        texts([regulation.and_then(|r| r.act.as_ref()).and_then(|a| a.title.as_ref())]),
        texts(regulation.map(|r| r.documents.as_slice()).unwrap_or_default().iter().map(|d| d.name.as_ref())),
        texts(c.exchanged_data.iter().flat_map(|d| [d.name.as_ref(), d.volume.as_ref()])),
        texts(c.legal_basis.iter().map(|a| a.title.as_ref())),
        texts(entry.change_marks.iter().map(|m| m.substance.as_ref())),
        texts([entry.abolition.as_ref().and_then(|a| a.basis.as_ref())]),
    ];
    groups.into_iter().flatten().collect()
}

fn trailing_columns(c: &PublicServiceContent, entry: &PublicServiceEntry) -> Vec<String> {
    let (kind, value) = match c.price.as_ref().and_then(|p| p.kind.as_ref()) {
        Some(Kind::Free(_)) => ("free", String::new()),
        Some(Kind::Som(som)) => ("som", som.to_string()),
        Some(Kind::Percent(p)) => ("percent", p.clone()),
        Some(Kind::BcaMultiple(m)) => ("bca_multiple", m.clone()),
        None => ("", String::new()),
    };
    let act = c.regulation.as_ref().and_then(|r| r.act.as_ref());
    let abolition = entry.abolition.as_ref();
    vec![
        member(c.competent_body.as_ref()),
        joined(c.delivery_forms().map(|f| name(f.as_str_name(), "DELIVERY_FORM_"))),
        kind.to_owned(),
        value,
        joined(c.interagency_documents.iter().map(|d| member(d.supplier.as_ref()))),
        joined(c.interagency_documents.iter().map(|d| service_id(d.web_service.as_ref()))),
        joined(c.forms.iter().map(|f| f.sample_url.clone())),
        c.permanent_link.clone(),
        act.map(|a| a.number.clone()).unwrap_or_default(),
        act.map(|a| a.date.clone()).unwrap_or_default(),
        act.map(|a| a.link.clone()).unwrap_or_default(),
        name(c.service_type().as_str_name(), "SERVICE_TYPE_"),
        name(c.e_service_kind().as_str_name(), "E_SERVICE_KIND_"),
        name(c.ru().as_str_name(), "TRANSLATION_STATUS_"),
        name(c.en().as_str_name(), "TRANSLATION_STATUS_"),
        abolition.map(|a| a.date.clone()).unwrap_or_default(),
        abolition.and_then(|a| a.act.as_ref()).map(act_text).unwrap_or_default(),
        time(abolition.and_then(|a| a.notified_at.as_ref())),
    ]
}

fn leading_columns(entry: &PublicServiceEntry) -> Vec<String> {
    vec![
        entry.number.to_string(),
        name(entry.status().as_str_name(), "ENTRY_STATUS_"),
        entry.content_version.to_string(),
        time(entry.registered_at.as_ref()),
    ]
}

fn step_text(s: &Step) -> String {
    let late = if s.late { " LATE" } else { "" };
    format!("{} {} by {}{late}", name(s.kind().as_str_name(), "STEP_KIND_"), time(s.at.as_ref()), s.actor)
}

/// The history columns of one version: its own fields and the steps taken on it (those of its application from its
/// submission until the next submission).
fn history_columns(version: &ContentVersion, next: Option<&ContentVersion>, steps: &[Step]) -> Vec<String> {
    let instant = |t: Option<&koprik_proto::prost_types::Timestamp>| t.and_then(koprik_proto::time::datetime);
    let from = instant(version.submitted_at.as_ref());
    let until = next.and_then(|n| instant(n.submitted_at.as_ref()));
    let on_version: Vec<String> = steps
        .iter()
        .filter(|s| {
            let at = instant(s.at.as_ref());
            s.application_id == version.application_id && at >= from && until.is_none_or(|until| at < Some(until))
        })
        .map(step_text)
        .collect();
    vec![
        version.id.to_string(),
        version.application_id.clone(),
        name(version.kind().as_str_name(), "ENTRY_APPLICATION_KIND_"),
        version.submission.to_string(),
        name(version.state().as_str_name(), "VERSION_STATE_"),
        version.submitted_by.clone(),
        time(version.submitted_at.as_ref()),
        version.grounds.clone(),
        joined(on_version),
    ]
}

fn row(entry: &PublicServiceEntry, content: &PublicServiceContent, history: Option<Vec<String>>) -> Vec<String> {
    let mut row = leading_columns(entry);
    row.extend(history.unwrap_or_default());
    row.extend(text_columns(content, entry));
    row.extend(trailing_columns(content, entry));
    row
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    String::from_utf8(bytes).map_err(|e| csv::Error::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// The registry as CSV: a row per entry, or per submitted version with `with_history`.
pub fn entries(all: &[ExportedEntry], with_history: bool) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header(with_history))?;
    for exported in all {
        let entry = &exported.entry;
        match (&exported.history, with_history) {
            (Some(history), true) => {
                for (index, version) in history.versions.iter().enumerate() {
                    let next =
                        history.versions[index + 1..].iter().find(|v| v.application_id == version.application_id);
                    let columns = history_columns(version, next, &history.steps);
                    let content = version.content.clone().unwrap_or_default();
                    writer.write_record(row(entry, &content, Some(columns)))?;
                }
            }
            _ => {
                let content = entry.content.clone().unwrap_or_default();
                writer.write_record(row(entry, &content, None))?;
            }
        }
    }
    finish(writer)
}

/// The web-service catalogue as CSV: one row per service, data items as `code (CLASSIFICATION)`.
pub fn web_services(services: &[Service]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["id", "provider", "name", "description", "status", "data_items"])?;
    for service in services {
        let id = service_id(service.id.as_ref());
        let provider = id.rsplitn(3, '/').nth(2).unwrap_or_default().to_owned();
        let items = joined(
            service
                .data_items
                .iter()
                .map(|d| format!("{} ({})", d.code, name(d.classification().as_str_name(), "DATA_CLASSIFICATION_"))),
        );
        writer.write_record([
            id,
            provider,
            service.name.clone(),
            service.description.clone(),
            name(service.status().as_str_name(), "SERVICE_STATUS_"),
            items,
        ])?;
    }
    finish(writer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_as_many_fields_as_the_header() {
        let entry = PublicServiceEntry {
            number: 3,
            content: Some(PublicServiceContent {
                name: Some(LocalizedText {
                    uz: "Nomi, \"qo'shtirnoq\"".into(),
                    ru: "Название".into(),
                    en: String::new(),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let text = entries(&[ExportedEntry { entry, history: None }], false).expect("written");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("header").clone();
        assert_eq!(header.len(), LEADING.len() + 3 * TEXTS.len() + TRAILING.len());
        let record = reader.records().next().expect("one row").expect("parsed");
        assert_eq!(record.len(), header.len());
        let column = header.iter().position(|h| h == "name_uz").expect("name_uz");
        assert_eq!(&record[column], "Nomi, \"qo'shtirnoq\"");
    }
}
