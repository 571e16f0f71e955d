//! A data set's own JSON documents beside the Action API: every structure version at its own link (OD Annex 3),
//! every version at its own link with the link to the one it replaced, and the list of all versions.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::json_io::rfc3339;
use super::HttpState;
use crate::ckan::envelope::{plain_error, ApiError};
use crate::ckan::lookup;
use crate::ckan::package::{translated, version_url, versions_url};
use crate::error::OpendataError;
use crate::repository::{StructureRecord, VersionRecord};
use crate::wire::Links;

fn number(text: &str, what: &str, name: &str) -> Result<u32, ApiError> {
    text.parse().map_err(|_| OpendataError::NotFound(format!("{what} {text:?} of {name:?}")).into())
}

/// A structure version as JSON.
fn structure_json(record: &StructureRecord, links: &Links) -> Value {
    let fields: Vec<Value> = record
        .structure
        .fields
        .iter()
        .map(|field| {
            json!({
                "name": field.name,
                "type": field.field_type.as_str(),
                "required": field.required,
                "title": translated(&field.title),
                "description": translated(&field.description),
                "unit": field.unit,
            })
        })
        .collect();
    json!({
        "dataset": record.dataset,
        "number": record.number,
        "url": links.structure(&record.dataset, record.number),
        "created": rfc3339(record.created_at),
        "fields": fields,
    })
}

/// A version as JSON, with its downloads and the links to its structure and the version before it.
pub fn version_json(record: &VersionRecord, links: &Links) -> Value {
    let name = &record.dataset;
    let resources: Vec<Value> = record
        .resources
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "format": r.format.as_str().to_uppercase(),
                "url": links.download(name, record.number, r.format.extension()),
            })
        })
        .collect();
    let previous = (record.number > 1).then(|| version_url(links, name, record.number - 1));
    json!({
        "id": record.id,
        "dataset": name,
        "number": record.number,
        "url": version_url(links, name, record.number),
        "structure_version": record.structure_version,
        "structure_url": links.structure(name, record.structure_version),
        "previous_version_id": record.previous_version_id,
        "previous_version_url": previous,
        "change_note": record.change_note,
        "rows": record.rows,
        "bytes": record.bytes,
        "sha256": record.sha256,
        "published": rfc3339(record.published_at),
        "resources": resources,
    })
}

/// `/dataset/{name}/structure/{number}`.
pub async fn structure(State(state): State<HttpState>, Path((name, number_text)): Path<(String, String)>) -> Response {
    let result = async {
        let number = number(&number_text, "structure version", &name)?;
        lookup::published_by_name(&state.repository, &name).await?;
        let record = state.repository.structure(&name, number).await?;
        Ok::<_, ApiError>(structure_json(&record, &state.links))
    };
    respond(result.await)
}

/// `/dataset/{name}/version/{number}`.
pub async fn version(State(state): State<HttpState>, Path((name, number_text)): Path<(String, String)>) -> Response {
    let result = async {
        let number = number(&number_text, "version", &name)?;
        let dataset = lookup::published_by_name(&state.repository, &name).await?;
        let record = state.repository.version(&dataset, number).await?;
        Ok::<_, ApiError>(version_json(&record, &state.links))
    };
    respond(result.await)
}

/// `/dataset/{name}/versions`: newest first.
pub async fn versions(State(state): State<HttpState>, Path(name): Path<String>) -> Response {
    let result = async {
        let dataset = lookup::published_by_name(&state.repository, &name).await?;
        let versions = state.repository.versions(&dataset).await?;
        Ok::<_, ApiError>(json!({
            "dataset": name,
            "url": versions_url(&state.links, &name),
            "current": dataset.version,
            "versions": versions.iter().map(|v| version_json(v, &state.links)).collect::<Vec<_>>(),
        }))
    };
    respond(result.await)
}

/// `/dataset/{name}` (the data set's landing link): the package dictionary as JSON; counts a view.
pub async fn package_document(state: &HttpState, name: &str) -> Response {
    let result = async {
        let dataset = lookup::published_by_name(&state.repository, name).await?;
        Ok::<_, ApiError>(lookup::viewed_package(state, dataset).await?)
    };
    respond(result.await)
}

fn respond(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(error) => plain_error(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ckan::package::tests::version;

    #[test]
    fn a_version_links_its_structure_its_downloads_and_its_predecessor() {
        let links = Links::new("https://data.egov.uz");
        let value = version_json(&version(), &links);
        assert_eq!(value["url"], json!("https://data.egov.uz/dataset/aholi-soni/version/3"));
        assert_eq!(value["previous_version_url"], json!("https://data.egov.uz/dataset/aholi-soni/version/2"));
        assert_eq!(value["structure_url"], json!("https://data.egov.uz/dataset/aholi-soni/structure/2"));
        assert_eq!(value["resources"][1]["url"], json!("https://data.egov.uz/dataset/aholi-soni/version/3/data.json"));
        let mut first = version();
        first.number = 1;
        assert_eq!(version_json(&first, &links)["previous_version_url"], Value::Null);
    }
}
