//! Conversions between the portal's records and the `koprik.opendata.v1` wire messages, in both directions; a
//! wire value that breaks a rule is refused naming its field.

use koprik_proto::opendata as pb;
use koprik_proto::time::timestamp as to_timestamp;

use crate::error::{OpendataError, Result};
use crate::multilingual::Multilingual;
use crate::passport::{Keywords, Passport};
use crate::repository::{
    ApiKeyRecord, DatasetRecord, MessageRecord, ProposalRecord, StructureRecord, SupplierRecord, VersionRecord,
};
use crate::structure::{Field, FieldType, Structure};
use crate::supplier::{ResponsiblePerson, Supplier};
use crate::update_frequency::UpdateFrequency;

/// Builds links from the portal's public base URL.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    /// Links under `public_url` (no trailing slash).
    pub fn new(public_url: &str) -> Self {
        Self { base: public_url.trim_end_matches('/').to_owned() }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A data set's page.
    pub fn dataset(&self, name: &str) -> String {
        format!("{}/dataset/{name}", self.base)
    }

    /// A structure version's own link (OD Annex 3).
    pub fn structure(&self, dataset: &str, number: u32) -> String {
        format!("{}/dataset/{dataset}/structure/{number}", self.base)
    }

    /// A version's download in one format.
    pub fn download(&self, dataset: &str, version: u32, extension: &str) -> String {
        format!("{}/dataset/{dataset}/version/{version}/data.{extension}", self.base)
    }

    /// A supplier's page.
    pub fn supplier(&self, name: &str) -> String {
        format!("{}/organization/{name}", self.base)
    }
}

/// A multilingual text to the wire.
pub fn text(value: &Multilingual) -> pb::Text {
    pb::Text { uz: value.uz.clone(), ru: value.ru.clone(), en: value.en.clone() }
}

/// A wire text to the record (missing means empty).
pub fn multilingual(value: Option<pb::Text>) -> Multilingual {
    value.map(|t| Multilingual::new(t.uz, t.ru, t.en)).unwrap_or_default()
}

/// A wire supplier to the record (rules are checked by [`Supplier::validate`]).
pub fn supplier_from(value: Option<pb::Supplier>) -> Result<Supplier> {
    let value = value.ok_or_else(|| OpendataError::invalid("supplier", "is required"))?;
    let member = value.member.ok_or_else(|| OpendataError::invalid("supplier.member", "is required"))?;
    let member = koprik_proto::ids::MemberId::try_from(&member)
        .map_err(|e| OpendataError::invalid("supplier.member", e.to_string()))?;
    let person = value.responsible.unwrap_or_default();
    Ok(Supplier {
        name: value.name,
        member: member.to_string(),
        title: multilingual(value.title),
        domain: value.domain,
        responsible: ResponsiblePerson {
            full_name: person.full_name,
            position: person.position,
            phone: person.phone,
            email: person.email,
        },
    })
}

/// The responsible person to the wire.
pub fn person(value: &ResponsiblePerson) -> pb::ResponsiblePerson {
    pb::ResponsiblePerson {
        full_name: value.full_name.clone(),
        position: value.position.clone(),
        phone: value.phone.clone(),
        email: value.email.clone(),
    }
}

/// A supplier to the wire.
pub fn supplier(record: &SupplierRecord) -> Result<pb::Supplier> {
    let member: koprik_proto::ids::MemberId = record
        .supplier
        .member
        .parse()
        .map_err(|e| OpendataError::Corrupt(format!("supplier {} member: {e}", record.supplier.name)))?;
    Ok(pb::Supplier {
        member: Some((&member).into()),
        name: record.supplier.name.clone(),
        title: Some(text(&record.supplier.title)),
        domain: record.supplier.domain.clone(),
        responsible: Some(person(&record.supplier.responsible)),
        registered_at: Some(to_timestamp(record.registered_at)),
    })
}

