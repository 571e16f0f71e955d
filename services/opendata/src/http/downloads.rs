//! Downloads: `GET /dataset/{name}/version/{n}/data.{csv|json|xml|xlsx}` (one version, immutable) and
//! `GET /dataset/{name}/data.{ext}` (the current version).
//!
//! The stored canonical CSV is converted on a blocking thread straight into the response body
//! ([`super::body_stream`]), so memory stays flat for a gigabyte version. CSV is the stored file byte for byte,
//! with its `Content-Length`; the other formats are chunked. The `ETag` is the version's SHA-256 and the format,
//! so a client revalidating gets 304 without a conversion. A version too long for one worksheet is refused as
//! XLSX before anything is streamed. Every download (not a 304, not a HEAD) is counted for the demand statistics
//! (OD Annex 3).

use std::io::{self, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::body_stream;
use super::HttpState;
use crate::ckan::envelope::{plain_error, ApiError};
use crate::ckan::lookup;
use crate::error::OpendataError;
use crate::formats::{convert, Download, FormatError, TabularFormat, XLSX_MAX_ROWS};

/// `/dataset/{name}/version/{number}/{file}`.
pub async fn version_file(
    State(state): State<HttpState>,
    Path((name, number, file)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Ok(number) = number.parse::<u32>() else {
        return plain_error(&OpendataError::NotFound(format!("version {number:?} of {name:?}")).into());
    };
    download(&state, &name, Some(number), &file, &method, &headers).await.unwrap_or_else(|e| plain_error(&e))
}

/// `/dataset/{name}/{file}`: the current version.
pub async fn latest_file(
    State(state): State<HttpState>,
    Path((name, file)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    download(&state, &name, None, &file, &method, &headers).await.unwrap_or_else(|e| plain_error(&e))
}

/// The format a file name asks for: `data.<extension>`.
fn requested_format(file: &str) -> Option<TabularFormat> {
    file.strip_prefix("data.").and_then(TabularFormat::parse)
}

/// Digits in groups of three separated by spaces (`1 048 575`).
fn grouped(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

/// Refuses XLSX for a version longer than a worksheet, before anything is streamed.
fn check_xlsx_rows(rows: u64) -> Result<(), OpendataError> {
    if rows > XLSX_MAX_ROWS {
        return Err(OpendataError::FailedPrecondition(format!(
            "this version has {} rows; XLSX holds at most {}; download CSV, JSON or XML",
            grouped(rows),
            grouped(XLSX_MAX_ROWS)
        )));
    }
    Ok(())
}

/// Whether `If-None-Match` names `etag`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        },
    )
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(|e| OpendataError::Corrupt(format!("header value {text:?}: {e}")).into())
}

async fn download(
    state: &HttpState,
    name: &str,
    number: Option<u32>,
    file: &str,
    method: &Method,
    request_headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let format =
        requested_format(file).ok_or_else(|| OpendataError::NotFound(format!("download {file:?} of {name:?}")))?;
    let dataset = lookup::published_by_name(&state.repository, name).await?;
    let version = state.repository.version(&dataset, number.unwrap_or(dataset.version)).await?;
    if format == TabularFormat::Xlsx {
        check_xlsx_rows(version.rows)?;
    }
    let etag = format!("\"{}-{}\"", version.sha256, format.as_str());
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, header_value(&etag)?);
    let cache = if number.is_some() { "public, max-age=31536000, immutable" } else { "public, no-cache" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if not_modified(request_headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let structure = state.repository.structure(name, version.structure_version).await?;
    let file_name =
        Download { dataset: name, version: version.number, structure: &structure.structure }.file_name(format);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    headers.insert(header::CONTENT_DISPOSITION, header_value(&format!("attachment; filename=\"{file_name}\""))?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if format == TabularFormat::Csv {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(version.bytes));
    }
    let store = state.publisher.store().clone();
    let sha256 = version.sha256.clone();
    let stored = tokio::task::spawn_blocking(move || store.open_version(&sha256))
        .await
        .map_err(|e| OpendataError::Corrupt(format!("opening a version stopped: {e}")))??;
    if method == Method::HEAD {
        return Ok((headers, Body::empty()).into_response());
    }
    state.demand.downloaded(name, format.as_str());
    if let Err(error) = state.repository.count_download(&dataset.id, Utc::now()).await {
        tracing::warn!(%error, dataset = %name, "a download was not counted");
    }
    if format == TabularFormat::Csv {
        // The stored file is the CSV: streamed asynchronously, no conversion, no blocking thread.
        let file = tokio::fs::File::from_std(stored);
        let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, body_stream::CHUNK_BYTES));
        return Ok((headers, body).into_response());
    }
    let Ok(permit) = Arc::clone(&state.conversions).try_acquire_owned() else {
        return Err(OpendataError::Busy {
            what: format!(
                "too many {} downloads are being converted on this server; CSV is not limited",
                format.as_str()
            ),
            retry_after_secs: 5,
        }
        .into());
    };
    let (mut writer, body) = body_stream::channel();
    let (dataset_name, version_number) = (name.to_owned(), version.number);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let download = Download { dataset: &dataset_name, version: version_number, structure: &structure.structure };
        let result = convert(format, &download, stored, &mut writer).and_then(|_| Ok(writer.flush()?));
        match result {
            Ok(()) => {}
            Err(FormatError::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
                tracing::debug!(dataset = %dataset_name, version = version_number, "download abandoned by the client");
            }
            Err(error) => {
                tracing::error!(%error, dataset = %dataset_name, version = version_number, %format, "download failed midway");
                writer.abort(io::Error::other("the download failed; it has been logged"));
            }
        }
    });
    Ok((headers, body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_name_the_format() {
        assert_eq!(requested_format("data.csv"), Some(TabularFormat::Csv));
        assert_eq!(requested_format("data.XLSX"), Some(TabularFormat::Xlsx));
        assert_eq!(requested_format("data.ods"), None);
        assert_eq!(requested_format("versions"), None);
    }

    #[test]
    fn a_version_longer_than_a_worksheet_is_refused_as_xlsx_with_the_numbers() {
        assert!(check_xlsx_rows(XLSX_MAX_ROWS).is_ok());
        let error = check_xlsx_rows(2_000_000).expect_err("too long");
        assert!(matches!(error, OpendataError::FailedPrecondition(_)));
        assert_eq!(
            error.to_string(),
            "this version has 2 000 000 rows; XLSX holds at most 1 048 575; download CSV, JSON or XML"
        );
    }

    #[test]
    fn digits_are_grouped_by_three() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1 000");
        assert_eq!(grouped(1_048_575), "1 048 575");
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let mut headers = HeaderMap::new();
        assert!(!not_modified(&headers, "\"a-csv\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"b-csv\", W/\"a-csv\""));
        assert!(not_modified(&headers, "\"a-csv\""));
        assert!(!not_modified(&headers, "\"a-json\""));
    }
}
