//! The test sandbox: everything a Ko'prik test needs that is real rather than mocked.
//!
//! # Layout
//! - [`broker`]: a Tansu broker process per test, in-memory storage, on a free port.
//! - [`database`]: a fresh database per test: PostgreSQL when `DATABASE_URL` says so, a SQLite file otherwise.
//! - [`kafka`]: reading typed records from a topic until one matches.
//! - [`net`]: free ports and waiting for listeners.
//!
//! Nothing here skips: a missing Tansu binary or an unreachable PostgreSQL fails the test with instructions.

pub mod broker;
pub mod database;
pub mod kafka;
pub mod net;

pub use broker::Broker;
pub use database::TestDatabase;

/// Logs for tests: `RUST_LOG=debug cargo test` shows the services' logs.
pub fn init_logs() {
    koprik_runtime::telemetry::init(&koprik_runtime::config::TelemetryConfig {
        log_filter: "warn".into(),
        log_format: koprik_runtime::config::LogFormat::Text,
    });
}
