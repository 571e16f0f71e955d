//! Who may use the API how much (OD §8, §21), as a middleware over every route.
//!
//! - A request with an API key (CKAN clients send it raw or as `Bearer <key>` in `Authorization`; `ckanapi` also
//!   sends `X-CKAN-API-Key`) must carry a live key, else it is refused with an Authorization Error (403). A keyed
//!   request is not rate-limited; once answered (unless the portal failed, 5xx) it becomes a usage record on
//!   `exchange.usage`, written through the outbox, that billing prices under the key's contract. If the record
//!   cannot be written the answer is withheld (500): contract use is never served unbilled. The response carries
//!   the record's request id in `X-Request-Id`, for reconciling invoices.
//! - An anonymous request counts against its client address ([`super::client_ip`]) in the replica's
//!   [`RateLimiter`]; over the limit it is refused with 429 and `Retry-After`.
//!
//! Refusals have the CKAN envelope on the Action API and the plain JSON error elsewhere.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use koprik_proto::ids::{ServiceId, SubsystemId};

use super::client_ip::client_ip;
use super::rate_limit::{RateLimiter, MAX_CLIENTS};
use super::HttpState;
use crate::ckan::envelope::{ckan_error, help_url, plain_error, ApiError};
use crate::commercial_access::usage_record;
use crate::error::OpendataError;

/// The header carrying the metered request's id.
pub const REQUEST_ID: &str = "x-request-id";

/// The middleware's state.
pub struct Access {
    state: HttpState,
    limiter: RateLimiter,
    /// `access.metered_service`, parsed once; `None` when the configuration holds no service id (keyed requests
    /// then fail, logged, rather than go unbilled).
    service: Option<ServiceId>,
}

impl Access {
    /// Access rules from the state's configuration.
    pub fn new(state: HttpState) -> Self {
        let service = match state.access.metered_service.parse::<ServiceId>() {
            Ok(service) => Some(service),
            Err(error) => {
                tracing::error!(%error, service = %state.access.metered_service, "access.metered_service is not a service id; keyed requests will fail");
                None
            }
        };
        let limiter = RateLimiter::new(state.access.anonymous_per_minute, MAX_CLIENTS);
        Self { state, limiter, service }
    }
}

/// The action a CKAN Action API path names (`/api/action/<a>`, `/api/<version>/action/<a>`).
pub fn action_of(path: &str) -> Option<&str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "action", action] | ["api", _, "action", action] => Some(action),
        _ => None,
    }
}

/// The API key a request presents, if any (an empty or unreadable header is a key that will not be found).
fn presented_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::AUTHORIZATION).or_else(|| headers.get("x-ckan-api-key"))?;
    let text = value.to_str().unwrap_or_default().trim();
    let secret = match text.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => text,
    };
    Some(secret.to_owned())
}

fn refuse(state: &HttpState, path: &str, error: ApiError) -> Response {
    match action_of(path) {
        Some(action) => ckan_error(&help_url(&state.links, action), &error),
        None => plain_error(&error),
    }
}

/// The middleware.
pub async fn guard(State(access): State<Arc<Access>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    match presented_key(request.headers()) {
        Some(secret) => keyed(&access, &path, &secret, request, next).await,
        None => anonymous(&access, &path, request, next).await,
    }
}

async fn keyed(access: &Access, path: &str, secret: &str, request: Request, next: Next) -> Response {
    let state = &access.state;
    let key = match state.repository.api_key_by_secret(secret).await {
        Ok(key) => key,
        Err(error) => return refuse(state, path, error.into()),
    };
    let Some(service) = &access.service else {
        return refuse(state, path, OpendataError::Corrupt("access.metered_service is not a service id".into()).into());
    };
    let consumer: SubsystemId = match key.consumer.parse() {
        Ok(consumer) => consumer,
        Err(error) => {
            let error = OpendataError::Corrupt(format!("API key {} consumer: {error}", key.id));
            return refuse(state, path, error.into());
        }
    };
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut response = next.run(request).await;
    if response.status().is_server_error() {
        return response;
    }
    let usage = usage_record(
        &request_id,
        &consumer,
        &key.contract_reference,
        service,
        service.provider(),
        Utc::now(),
        &state.replica,
    );
    if let Err(error) = state.repository.meter(&usage).await {
        return refuse(state, path, error.into());
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

async fn anonymous(access: &Access, path: &str, request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = client_ip(peer, forwarded);
    match access.limiter.check(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry_after_secs) => {
            let error = OpendataError::RateLimited { per_minute: access.limiter.per_minute(), retry_after_secs };
            refuse(&access.state, path, error.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_paths_are_recognised_in_every_api_version() {
        assert_eq!(action_of("/api/3/action/package_show"), Some("package_show"));
        assert_eq!(action_of("/api/action/package_list"), Some("package_list"));
        assert_eq!(action_of("/api/koprik/v1/statistics"), None);
        assert_eq!(action_of("/dataset/x/data.csv"), None);
    }

    #[test]
    fn keys_are_read_raw_or_as_bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_key(&headers), None);
        headers.insert("x-ckan-api-key", HeaderValue::from_static("koprik_od_b"));
        assert_eq!(presented_key(&headers).as_deref(), Some("koprik_od_b"));
        headers.insert("authorization", HeaderValue::from_static("Bearer koprik_od_a"));
        assert_eq!(presented_key(&headers).as_deref(), Some("koprik_od_a"));
        headers.insert("authorization", HeaderValue::from_static("koprik_od_c"));
        assert_eq!(presented_key(&headers).as_deref(), Some("koprik_od_c"));
        headers.insert("authorization", HeaderValue::from_static(""));
        assert_eq!(presented_key(&headers).as_deref(), Some(""));
    }
}
