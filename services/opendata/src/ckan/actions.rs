//! The Action API's read actions and their dispatch by name. Every action is read-only (CKAN's
//! "side-effect free", so GET and POST both work); writes happen over the portal's gRPC API.

use chrono::Utc;
use serde_json::{json, Value};

use super::envelope::ApiError;
use super::organization::{organization_list, organization_show};
use super::package::{resource, tag};
use super::package_search::package_search;
use super::params::Params;
use super::search_query::{DEFAULT_ROWS, MAX_ROWS};
use super::{lookup, CKAN_VERSION};
use crate::error::OpendataError;
use crate::http::HttpState;
use crate::repository::{SearchQuery, SortKey};

/// Every action, with the text `help_show` returns for it.
pub const ACTIONS: [(&str, &str); 11] = [
    ("package_list", "Return the names of the published data sets, alphabetically. Parameters: limit, offset."),
    ("package_show", "Return one published data set. Parameters: id (its id or name)."),
    (
        "package_search",
        "Search the published data sets. Parameters: q, fq, sort, rows (default 10, at most 1000), start, \
         facet.field, facet.limit.",
    ),
    (
        "current_package_list_with_resources",
        "Return data sets with their resources, most recently changed first. Parameters: limit, offset.",
    ),
    ("resource_show", "Return one resource (a version of a data set in one format). Parameters: id."),
    ("organization_list", "Return the suppliers. Parameters: all_fields, sort, limit, offset."),
    ("organization_show", "Return one supplier. Parameters: id, include_datasets."),
    ("tag_list", "Return the tags of published data sets. Parameters: query, all_fields."),
    ("status_show", "Return the portal's status and the CKAN version it imitates."),
    ("help_show", "Return the help text of an action. Parameters: name."),
    ("site_read", "Return true: the catalogue may be read."),
];

/// Runs `action` with `params`. An unknown action is a bad request, as in CKAN.
pub async fn call(state: &HttpState, action: &str, params: &Params) -> Result<Value, ApiError> {
    match action {
        "package_list" => package_list(state, params).await,
        "package_show" => package_show(state, params).await,
        "package_search" => package_search(state, params).await,
        "current_package_list_with_resources" => current_package_list_with_resources(state, params).await,
        "resource_show" => resource_show(state, params).await,
        "organization_list" => organization_list(state, params).await,
        "organization_show" => organization_show(state, params).await,
        "tag_list" => tag_list(state, params).await,
        "status_show" => Ok(status_show(state)),
        "help_show" => help_show(params),
        "site_read" => Ok(json!(true)),
        other => Err(ApiError::BadRequest(format!("Action name not known: {other}"))),
    }
}

/// Whether `action` is one the API serves.
pub fn is_known(action: &str) -> bool {
    ACTIONS.iter().any(|(name, _)| *name == action)
}

fn required_id(params: &Params) -> Result<String, ApiError> {
    params.text("id")?.filter(|id| !id.trim().is_empty()).ok_or_else(|| ApiError::invalid("id", "Missing value"))
}

fn page<T>(items: Vec<T>, offset: Option<u64>, limit: Option<u64>) -> impl Iterator<Item = T> {
    let offset = usize::try_from(offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    items.into_iter().skip(offset).take(limit)
}

async fn package_list(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let (limit, offset) = (params.natural("limit")?, params.offset("offset")?);
    let datasets = lookup::all_published(&state.repository, SortKey::Name { ascending: true }).await?;
    Ok(page(datasets, offset, limit).map(|d| json!(d.passport.name)).collect())
}

/// `package_show`: `id` (or CKAN's older `name_or_id`); counts a view of the data set.
async fn package_show(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let id = match params.text("name_or_id")? {
        Some(name_or_id) if params.raw("id").is_none() && !name_or_id.trim().is_empty() => name_or_id,
        _ => required_id(params)?,
    };
    let dataset = lookup::published(&state.repository, &id).await?;
    Ok(lookup::viewed_package(state, dataset).await?)
}

async fn current_package_list_with_resources(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let limit = params.natural("limit")?.unwrap_or(DEFAULT_ROWS).min(MAX_ROWS);
    let offset = params.offset("offset")?.unwrap_or(0);
    let query = SearchQuery {
        words: Vec::new(),
        suppliers: Vec::new(),
        tags: Vec::new(),
        format_offered: None,
        sort: SortKey::Modified { ascending: false },
        start: offset,
        rows: limit,
    };
    let found = state.repository.search(&query).await?;
    Ok(Value::Array(lookup::packages(state, &found.datasets, Utc::now()).await?))
}

async fn resource_show(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let id = required_id(params)?;
    let (dataset, version, _) = state.repository.resource(&id).await?;
    let dataset = lookup::published(&state.repository, &dataset.id).await?;
    let record = version
        .resources
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| OpendataError::Corrupt(format!("resource {id} is missing from its version")))?;
    Ok(resource(&dataset, &version, record, &state.links))
}

async fn tag_list(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let query = params.text("query")?.map(|q| q.to_lowercase());
    let all_fields = params.boolean("all_fields", false)?;
    let tags = state.repository.tags(query.as_deref()).await?;
    Ok(tags.iter().map(|name| if all_fields { tag(name) } else { json!(name) }).collect())
}

fn status_show(state: &HttpState) -> Value {
    json!({
        "site_title": "Ochiq ma'lumotlar portali",
        "site_url": state.links.base(),
        "site_description": "Ko'prik Open Data Portal: state data, free and machine-readable, in uz, ru and en.",
        "ckan_version": CKAN_VERSION,
        "error_emails_to": null,
        "locale_default": "uz",
        "extensions": ["koprik"],
    })
}

fn help_show(params: &Params) -> Result<Value, ApiError> {
    let name = params.text("name")?.ok_or_else(|| ApiError::invalid("name", "Missing value"))?;
    ACTIONS
        .iter()
        .find(|(action, _)| *action == name)
        .map(|(_, help)| json!(help))
        .ok_or_else(|| OpendataError::NotFound(format!("action function {name:?}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_covers_every_action() {
        for (name, _) in ACTIONS {
            let params = Params::from_query(&format!("name={name}")).expect("query");
            assert!(help_show(&params).is_ok(), "{name}");
            assert!(is_known(name));
        }
        assert!(!is_known("package_create"));
        assert!(matches!(
            help_show(&Params::from_query("name=x").expect("query")),
            Err(ApiError::Portal(OpendataError::NotFound(_)))
        ));
    }

    #[test]
    fn paging_skips_then_takes() {
        let items: Vec<u32> = page((0..10).collect(), Some(8), Some(5)).collect();
        assert_eq!(items, vec![8, 9]);
        assert_eq!(page(vec![1, 2], None, None).count(), 2);
    }
}
