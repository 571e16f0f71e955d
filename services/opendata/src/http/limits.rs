//! The bounds of the public HTTP API on what a request may carry, checked before any handler reads it. Nobody
//! needs a key or a certificate to call the API, so every part of a request is untrusted, and a request beyond a
//! bound is answered at once with the status HTTP has for it and a body naming the part and the bound (CKAN's
//! envelope on the Action API, the plain JSON error elsewhere):
//!
//! | Part | Bound | Answer |
//! |---|---|---|
//! | URL (path and query) | [`MAX_URL_BYTES`] | 414 |
//! | one header (name and value) | [`MAX_HEADER_BYTES`] | 431 |
//! | all headers | [`MAX_HEADERS_BYTES`] | 431 |
//! | body | [`MAX_BODY_BYTES`] | 413 |
//! | time to send the body | [`BODY_TIMEOUT`] | 408 |
//! | bodies being received at once (per replica) | [`MAX_BODIES_IN_FLIGHT`] | 503 with `Retry-After` |
//!
//! The URL and header bounds are nginx's defaults (`large_client_header_buffers 4 8k`), so the portal refuses
//! nothing the cluster's ingress lets through, and answers clearly when it is reached directly. Before these
//! checks hyper itself refuses more than 100 headers or a header block above about 400 KB (431, no body).
//! Parameters inside the URL or body have bounds of their own ([`crate::ckan::params`],
//! [`crate::ckan::search_query`], the feedback fields).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt as _;
use tokio::sync::Semaphore;

use super::access::action_of;
use super::HttpState;
use crate::ckan::envelope::{ckan_error, help_url, plain_error, ApiError};
use crate::error::OpendataError;

/// The longest URL (path and query string), in bytes.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// The longest header line (name and value), in bytes.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// All headers together (names and values), in bytes.
pub const MAX_HEADERS_BYTES: usize = 32 * 1024;

/// The largest request body, in bytes. The API's bodies are an action's parameters (CKAN clients post a small
/// JSON object) and users' messages and proposals (at most about 30 KB of text in the longest UTF-8).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client may take to send a whole body once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many request bodies one replica receives at once: at most [`MAX_BODY_BYTES`] each, so at most 16 MiB held
/// for bodies whatever the number of connections.
pub const MAX_BODIES_IN_FLIGHT: usize = 256;

/// What the body check shares.
pub struct BodyLimits {
    state: HttpState,
    /// Permits for bodies being received; a request that finds none is told to retry.
    in_flight: Arc<Semaphore>,
}

impl BodyLimits {
    /// The body bounds, answering with `state`'s links.
    pub fn new(state: HttpState) -> Self {
        Self { state, in_flight: Arc::new(Semaphore::new(MAX_BODIES_IN_FLIGHT)) }
    }
}

/// A refusal, shaped for the route asked.
fn refuse(state: &HttpState, path: &str, error: &ApiError) -> Response {
    match action_of(path) {
        Some(action) => ckan_error(&help_url(&state.links, action), error),
        None => plain_error(error),
    }
}

fn limit(status: StatusCode, field: impl Into<String>, rule: String) -> ApiError {
    ApiError::Limit { status, field: field.into(), rule }
}

/// The URL and header bounds: None when the request is within them.
pub fn head_error(uri: &Uri, headers: &HeaderMap) -> Option<ApiError> {
    let url_bytes = uri.path_and_query().map_or(0, |p| p.as_str().len());
    if url_bytes > MAX_URL_BYTES {
        return Some(limit(
            StatusCode::URI_TOO_LONG,
            "url",
            format!("is {url_bytes} bytes long; at most {MAX_URL_BYTES} bytes are allowed"),
        ));
    }
    let mut total = 0usize;
    for (name, value) in headers {
        let bytes = name.as_str().len() + value.len();
        if bytes > MAX_HEADER_BYTES {
            return Some(limit(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                name.as_str(),
                format!("header is {bytes} bytes long; at most {MAX_HEADER_BYTES} bytes are allowed"),
            ));
        }
        total += bytes;
    }
    if total > MAX_HEADERS_BYTES {
        return Some(limit(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers",
            format!("are {total} bytes together; at most {MAX_HEADERS_BYTES} bytes are allowed"),
        ));
    }
    None
}

