//! What every Ko'prik service shares, so that each service's code is about its own rules.
//!
//! # Layout
//! - [`config`]: layered typed configuration (defaults → file → `KOPRIK_*` env) and the shared sections.
//! - [`telemetry`]: `tracing` log setup.
//! - [`metrics`]: a Prometheus registry and the `/metrics` endpoint.
//! - [`grpc`]: tonic server with TLS, health and reflection, serving until shutdown.
//! - [`tls`]: TLS as a configuration switch for servers and clients.
//! - [`db`]: sea-orm connection (PostgreSQL or SQLite) and migrations.
//! - [`shutdown`]: SIGTERM / Ctrl-C into a cancellation token.
//! - [`main_support`]: argument parsing and listener binding for service binaries.

pub mod config;
pub mod db;
pub mod grpc;
pub mod main_support;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
pub mod tls;

pub use tokio_util::sync::CancellationToken;
