//! The package (data set), resource and tag dictionaries, shaped like CKAN 2.10's so that CKAN clients read them
//! unchanged. Texts follow ckanext-fluent: `title`/`notes` in Uzbek (the portal's default language) and
//! `title_translated`/`notes_translated` in uz, ru and en. The OD Annex 2 passport entries CKAN has no field for
//! are `extras`. Times are CKAN's: naive UTC ISO 8601 with microseconds (`2026-11-24T09:30:00.123456`).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::license::license;
use super::organization::organization;
use crate::formats::TabularFormat;
use crate::multilingual::Multilingual;
use crate::repository::{DatasetRecord, DemandTotals, ResourceRecord, SupplierRecord, VersionRecord};
use crate::update_frequency::is_overdue;
use crate::wire::Links;

/// A time as CKAN writes it.
pub fn ckan_time(at: DateTime<Utc>) -> String {
    at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// The list of a data set's versions (JSON).
pub fn versions_url(links: &Links, dataset: &str) -> String {
    format!("{}/dataset/{dataset}/versions", links.base())
}

/// One version's own page (JSON): the IRI other versions link to.
pub fn version_url(links: &Links, dataset: &str, number: u32) -> String {
    format!("{}/dataset/{dataset}/version/{number}", links.base())
}

/// A multilingual text as ckanext-fluent writes it.
pub fn translated(text: &Multilingual) -> Value {
    json!({ "uz": text.uz, "ru": text.ru, "en": text.en })
}

/// A format's media type without parameters (`text/csv`).
pub fn mimetype(format: TabularFormat) -> &'static str {
    let media_type = format.media_type();
    media_type.split(';').next().unwrap_or(media_type)
}

/// Everything one package dictionary is made of.
#[derive(Debug, Clone, Copy)]
pub struct PackageParts<'a> {
    /// The data set (published).
    pub dataset: &'a DatasetRecord,
    /// Its supplier.
    pub supplier: &'a SupplierRecord,
    /// Its current version.
    pub version: &'a VersionRecord,
    /// Its demand.
    pub demand: DemandTotals,
    /// Public links.
    pub links: &'a Links,
    /// Now, for `overdue`.
    pub now: DateTime<Utc>,
}

/// A tag dictionary (tags have no ids of their own: the id is the name).
pub fn tag(name: &str) -> Value {
    json!({ "id": name, "name": name, "display_name": name, "state": "active", "vocabulary_id": null })
}

/// A resource dictionary: `version` in `resource`'s format.
pub fn resource(dataset: &DatasetRecord, version: &VersionRecord, resource: &ResourceRecord, links: &Links) -> Value {
    let format = resource.format;
    let is_csv = format == TabularFormat::Csv;
    let position = version.resources.iter().position(|r| r.id == resource.id).unwrap_or_default();
    let name = &dataset.passport.name;
    json!({
        "id": resource.id,
        "package_id": dataset.id,
        "name": format!("{} ({})", dataset.passport.title.uz, format.as_str().to_uppercase()),
        "description": "",
        "format": format.as_str().to_uppercase(),
        "mimetype": mimetype(format),
        "mimetype_inner": null,
        "url": links.download(name, version.number, format.extension()),
        "url_type": null,
        "size": if is_csv { json!(version.bytes) } else { Value::Null },
        "hash": if is_csv { format!("sha256:{}", version.sha256) } else { String::new() },
        "created": ckan_time(version.published_at),
        "last_modified": ckan_time(version.published_at),
        "metadata_modified": ckan_time(version.published_at),
        "position": position,
        "state": "active",
        "resource_type": null,
        "cache_url": null,
        "datastore_active": false,
        "koprik_version": version.number,
        "koprik_rows": version.rows,
    })
}

fn extra(key: &str, value: impl Into<String>) -> Value {
    json!({ "key": key, "value": value.into() })
}

