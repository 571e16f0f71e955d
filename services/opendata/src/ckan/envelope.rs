//! CKAN's response envelope, and the one place every portal error becomes an HTTP status and a body.
//!
//! On the Action API an answer is `{"help": "<base>/api/3/action/help_show?name=<action>", "success": true,
//! "result": ...}`; a failure has `"success": false` and an `error` object typed the way CKAN 2.10 types it
//! (`Not Found Error` 404, `Validation Error` 409 with `{"<field>": ["<message>"]}`, `Authorization Error` 403,
//! `Internal Server Error` 500; a request beyond a bound of the HTTP API is a `Validation Error` keyed by the part
//! named, with the status HTTP has for it: 408, 413, 414 or 431). A malformed request (an unknown action, an
//! undecodable body) is, as in CKAN, a 400 whose body is just the JSON string `"Bad request - <why>"`. Everywhere
//! else (downloads, DCAT, feedback) an error is `{"error": {"field": ..., "message": ...}}`, with 400 for a bad
//! field. Internal errors are logged here with their detail; the caller only learns that something failed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::error::OpendataError;
use crate::wire::Links;

/// An error of the public HTTP API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The portal refused or failed.
    #[error(transparent)]
    Portal(#[from] OpendataError),
    /// The request cannot be understood at all (CKAN's "Bad request - ...").
    #[error("Bad request - {0}")]
    BadRequest(String),
    /// A part of the request beyond one of the HTTP API's bounds ([`crate::http::limits`]): the URL (414), a
    /// header (431), the body (413) or the time to send it (408). Shaped as a Validation Error naming the part.
    #[error("{field}: {rule}")]
    Limit {
        /// 408, 413, 414 or 431.
        status: StatusCode,
        /// The part: `url`, a header's name, `headers`, `body`.
        field: String,
        /// The bound, e.g. "must be at most 8192 bytes".
        rule: String,
    },
}

impl ApiError {
    /// A field error (CKAN's Validation Error, a 400 elsewhere).
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Portal(OpendataError::invalid(field, message))
    }
}

/// What kind of failure an error is, decided once for both shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A parameter breaks a rule.
    Validation { field: String, message: String },
    /// The request is well-formed but the state does not allow it.
    Conflict(String),
    /// Nothing by that name (or not published).
    NotFound(String),
    /// A bad API key.
    Forbidden(String),
    /// The anonymous rate limit is used up.
    RateLimited { message: String, retry_after_secs: u64 },
    /// The replica is busy with this kind of work.
    Busy { message: String, retry_after_secs: u64 },
    /// The request cannot be understood.
    BadRequest(String),
    /// A part of the request is beyond a bound of the HTTP API.
    Limit { status: StatusCode, field: String, message: String },
    /// A bug or an outage; logged, never shown.
    Internal,
}

fn classify(error: &ApiError) -> Kind {
    let error = match error {
        ApiError::BadRequest(why) => return Kind::BadRequest(format!("Bad request - {why}")),
        ApiError::Limit { status, field, rule } => {
            return Kind::Limit { status: *status, field: field.clone(), message: rule.clone() }
        }
        ApiError::Portal(error) => error,
    };
    match error {
        OpendataError::Invalid { field, rule } => Kind::Validation { field: field.clone(), message: rule.clone() },
        OpendataError::NotFound(_) => Kind::NotFound(error.to_string()),
        OpendataError::AlreadyExists(_) | OpendataError::FailedPrecondition(_) | OpendataError::Refused(_) => {
            Kind::Conflict(error.to_string())
        }
        OpendataError::BadApiKey => Kind::Forbidden(error.to_string()),
        OpendataError::RateLimited { retry_after_secs, .. } => {
            Kind::RateLimited { message: error.to_string(), retry_after_secs: *retry_after_secs }
        }
        OpendataError::Busy { retry_after_secs, .. } => {
            Kind::Busy { message: error.to_string(), retry_after_secs: *retry_after_secs }
        }
        OpendataError::Database(_) | OpendataError::Storage(_) | OpendataError::Corrupt(_) => {
            tracing::error!(%error, "http request failed");
            Kind::Internal
        }
    }
}