/// The frequency from the wire.
pub fn frequency_from(value: i32) -> Result<UpdateFrequency> {
    Ok(match pb::UpdateFrequency::try_from(value).unwrap_or(pb::UpdateFrequency::Unspecified) {
        pb::UpdateFrequency::Daily => UpdateFrequency::Daily,
        pb::UpdateFrequency::Weekly => UpdateFrequency::Weekly,
        pb::UpdateFrequency::Monthly => UpdateFrequency::Monthly,
        pb::UpdateFrequency::Quarterly => UpdateFrequency::Quarterly,
        pb::UpdateFrequency::Yearly => UpdateFrequency::Yearly,
        pb::UpdateFrequency::Irregular => UpdateFrequency::Irregular,
        pb::UpdateFrequency::Unspecified => {
            return Err(OpendataError::invalid(
                "passport.update_frequency",
                "is required (OD Annex 2): daily, weekly, monthly, quarterly, yearly or irregular",
            ))
        }
    })
}

/// The frequency to the wire.
pub fn frequency(value: UpdateFrequency) -> pb::UpdateFrequency {
    match value {
        UpdateFrequency::Daily => pb::UpdateFrequency::Daily,
        UpdateFrequency::Weekly => pb::UpdateFrequency::Weekly,
        UpdateFrequency::Monthly => pb::UpdateFrequency::Monthly,
        UpdateFrequency::Quarterly => pb::UpdateFrequency::Quarterly,
        UpdateFrequency::Yearly => pb::UpdateFrequency::Yearly,
        UpdateFrequency::Irregular => pb::UpdateFrequency::Irregular,
    }
}

/// A wire passport to the record (rules are checked by [`Passport::validate`]).
pub fn passport_from(value: Option<pb::Passport>) -> Result<Passport> {
    let value = value.ok_or_else(|| OpendataError::invalid("passport", "is required"))?;
    Ok(Passport {
        name: value.name,
        supplier: value.supplier,
        title: multilingual(value.title),
        description: multilingual(value.description),
        composition: multilingual(value.composition),
        methodology: multilingual(value.methodology),
        update_frequency: frequency_from(value.update_frequency)?,
        unit: value.unit,
        related_links: value.related_links,
        keywords: Keywords { uz: value.keywords_uz, ru: value.keywords_ru, en: value.keywords_en },
        license_id: value.license_id,
    })
}

/// A passport to the wire.
pub fn passport(value: &Passport) -> pb::Passport {
    pb::Passport {
        name: value.name.clone(),
        supplier: value.supplier.clone(),
        title: Some(text(&value.title)),
        description: Some(text(&value.description)),
        composition: Some(text(&value.composition)),
        methodology: Some(text(&value.methodology)),
        update_frequency: frequency(value.update_frequency).into(),
        unit: value.unit.clone(),
        related_links: value.related_links.clone(),
        keywords_uz: value.keywords.uz.clone(),
        keywords_ru: value.keywords.ru.clone(),
        keywords_en: value.keywords.en.clone(),
        license_id: value.license_id.clone(),
    }
}

/// A data set to the wire.
pub fn dataset(record: &DatasetRecord, links: &Links) -> pb::Dataset {
    pb::Dataset {
        id: record.id.clone(),
        passport: Some(passport(&record.passport)),
        structure_version: record.structure_version,
        version: record.version,
        created_at: Some(to_timestamp(record.created_at)),
        first_published_at: record.first_published_at.map(to_timestamp),
        last_changed_at: record.last_changed_at.map(to_timestamp),
        last_change: record.last_change.clone(),
        next_update_due: record.next_update_due.map(to_timestamp),
        url: links.dataset(&record.passport.name),
        platform: record.platform,
    }
}