/// The OD Annex 2 passport entries CKAN has no field for, as `extras` (values are texts, as in CKAN).
fn extras(parts: &PackageParts<'_>) -> Vec<Value> {
    let (dataset, links) = (parts.dataset, parts.links);
    let passport = &dataset.passport;
    let name = &passport.name;
    let mut extras = vec![
        extra("update_frequency", passport.update_frequency.as_str()),
        extra("unit", passport.unit.as_str()),
        extra("composition_uz", passport.composition.uz.as_str()),
        extra("methodology_uz", passport.methodology.uz.as_str()),
    ];
    for (key, text) in [
        ("composition_ru", &passport.composition.ru),
        ("composition_en", &passport.composition.en),
        ("methodology_ru", &passport.methodology.ru),
        ("methodology_en", &passport.methodology.en),
    ] {
        if !text.trim().is_empty() {
            extras.push(extra(key, text.as_str()));
        }
    }
    let previous = match parts.version.number {
        0 | 1 => String::new(),
        number => version_url(links, name, number - 1),
    };
    let responsible = &parts.supplier.supplier.responsible;
    extras.extend([
        extra("first_published", dataset.first_published_at.map(ckan_time).unwrap_or_default()),
        extra("last_change", dataset.last_change.as_str()),
        extra("related_links", serde_json::to_string(&passport.related_links).unwrap_or_else(|_| "[]".into())),
        extra("structure_version", parts.version.structure_version.to_string()),
        extra("structure_url", links.structure(name, parts.version.structure_version)),
        extra("previous_version_url", previous),
        extra("next_update_due", dataset.next_update_due.map(ckan_time).unwrap_or_default()),
        extra("overdue", is_overdue(dataset.next_update_due, parts.now).to_string()),
        extra("responsible_position", responsible.position.as_str()),
        extra("responsible_phone", responsible.phone.as_str()),
    ]);
    extras
}