/// The middleware checking the URL and the headers: outermost, before API keys are looked up or the rate limit
/// is counted.
pub async fn head(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    match head_error(request.uri(), request.headers()) {
        Some(error) => {
            tracing::debug!(%error, "request refused at the http bounds");
            refuse(&state, request.uri().path(), &error)
        }
        None => next.run(request).await,
    }
}

fn too_large() -> ApiError {
    limit(StatusCode::PAYLOAD_TOO_LARGE, "body", format!("must be at most {MAX_BODY_BYTES} bytes"))
}

/// Reads a whole body of at most [`MAX_BODY_BYTES`], refusing it as soon as it is longer.
async fn read_bounded(body: Body) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        if buffer.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

/// The middleware reading the body within its bounds (size, time, bodies at once): innermost, after the rate
/// limit, so that a client over its limit is not even read. Handlers get the body already in memory.
pub async fn body(State(limits): State<Arc<BodyLimits>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return refuse(&limits.state, &path, &too_large());
    }
    let (parts, body) = request.into_parts();
    let Ok(permit) = limits.in_flight.try_acquire() else {
        let busy = OpendataError::Busy {
            what: format!("{MAX_BODIES_IN_FLIGHT} request bodies are being received by this server"),
            retry_after_secs: 1,
        };
        return refuse(&limits.state, &path, &busy.into());
    };
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, read_bounded(body)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return refuse(&limits.state, &path, &error),
        Err(_) => {
            let slow = limit(
                StatusCode::REQUEST_TIMEOUT,
                "body",
                format!("must arrive within {} seconds", BODY_TIMEOUT.as_secs()),
            );
            return refuse(&limits.state, &path, &slow);
        }
    };
    drop(permit);
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().expect("a uri")
    }

    fn field_and_status(error: Option<ApiError>) -> (String, StatusCode) {
        match error {
            Some(ApiError::Limit { status, field, .. }) => (field, status),
            other => panic!("not a limit: {other:?}"),
        }
    }

    #[test]
    fn a_url_at_the_bound_passes_and_one_byte_more_is_a_414_naming_the_url() {
        let at = format!("/api/3/action/package_search?q={}", "a".repeat(MAX_URL_BYTES - 31));
        assert_eq!(at.len(), MAX_URL_BYTES);
        assert!(head_error(&uri(&at), &HeaderMap::new()).is_none());
        let over = format!("{at}b");
        assert_eq!(
            field_and_status(head_error(&uri(&over), &HeaderMap::new())),
            ("url".into(), StatusCode::URI_TOO_LONG)
        );
    }

    #[test]
    fn a_long_header_or_too_many_header_bytes_are_a_431_naming_them() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(&"k".repeat(MAX_HEADER_BYTES)).expect("ascii"));
        assert_eq!(
            field_and_status(head_error(&uri("/api"), &headers)),
            ("authorization".into(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let mut headers = HeaderMap::new();
        for index in 0..5 {
            let value = HeaderValue::from_str(&"v".repeat(MAX_HEADER_BYTES - 10)).expect("ascii");
            headers.insert(axum::http::HeaderName::try_from(format!("x-h{index}")).expect("a name"), value);
        }
        assert_eq!(
            field_and_status(head_error(&uri("/api"), &headers)),
            ("headers".into(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
    }

    #[tokio::test]
    async fn a_body_is_read_up_to_its_bound_and_refused_beyond() {
        let fits = read_bounded(Body::from(vec![b'x'; MAX_BODY_BYTES])).await.expect("fits");
        assert_eq!(fits.len(), MAX_BODY_BYTES);
        let chunks = futures::stream::iter(
            (0..3).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; MAX_BODY_BYTES / 2 + 1]))),
        );
        match read_bounded(Body::from_stream(chunks)).await {
            Err(ApiError::Limit { status, field, .. }) => {
                assert_eq!((status, field.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "body"))
            }
            other => panic!("not refused: {other:?}"),
        }
    }
}