/// The `help` link of an action: `<base>/api/3/action/help_show?name=<action>`.
pub fn help_url(links: &Links, action: &str) -> String {
    let name: String = action
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'_' { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect();
    format!("{}/api/3/action/help_show?name={name}", links.base())
}

/// A successful action: 200 with the envelope around `result`.
pub fn ckan_success(help: &str, result: Value) -> Response {
    Json(json!({ "help": help, "success": true, "result": result })).into_response()
}

/// A failed action, shaped as CKAN 2.10 shapes it.
pub fn ckan_error(help: &str, error: &ApiError) -> Response {
    let kind = classify(error);
    let (status, body) = ckan_body(help, &kind);
    finish(status, body, &kind)
}

fn ckan_body(help: &str, kind: &Kind) -> (StatusCode, Value) {
    let typed = |status: StatusCode, error: Value| (status, json!({ "help": help, "success": false, "error": error }));
    match kind {
        Kind::Validation { field, message } => {
            let mut error = Map::new();
            error.insert("__type".into(), json!("Validation Error"));
            error.insert(field.clone(), json!([message]));
            typed(StatusCode::CONFLICT, Value::Object(error))
        }
        Kind::Conflict(message) => {
            typed(StatusCode::CONFLICT, json!({ "__type": "Validation Error", "message": message }))
        }
        Kind::NotFound(message) => typed(
            StatusCode::NOT_FOUND,
            json!({ "__type": "Not Found Error", "message": format!("Not found: {message}") }),
        ),
        Kind::Forbidden(message) => typed(
            StatusCode::FORBIDDEN,
            json!({ "__type": "Authorization Error", "message": format!("Access denied: {message}") }),
        ),
        Kind::RateLimited { message, .. } => {
            typed(StatusCode::TOO_MANY_REQUESTS, json!({ "__type": "Rate Limit Error", "message": message }))
        }
        Kind::Busy { message, .. } => {
            typed(StatusCode::SERVICE_UNAVAILABLE, json!({ "__type": "Service Unavailable", "message": message }))
        }
        Kind::BadRequest(message) => (StatusCode::BAD_REQUEST, json!(message)),
        Kind::Limit { status, field, message } => {
            let mut error = Map::new();
            error.insert("__type".into(), json!("Validation Error"));
            error.insert(field.clone(), json!([message]));
            typed(*status, Value::Object(error))
        }
        Kind::Internal => typed(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "__type": "Internal Server Error", "message": "Internal Server Error" }),
        ),
    }
}

/// A failure outside the Action API: `{"error": {"field"?, "message"}}`.
pub fn plain_error(error: &ApiError) -> Response {
    let kind = classify(error);
    let (status, body) = plain_body(&kind);
    finish(status, body, &kind)
}

fn plain_body(kind: &Kind) -> (StatusCode, Value) {
    let message = |status: StatusCode, message: &str| (status, json!({ "error": { "message": message } }));
    match kind {
        Kind::Validation { field, message } => {
            (StatusCode::BAD_REQUEST, json!({ "error": { "field": field, "message": message } }))
        }
        Kind::Conflict(text) => message(StatusCode::CONFLICT, text),
        Kind::NotFound(text) => message(StatusCode::NOT_FOUND, text),
        Kind::Forbidden(text) => message(StatusCode::FORBIDDEN, text),
        Kind::RateLimited { message: text, .. } => message(StatusCode::TOO_MANY_REQUESTS, text),
        Kind::Busy { message: text, .. } => message(StatusCode::SERVICE_UNAVAILABLE, text),
        Kind::BadRequest(text) => message(StatusCode::BAD_REQUEST, text),
        Kind::Limit { status, field, message } => (*status, json!({ "error": { "field": field, "message": message } })),
        Kind::Internal => message(StatusCode::INTERNAL_SERVER_ERROR, "internal error; it has been logged"),
    }
}

