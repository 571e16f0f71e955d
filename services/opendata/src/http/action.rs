//! The Action API endpoint: `GET` or `POST /api/3/action/<action>` (also `/api/action/<action>`, which
//! `ckanapi` calls, and API versions 1 and 2, which CKAN serves the same way). Parameters come from the query
//! string and the body ([`Params`]); the answer is CKAN's envelope.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::HttpState;
use crate::ckan::actions;
use crate::ckan::envelope::{ckan_error, ckan_success, help_url, plain_error, ApiError};
use crate::ckan::params::Params;
use crate::error::OpendataError;

/// The API versions CKAN answers the Action API under.
const VERSIONS: [&str; 3] = ["1", "2", "3"];

/// `/api/{version}/action/{action}` and `/api/action/{action}`.
pub async fn action(
    State(state): State<HttpState>,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(version) = path.get("version") {
        if !VERSIONS.contains(&version.as_str()) {
            return plain_error(&OpendataError::NotFound(format!("API version {version:?}")).into());
        }
    }
    let action = path.get("action").map(String::as_str).unwrap_or_default();
    let help = help_url(&state.links, action);
    if !actions::is_known(action) {
        return ckan_error(&help, &ApiError::BadRequest(format!("Action name not known: {action}")));
    }
    let mut params = match Params::from_query(query.as_deref().unwrap_or_default()) {
        Ok(params) => params,
        Err(error) => return ckan_error(&help, &error),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match Params::from_body(content_type, &body) {
        Ok(from_body) => params.merge(from_body),
        Err(error) => return ckan_error(&help, &error),
    }
    match actions::call(&state, action, &params).await {
        Ok(result) => ckan_success(&help, result),
        Err(error) => ckan_error(&help, &error),
    }
}

/// `/api`: CKAN's default API version.
pub async fn api_root() -> Response {
    Json(json!({ "version": 1 })).into_response()
}

/// `/api/{version}`: the API version, as CKAN answers.
pub async fn api_version(Path(version): Path<String>) -> Response {
    match version.parse::<u8>() {
        Ok(number) if VERSIONS.contains(&version.as_str()) => Json(json!({ "version": number })).into_response(),
        _ => plain_error(&OpendataError::NotFound(format!("API version {version:?}")).into()),
    }
}
