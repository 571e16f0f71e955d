//! The registry's open HTTP endpoint (REG-1 p. 19: the Unified Registry is public, 24/7; REQUIREMENTS 2.4: bulk
//! export including history). No authentication: everything here is public by law. Served on its own listener
//! (`public_http.listen`) so that it can be exposed without exposing the gRPC administration API.
//!
//! | route | body |
//! |---|---|
//! | `GET /public/v1/public-services.json[?history=true]` | every entry, abolished included ([`json`]) |
//! | `GET /public/v1/public-services.csv[?history=true]` | one row per entry, or per version with history ([`csv`]) |
//! | `GET /public/v1/public-services/{number}.json` | one entry with its history; 404 for an unknown number |
//! | `GET /public/v1/web-services.json`, `.csv` | the catalogue of web services |

pub mod csv;
pub mod json;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::RegistryError;
use crate::repository::Repository;
use koprik_proto::public_catalogue;

const JSON: &str = "application/json; charset=utf-8";
const CSV: &str = "text/csv; charset=utf-8";

/// Serves the public routes on `listener` until `shutdown`.
pub async fn serve(repository: Repository, listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
    axum::serve(listener, router(repository)).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

/// The public routes.
pub fn router(repository: Repository) -> Router {
    Router::new()
        .route("/public/v1/public-services.json", get(entries_json))
        .route("/public/v1/public-services.csv", get(entries_csv))
        .route("/public/v1/public-services/{file}", get(entry_json))
        .route("/public/v1/web-services.json", get(web_services_json))
        .route("/public/v1/web-services.csv", get(web_services_csv))
        .with_state(repository)
}

/// Whether the query string asks for history (`history=true` or `history=1`).
fn wants_history(query: Option<&str>) -> bool {
    query.unwrap_or_default().split('&').any(|pair| matches!(pair, "history=true" | "history=1"))
}

fn body(content_type: &'static str, text: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], text).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, JSON)], serde_json::json!({ "error": message }).to_string()).into_response()
}

/// Errors as JSON: unknown entries are 404, anything else is logged and a generic 500.
fn failure(e: RegistryError) -> Response {
    match e {
        RegistryError::NotFound { .. } => error(StatusCode::NOT_FOUND, &e.to_string()),
        other => {
            tracing::error!(error = %other, "public export failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error in the registry")
        }
    }
}

async fn entries_json(State(repository): State<Repository>, RawQuery(query): RawQuery) -> Response {
    match repository.export_public_services(wants_history(query.as_deref())).await {
        Ok(entries) => body(JSON, json::entries(&entries).to_string()),
        Err(e) => failure(e),
    }
}

async fn entries_csv(State(repository): State<Repository>, RawQuery(query): RawQuery) -> Response {
    let with_history = wants_history(query.as_deref());
    let written = match repository.export_public_services(with_history).await {
        Ok(entries) => csv::entries(&entries, with_history),
        Err(e) => return failure(e),
    };
    match written {
        Ok(text) => body(CSV, text),
        Err(e) => failure(RegistryError::FailedPrecondition(format!("writing CSV: {e}"))),
    }
}

async fn entry_json(State(repository): State<Repository>, Path(file): Path<String>) -> Response {
    let Some(number) = file.strip_suffix(".json").and_then(|n| n.parse::<u64>().ok()).filter(|n| *n > 0) else {
        return error(StatusCode::NOT_FOUND, &format!("no such document: {file} (expected <number>.json)"));
    };
    match repository.public_service_history(number).await {
        Ok(history) => match &history.entry {
            Some(entry) => body(JSON, json::entry(entry, Some(&history)).to_string()),
            None => failure(RegistryError::NotFound { kind: "public service", id: number.to_string() }),
        },
        Err(e) => failure(e),
    }
}

async fn web_services_json(State(repository): State<Repository>) -> Response {
    match repository.all_web_services().await {
        Ok(services) => {
            let shown: Vec<_> = services.iter().map(public_catalogue::public_view).collect();
            body(JSON, json::web_services(&shown).to_string())
        }
        Err(e) => failure(e),
    }
}

async fn web_services_csv(State(repository): State<Repository>) -> Response {
    let services = match repository.all_web_services().await {
        Ok(services) => services,
        Err(e) => return failure(e),
    };
    let shown: Vec<_> = services.iter().map(public_catalogue::public_view).collect();
    match csv::web_services(&shown) {
        Ok(text) => body(CSV, text),
        Err(e) => failure(RegistryError::FailedPrecondition(format!("writing CSV: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_asked_for_explicitly() {
        assert!(wants_history(Some("history=true")));
        assert!(wants_history(Some("a=b&history=1")));
        assert!(!wants_history(Some("history=false")));
        assert!(!wants_history(None));
    }
}
