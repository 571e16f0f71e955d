//! The DCAT catalogue for harvesters (`/catalog.ttl`, `/catalog.jsonld`) and one data set's DCAT document
//! (`/dataset/{name}.ttl`, `/dataset/{name}.jsonld`), written by [`crate::formats::rdf`]. A data set's
//! distributions are its current version's formats; `dcat:previousVersion` links the version before it. The same
//! route serves `/dataset/{name}` itself (the data set's landing link) as the package dictionary in JSON.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::dataset_pages::package_document;
use super::HttpState;
use crate::ckan::envelope::{plain_error, ApiError};
use crate::ckan::license::license;
use crate::ckan::lookup;
use crate::ckan::package::version_url;
use crate::error::OpendataError;
use crate::formats::rdf::{
    write_jsonld, write_turtle, DcatCatalog, DcatDataset, DcatDistribution, JSONLD_MEDIA_TYPE, TURTLE_MEDIA_TYPE,
};
use crate::formats::TabularFormat;
use crate::multilingual::Multilingual;
use crate::repository::{DatasetRecord, SortKey, SupplierRecord, VersionRecord};
use crate::wire::Links;

/// A DCAT serialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Turtle,
    JsonLd,
}

/// `/catalog.ttl`.
pub async fn catalog_turtle(State(state): State<HttpState>) -> Response {
    respond(document(&state, None, Syntax::Turtle).await)
}

/// `/catalog.jsonld`.
pub async fn catalog_jsonld(State(state): State<HttpState>) -> Response {
    respond(document(&state, None, Syntax::JsonLd).await)
}

/// `/dataset/{file}`: `<name>.ttl`, `<name>.jsonld`, or `<name>` (the package dictionary).
pub async fn dataset_document(State(state): State<HttpState>, Path(file): Path<String>) -> Response {
    let (name, syntax) = if let Some(name) = file.strip_suffix(".ttl") {
        (name, Syntax::Turtle)
    } else if let Some(name) = file.strip_suffix(".jsonld") {
        (name, Syntax::JsonLd)
    } else {
        return package_document(&state, &file).await;
    };
    respond(document(&state, Some(name), syntax).await)
}