fn finish(status: StatusCode, body: Value, kind: &Kind) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Kind::RateLimited { retry_after_secs, .. } | Kind::Busy { retry_after_secs, .. } = kind {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELP: &str = "https://data.egov.uz/api/3/action/help_show?name=package_show";

    async fn body(response: Response) -> (StatusCode, Value, Option<String>) {
        let status = response.status();
        let retry = response.headers().get(header::RETRY_AFTER).map(|v| v.to_str().expect("ascii").to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a body");
        (status, serde_json::from_slice(&bytes).expect("json"), retry)
    }

    #[tokio::test]
    async fn success_wraps_the_result_with_its_help_link() {
        let (status, value, _) = body(ckan_success(HELP, json!(["a"]))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(value, json!({ "help": HELP, "success": true, "result": ["a"] }));
    }

    #[tokio::test]
    async fn not_found_is_a_404_not_found_error() {
        let error = ApiError::from(OpendataError::NotFound("data set \"x\"".into()));
        let (status, value, _) = body(ckan_error(HELP, &error)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(value["success"], json!(false));
        assert_eq!(value["help"], json!(HELP));
        assert_eq!(
            value["error"],
            json!({ "__type": "Not Found Error", "message": "Not found: data set \"x\" not found" })
        );
    }

    #[tokio::test]
    async fn a_bad_field_is_a_409_validation_error_keyed_by_the_field() {
        let (status, value, _) = body(ckan_error(HELP, &ApiError::invalid("sort", "cannot sort by \"x\""))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(value["error"], json!({ "__type": "Validation Error", "sort": ["cannot sort by \"x\""] }));
        let (status, value, _) = body(plain_error(&ApiError::invalid("body", "is required"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(value, json!({ "error": { "field": "body", "message": "is required" } }));
    }

    #[tokio::test]
    async fn a_bad_key_is_a_403_authorization_error() {
        let (status, value, _) = body(ckan_error(HELP, &OpendataError::BadApiKey.into())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(value["error"]["__type"], json!("Authorization Error"));
        assert!(value["error"]["message"].as_str().expect("text").starts_with("Access denied: "));
    }

    #[tokio::test]
    async fn the_rate_limit_is_a_429_with_retry_after_in_both_shapes() {
        let error = ApiError::from(OpendataError::RateLimited { per_minute: 60, retry_after_secs: 7 });
        let (status, value, retry) = body(ckan_error(HELP, &error)).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("7")));
        assert_eq!(value["success"], json!(false));
        let (status, value, retry) = body(plain_error(&error)).await;
        assert_eq!((status, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("7")));
        assert!(value["error"]["message"].as_str().expect("text").contains("60 requests per minute"));
    }

    #[tokio::test]
    async fn an_unknown_action_is_a_400_plain_string_as_in_ckan() {
        let error = ApiError::BadRequest("Action name not known: x".into());
        let (status, value, _) = body(ckan_error(HELP, &error)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(value, json!("Bad request - Action name not known: x"));
    }

    #[tokio::test]
    async fn internal_errors_hide_their_detail() {
        let error = ApiError::from(OpendataError::Corrupt("secret table detail".into()));
        let (status, value, _) = body(ckan_error(HELP, &error)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(value["error"], json!({ "__type": "Internal Server Error", "message": "Internal Server Error" }));
        let (_, value, _) = body(plain_error(&error)).await;
        assert!(!value.to_string().contains("secret"));
    }

    #[test]
    fn help_links_escape_odd_action_names() {
        let links = Links::new("https://data.egov.uz");
        assert_eq!(help_url(&links, "package_show"), HELP);
        assert_eq!(help_url(&links, "a&b"), "https://data.egov.uz/api/3/action/help_show?name=a%26b");
    }
}
