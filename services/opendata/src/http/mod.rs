//! The public HTTP API: CKAN's Action API under `/api/3/action/`, downloads of every version in every format,
//! DCAT catalogue, structure links, users' messages and proposals, demand statistics.
//!
//! Layout:
//! - `router`: every route (see [`router`]), behind `limits` and `access`.
//! - `limits`: the bounds on URL, headers and bodies of public requests.
//! - `access`: API keys (metered) and the anonymous rate limit (`rate_limit`, `client_ip`).
//! - `action`: the CKAN Action API endpoint (the actions are in [`crate::ckan`]).
//! - `downloads`: versions in every format, streamed through `body_stream`.
//! - `dataset_pages`: structure versions, versions, the version list.
//! - `dcat`: the DCAT catalogue and per-data-set documents.
//! - `feedback`, `statistics`: messages, proposals, demand; `json_io` reads their bodies.

mod access;
mod action;
pub mod body_stream;
mod client_ip;
mod dataset_pages;
mod dcat;
mod demand_metrics;
mod downloads;
mod feedback;
mod json_io;
pub mod limits;
pub mod rate_limit;
mod router;
mod statistics;

pub use demand_metrics::DemandMetrics;

pub use router::router;

use std::sync::Arc;

use crate::config::{AccessConfig, FeedbackConfig};
use crate::publishing::Publisher;
use crate::repository::Repository;
use crate::wire::Links;

/// What every handler shares.
#[derive(Clone)]
pub struct HttpState {
    /// Views and downloads as metrics.
    pub demand: DemandMetrics,
    /// The data.
    pub repository: Repository,
    /// The version store (downloads) and publishing.
    pub publisher: Publisher,
    /// Public links.
    pub links: Links,
    /// Anonymous limits and metering of contract use.
    pub access: AccessConfig,
    /// Proposal forwarding deadline.
    pub feedback: FeedbackConfig,
    /// This replica's name, written into usage records.
    pub replica: Arc<str>,
    /// Downloads being converted (JSON, XML, XLSX) at once, each holding a blocking thread: at most
    /// `http.max_conversions` (CSV is served asynchronously and is not counted).
    pub conversions: Arc<tokio::sync::Semaphore>,
}