/// Wire fields to a structure (rules are checked by [`Structure::validate`]).
pub fn structure_from(fields: Vec<pb::Field>) -> Result<Structure> {
    let fields = fields
        .into_iter()
        .enumerate()
        .map(|(index, field)| {
            let field_type = match pb::FieldType::try_from(field.r#type).unwrap_or(pb::FieldType::Unspecified) {
                pb::FieldType::String => FieldType::String,
                pb::FieldType::Integer => FieldType::Integer,
                pb::FieldType::Decimal => FieldType::Decimal,
                pb::FieldType::Boolean => FieldType::Boolean,
                pb::FieldType::Date => FieldType::Date,
                pb::FieldType::Datetime => FieldType::DateTime,
                pb::FieldType::Unspecified => {
                    return Err(OpendataError::invalid(
                        format!("fields[{index}].type"),
                        "is required: string, integer, decimal, boolean, date or datetime",
                    ))
                }
            };
            Ok(Field {
                name: field.name,
                field_type,
                required: field.required,
                title: multilingual(field.title),
                description: multilingual(field.description),
                unit: field.unit,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Structure { fields })
}

/// A field type to the wire.
pub fn field_type(value: FieldType) -> pb::FieldType {
    match value {
        FieldType::String => pb::FieldType::String,
        FieldType::Integer => pb::FieldType::Integer,
        FieldType::Decimal => pb::FieldType::Decimal,
        FieldType::Boolean => pb::FieldType::Boolean,
        FieldType::Date => pb::FieldType::Date,
        FieldType::DateTime => pb::FieldType::Datetime,
    }
}

/// A structure version to the wire.
pub fn structure(record: &StructureRecord, links: &Links) -> pb::StructureVersion {
    pb::StructureVersion {
        dataset: record.dataset.clone(),
        number: record.number,
        fields: record
            .structure
            .fields
            .iter()
            .map(|f| pb::Field {
                name: f.name.clone(),
                r#type: field_type(f.field_type).into(),
                required: f.required,
                title: Some(text(&f.title)),
                description: Some(text(&f.description)),
                unit: f.unit.clone(),
            })
            .collect(),
        created_at: Some(to_timestamp(record.created_at)),
        url: links.structure(&record.dataset, record.number),
    }
}

/// A version to the wire.
pub fn version(record: &VersionRecord, links: &Links) -> pb::Version {
    pb::Version {
        id: record.id.clone(),
        dataset: record.dataset.clone(),
        number: record.number,
        structure_version: record.structure_version,
        previous_version_id: record.previous_version_id.clone().unwrap_or_default(),
        change_note: record.change_note.clone(),
        rows: record.rows,
        bytes: record.bytes,
        sha256: record.sha256.clone(),
        published_at: Some(to_timestamp(record.published_at)),
        resources: record
            .resources
            .iter()
            .map(|r| pb::Resource {
                id: r.id.clone(),
                format: r.format.as_str().to_uppercase(),
                url: links.download(&record.dataset, record.number, r.format.extension()),
            })
            .collect(),
    }
}

/// A user's message to the wire.
pub fn message(record: &MessageRecord) -> pb::Message {
    pb::Message {
        id: record.id.clone(),
        dataset: record.dataset.clone(),
        author: record.author.clone(),
        contact: record.contact.clone(),
        body: record.body.clone(),
        received_at: Some(to_timestamp(record.received_at)),
    }
}

/// A proposal to the wire, `overdue` as of `now`.
pub fn proposal(record: &ProposalRecord, now: chrono::DateTime<chrono::Utc>) -> pb::Proposal {
    pb::Proposal {
        id: record.id.clone(),
        title: record.title.clone(),
        description: record.description.clone(),
        suggested_supplier: record.suggested_supplier.clone(),
        author: record.author.clone(),
        contact: record.contact.clone(),
        received_at: Some(to_timestamp(record.received_at)),
        forward_due: Some(to_timestamp(record.forward_due)),
        forwarded_at: record.forwarded_at.map(to_timestamp),
        forwarded_to: record.forwarded_to.clone().unwrap_or_default(),
        overdue: record.is_overdue(now),
    }
}

/// An API key to the wire.
pub fn api_key(record: &ApiKeyRecord) -> Result<pb::ApiKey> {
    let consumer: koprik_proto::ids::SubsystemId =
        record.consumer.parse().map_err(|e| OpendataError::Corrupt(format!("API key {} consumer: {e}", record.id)))?;
    Ok(pb::ApiKey {
        id: record.id.clone(),
        contract_reference: record.contract_reference.clone(),
        consumer: Some((&consumer).into()),
        label: record.label.clone(),
        created_at: Some(to_timestamp(record.created_at)),
        revoked_at: record.revoked_at.map(to_timestamp),
    })
}