/// A package dictionary.
pub fn package(parts: &PackageParts<'_>) -> Value {
    let (dataset, version, links) = (parts.dataset, parts.version, parts.links);
    let passport = &dataset.passport;
    let supplier = &parts.supplier.supplier;
    let tags: Vec<Value> = passport.keywords.tags().iter().map(|t| tag(t)).collect();
    let resources: Vec<Value> = version.resources.iter().map(|r| resource(dataset, version, r, links)).collect();
    let known_license = license(&passport.license_id);
    let modified = dataset.last_changed_at.unwrap_or(dataset.created_at);
    json!({
        "id": dataset.id,
        "name": passport.name,
        "title": passport.title.uz,
        "notes": passport.description.uz,
        "title_translated": translated(&passport.title),
        "notes_translated": translated(&passport.description),
        "type": "dataset",
        "state": "active",
        "private": false,
        "license_id": passport.license_id,
        "license_title": known_license.map_or(passport.license_id.as_str(), |l| l.title),
        "license_url": known_license.map(|l| l.url),
        "isopen": known_license.is_some_and(|l| l.open),
        "organization": organization(parts.supplier),
        "owner_org": supplier.name,
        "author": supplier.title.uz,
        "author_email": null,
        "maintainer": supplier.responsible.full_name,
        "maintainer_email": supplier.responsible.email,
        "tags": tags,
        "num_tags": tags.len(),
        "resources": resources,
        "num_resources": resources.len(),
        "groups": [],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "creator_user_id": null,
        "metadata_created": ckan_time(dataset.created_at),
        "metadata_modified": ckan_time(modified),
        "version": version.number.to_string(),
        "url": links.dataset(&passport.name),
        "extras": extras(parts),
        "tracking_summary": { "total": parts.demand.views, "recent": parts.demand.recent_views },
        "koprik_demand": {
            "views": parts.demand.views,
            "downloads": parts.demand.downloads,
            "recent_views": parts.demand.recent_views,
            "recent_downloads": parts.demand.recent_downloads,
        },
        "koprik_versions_url": versions_url(links, &passport.name),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::passport::{Keywords, Passport};
    use crate::supplier::{ResponsiblePerson, Supplier};
    use crate::update_frequency::UpdateFrequency;

    pub(crate) fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 30, 0).single().expect("a date")
            + chrono::Duration::microseconds(123_456)
    }

    pub(crate) fn supplier() -> SupplierRecord {
        SupplierRecord {
            supplier: Supplier {
                name: "stat".into(),
                member: "UZ/GOV/201122919".into(),
                title: Multilingual::new("Statistika agentligi", "Агентство статистики", "Statistics Agency"),
                domain: "stat.uz".into(),
                responsible: ResponsiblePerson {
                    full_name: "Karimov Aziz".into(),
                    position: "Bo'lim boshlig'i".into(),
                    phone: "+998712391234".into(),
                    email: "opendata@stat.uz".into(),
                },
            },
            registered_at: at(1),
        }
    }

    pub(crate) fn dataset() -> DatasetRecord {
        DatasetRecord {
            id: "d-1".into(),
            passport: Passport {
                name: "aholi-soni".into(),
                supplier: "stat".into(),
                title: Multilingual::new("Aholi soni", "Численность населения", "Population"),
                description: Multilingual::new("Viloyatlar", "По регионам", "By region"),
                composition: Multilingual::new("Viloyat, yil", "", ""),
                methodology: Multilingual::new("Hisob", "", "Count"),
                update_frequency: UpdateFrequency::Monthly,
                unit: "ming kishi".into(),
                related_links: vec!["https://stat.uz".into()],
                keywords: Keywords { uz: vec!["aholi".into()], ru: vec!["население".into()], en: vec![] },
                license_id: "cc-by-4.0".into(),
            },
            platform: false,
            structure_version: 2,
            version: 3,
            created_at: at(1),
            first_published_at: Some(at(2)),
            last_changed_at: Some(at(20)),
            last_change: "Oktyabr".into(),
            next_update_due: Some(at(20) + chrono::Duration::days(30)),
            overdue_notified_at: None,
        }
    }

    pub(crate) fn version() -> VersionRecord {
        VersionRecord {
            id: "v-3".into(),
            dataset: "aholi-soni".into(),
            number: 3,
            structure_version: 2,
            previous_version_id: Some("v-2".into()),
            change_note: "Oktyabr".into(),
            rows: 14,
            bytes: 512,
            sha256: "ab".repeat(32),
            published_at: at(20),
            resources: TabularFormat::ALL
                .into_iter()
                .map(|format| ResourceRecord { id: format!("r-{format}"), format })
                .collect(),
        }
    }

    #[test]
    fn ckan_times_are_naive_with_microseconds() {
        assert_eq!(ckan_time(at(24)), "2026-11-24T09:30:00.123456");
    }

    #[test]
    fn a_package_has_ckans_fields_and_the_passport_extras() {
        let (dataset, supplier, version) = (dataset(), supplier(), version());
        let links = Links::new("https://data.egov.uz");
        let demand = DemandTotals { views: 9, downloads: 4, recent_views: 2, recent_downloads: 1 };
        let parts = PackageParts {
            dataset: &dataset,
            supplier: &supplier,
            version: &version,
            demand,
            links: &links,
            now: at(21),
        };
        let package = package(&parts);
        assert_eq!(package["name"], json!("aholi-soni"));
        assert_eq!(package["title"], json!("Aholi soni"));
        assert_eq!(package["title_translated"]["ru"], json!("Численность населения"));
        assert_eq!(package["organization"]["name"], json!("stat"));
        assert_eq!(package["organization"]["is_organization"], json!(true));
        assert_eq!(package["maintainer_email"], json!("opendata@stat.uz"));
        assert_eq!(package["version"], json!("3"));
        assert_eq!(package["num_tags"], json!(2));
        assert_eq!(package["tags"][1]["name"], json!("население"));
        assert_eq!(package["metadata_modified"], json!("2026-11-20T09:30:00.123456"));
        assert_eq!(package["tracking_summary"], json!({ "total": 9, "recent": 2 }));
        assert_eq!(package["license_url"], json!("https://creativecommons.org/licenses/by/4.0/"));
        let extras: std::collections::HashMap<String, String> = package["extras"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| (e["key"].as_str().expect("key").into(), e["value"].as_str().expect("text value").into()))
            .collect();
        assert_eq!(extras["update_frequency"], "monthly");
        assert_eq!(extras["overdue"], "false");
        assert_eq!(extras["structure_url"], "https://data.egov.uz/dataset/aholi-soni/structure/2");
        assert_eq!(extras["previous_version_url"], "https://data.egov.uz/dataset/aholi-soni/version/2");
        assert_eq!(extras["related_links"], "[\"https://stat.uz\"]");
        assert_eq!(extras["methodology_en"], "Count");
        assert!(!extras.contains_key("methodology_ru"));
    }

    #[test]
    fn an_update_past_due_is_overdue() {
        let (dataset, supplier, version) = (dataset(), supplier(), version());
        let links = Links::new("https://data.egov.uz");
        let now = at(20) + chrono::Duration::days(40);
        let parts = PackageParts {
            dataset: &dataset,
            supplier: &supplier,
            version: &version,
            demand: DemandTotals::default(),
            links: &links,
            now,
        };
        let extras = package(&parts)["extras"].clone();
        assert!(extras.as_array().expect("list").contains(&json!({ "key": "overdue", "value": "true" })));
    }

    #[test]
    fn resources_link_their_download_and_only_csv_has_size_and_hash() {
        let (dataset, version) = (dataset(), version());
        let links = Links::new("https://data.egov.uz");
        let csv = resource(&dataset, &version, &version.resources[0], &links);
        assert_eq!(csv["format"], json!("CSV"));
        assert_eq!(csv["mimetype"], json!("text/csv"));
        assert_eq!(csv["size"], json!(512));
        assert_eq!(csv["hash"], json!(format!("sha256:{}", "ab".repeat(32))));
        assert_eq!(csv["url"], json!("https://data.egov.uz/dataset/aholi-soni/version/3/data.csv"));
        assert_eq!(csv["name"], json!("Aholi soni (CSV)"));
        let xlsx = resource(&dataset, &version, &version.resources[3], &links);
        assert_eq!(
            (xlsx["position"].clone(), xlsx["size"].clone(), xlsx["hash"].clone()),
            (json!(3), Value::Null, json!(""))
        );
    }
}
