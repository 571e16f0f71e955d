//! What every Ko'prik service shares, so that each service's code is about its own rules.
//!
//! # Layout
//! - [`config`]: layered typed configuration (defaults → file → `KOPRIK_*` env) and the shared sections.
//! - [`telemetry`]: logs and OpenTelemetry traces (OTLP export when configured).
//! - [`trace_context`]: W3C trace context in and out of spans.
//! - [`metrics`]: a Prometheus registry and the `/metrics` endpoint.
//! - [`grpc`]: tonic server with TLS, health and reflection, serving until shutdown.
//! - [`grpc_observe`]: calls handled by status code and their latency, for every service alike.
//! - [`tls`]: TLS as a configuration switch for servers and clients.
//! - [`dev_pki`]: a development CA with server and role certificates on disk, for `koprik up` and the tests.
//! - [`db`]: sea-orm connection (PostgreSQL or SQLite) and migrations.
//! - [`db_metrics`]: the database pool's connections as metrics.
//! - [`shutdown`]: SIGTERM / Ctrl-C into a cancellation token.
//! - [`main_support`]: argument parsing and listener binding for service binaries.

pub mod config;
pub mod db;
pub mod db_metrics;
pub mod dev_pki;
pub mod grpc;
pub mod grpc_observe;
pub mod main_support;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
pub mod tls;
pub mod trace_context;

pub use tokio_util::sync::CancellationToken;
