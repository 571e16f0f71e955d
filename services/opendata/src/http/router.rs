//! The public HTTP API's routes, behind the bounds on requests and the access middleware. Serve the router with
//! `into_make_service_with_connect_info::<SocketAddr>()` so that anonymous clients are told apart by address.

use std::sync::Arc;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

use super::access::{self, Access};
use super::limits::{self, BodyLimits};
use super::{action, dataset_pages, dcat, downloads, feedback, statistics, HttpState};
use crate::ckan::envelope::plain_error;
use crate::error::OpendataError;

/// Every route of the public API, behind three layers, outermost first: the URL and header bounds
/// ([`limits::head`]), API keys and the anonymous rate limit ([`access::guard`]), the body bounds
/// ([`limits::body`]).
///
/// | Route | What |
/// |---|---|
/// | `GET/POST /api/3/action/{action}` (also `/api/action/...`, `/api/1|2/action/...`) | CKAN's Action API |
/// | `GET /api`, `GET /api/{version}` | the API version, as CKAN answers |
/// | `GET /dataset/{name}/version/{n}/data.{csv,json,xml,xlsx}` | one version's download |
/// | `GET /dataset/{name}/data.{ext}` | the current version's download |
/// | `GET /dataset/{name}/version/{n}` | one version (JSON), linking the one before |
/// | `GET /dataset/{name}/versions` | every version (JSON) |
/// | `GET /dataset/{name}/structure/{n}` | one structure version (JSON, OD Annex 3) |
/// | `GET /dataset/{name}` | the package dictionary (JSON) |
/// | `GET /catalog.ttl`, `/catalog.jsonld`, `/dataset/{name}.ttl`, `/dataset/{name}.jsonld` | DCAT |
/// | `POST /api/koprik/v1/datasets/{name}/messages` | a user's message to the supplier |
/// | `POST /api/koprik/v1/proposals` | a proposal for a new data set |
/// | `GET /api/koprik/v1/statistics`, `/api/koprik/v1/statistics.csv` | demand per data set |
pub fn router(state: HttpState) -> Router {
    let access = Arc::new(Access::new(state.clone()));
    let bodies = Arc::new(BodyLimits::new(state.clone()));
    Router::new()
        .route("/api", get(action::api_root))
        .route("/api/{version}", get(action::api_version))
        .route("/api/action/{action}", get(action::action).post(action::action))
        .route("/api/{version}/action/{action}", get(action::action).post(action::action))
        .route("/api/koprik/v1/datasets/{name}/messages", post(feedback::message))
        .route("/api/koprik/v1/proposals", post(feedback::proposal))
        .route("/api/koprik/v1/statistics", get(statistics::json))
        .route("/api/koprik/v1/statistics.csv", get(statistics::csv))
        .route("/catalog.ttl", get(dcat::catalog_turtle))
        .route("/catalog.jsonld", get(dcat::catalog_jsonld))
        .route("/dataset/{file}", get(dcat::dataset_document))
        .route("/dataset/{name}/versions", get(dataset_pages::versions))
        .route("/dataset/{name}/version/{number}", get(dataset_pages::version))
        .route("/dataset/{name}/version/{number}/{file}", get(downloads::version_file))
        .route("/dataset/{name}/structure/{number}", get(dataset_pages::structure))
        .route("/dataset/{name}/{file}", get(downloads::latest_file))
        .fallback(|| async { plain_error(&OpendataError::NotFound("this page".into()).into()) })
        // The last layer added runs first.
        .layer(middleware::from_fn_with_state(bodies, limits::body))
        .layer(middleware::from_fn_with_state(access, access::guard))
        .layer(middleware::from_fn_with_state(state.clone(), limits::head))
        .with_state(state)
}