fn respond(result: Result<(Vec<u8>, &'static str), ApiError>) -> Response {
    match result {
        Ok((body, media_type)) => {
            ([(header::CONTENT_TYPE, HeaderValue::from_static(media_type))], body).into_response()
        }
        Err(error) => plain_error(&error),
    }
}

/// The catalogue (of one published data set, when named) in `syntax`.
async fn document(state: &HttpState, only: Option<&str>, syntax: Syntax) -> Result<(Vec<u8>, &'static str), ApiError> {
    let datasets = match only {
        Some(name) => vec![lookup::published_by_name(&state.repository, name).await?],
        None => lookup::all_published(&state.repository, SortKey::Name { ascending: true }).await?,
    };
    let suppliers: HashMap<String, SupplierRecord> =
        state.repository.suppliers().await?.into_iter().map(|s| (s.supplier.name.clone(), s)).collect();
    let mut entries = Vec::with_capacity(datasets.len());
    for dataset in &datasets {
        let version = state.repository.version(dataset, dataset.version).await?;
        let supplier = suppliers.get(&dataset.passport.supplier).ok_or_else(|| {
            OpendataError::Corrupt(format!("data set {} names a missing supplier", dataset.passport.name))
        })?;
        entries.push(dcat_dataset(dataset, supplier, &version, &state.links));
    }
    let operator = suppliers.values().find(|s| s.supplier.member == state.access.metered_provider);
    let catalog = catalog(&state.links, operator, entries);
    let mut out = Vec::new();
    let written = match syntax {
        Syntax::Turtle => write_turtle(&catalog, &mut out),
        Syntax::JsonLd => write_jsonld(&catalog, &mut out),
    };
    written.map_err(|e| OpendataError::Corrupt(format!("dcat: {e}")))?;
    Ok((out, if syntax == Syntax::Turtle { TURTLE_MEDIA_TYPE } else { JSONLD_MEDIA_TYPE }))
}

/// The catalogue, published by the portal's operator (the supplier registered for `access.metered_provider`,
/// or the portal itself when there is none).
fn catalog(links: &Links, operator: Option<&SupplierRecord>, datasets: Vec<DcatDataset>) -> DcatCatalog {
    let base = links.base();
    let (publisher_name, publisher_uri) = match operator {
        Some(operator) => (operator.supplier.title.clone(), links.supplier(&operator.supplier.name)),
        None => (
            Multilingual::new("Ochiq ma'lumotlar portali", "Портал открытых данных", "Open Data Portal"),
            base.to_owned(),
        ),
    };
    DcatCatalog {
        uri: format!("{base}/catalog"),
        title: Multilingual::new("Ochiq ma'lumotlar portali", "Портал открытых данных", "Open Data Portal"),
        description: Multilingual::new(
            "Davlat ochiq ma'lumotlari: bepul, mashinada o'qiladigan, uch tilda",
            "Открытые государственные данные: бесплатно, в машиночитаемом виде, на трёх языках",
            "Open government data: free, machine-readable, in three languages",
        ),
        homepage: format!("{base}/"),
        publisher_name,
        publisher_uri,
        datasets,
    }
}

/// One published data set with its current version's distributions.
fn dcat_dataset(
    dataset: &DatasetRecord,
    supplier: &SupplierRecord,
    version: &VersionRecord,
    links: &Links,
) -> DcatDataset {
    let passport = &dataset.passport;
    let name = &passport.name;
    let keywords = [("uz", &passport.keywords.uz), ("ru", &passport.keywords.ru), ("en", &passport.keywords.en)]
        .into_iter()
        .flat_map(|(language, words)| words.iter().map(move |w| (language.to_owned(), w.clone())))
        .collect();
    let license_url = license(&passport.license_id).map(|l| l.url.to_owned());
    let distributions = version
        .resources
        .iter()
        .map(|resource| {
            let format = resource.format;
            let upper = format.as_str().to_uppercase();
            DcatDistribution {
                uri: format!("{}#{}", version_url(links, name, version.number), format.extension()),
                title: Multilingual::new(
                    format!("{} ({upper})", passport.title.uz),
                    format!("{} ({upper})", passport.title.ru),
                    format!("{} ({upper})", passport.title.en),
                ),
                access_url: links.dataset(name),
                download_url: Some(links.download(name, version.number, format.extension())),
                media_type: format.media_type().to_owned(),
                format: upper,
                byte_size: (format == TabularFormat::Csv).then_some(version.bytes),
                license: license_url.clone(),
            }
        })
        .collect();
    DcatDataset {
        uri: links.dataset(name),
        identifier: name.clone(),
        title: passport.title.clone(),
        description: passport.description.clone(),
        keywords,
        publisher_name: supplier.supplier.title.clone(),
        publisher_uri: links.supplier(&supplier.supplier.name),
        contact_email: Some(supplier.supplier.responsible.email.clone()).filter(|e| !e.is_empty()),
        issued: dataset.first_published_at,
        modified: dataset.last_changed_at,
        accrual_periodicity: Some(passport.update_frequency.eu_uri().to_owned()),
        landing_page: Some(links.dataset(name)),
        version: Some(version.number.to_string()),
        previous_version_uri: (version.number > 1).then(|| version_url(links, name, version.number - 1)),
        distributions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ckan::package::tests::{dataset, supplier, version};

    #[test]
    fn a_data_set_links_its_publisher_distributions_and_previous_version() {
        let links = Links::new("https://data.egov.uz");
        let value = dcat_dataset(&dataset(), &supplier(), &version(), &links);
        assert_eq!(value.uri, "https://data.egov.uz/dataset/aholi-soni");
        assert_eq!(value.publisher_uri, "https://data.egov.uz/organization/stat");
        assert_eq!(value.previous_version_uri.as_deref(), Some("https://data.egov.uz/dataset/aholi-soni/version/2"));
        assert_eq!(value.distributions.len(), 4);
        assert_eq!(value.distributions[0].byte_size, Some(512));
        assert_eq!(value.distributions[3].byte_size, None);
        assert_eq!(
            value.distributions[1].download_url.as_deref(),
            Some("https://data.egov.uz/dataset/aholi-soni/version/3/data.json")
        );
        assert_eq!(
            value.keywords,
            vec![("uz".to_owned(), "aholi".to_owned()), ("ru".to_owned(), "население".to_owned())]
        );
        let mut out = Vec::new();
        write_turtle(&catalog(&links, Some(&supplier()), vec![value]), &mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("dcat:previousVersion <https://data.egov.uz/dataset/aholi-soni/version/2>"), "{text}");
    }
}
