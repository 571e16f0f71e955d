//! The test sandbox: everything a Ko'prik test needs that is real rather than mocked.
//!
//! # Layout
//! - [`authz_matrix`]: every method of a server called as every role, held to the authorization policy.
//! - [`broker`]: a Tansu broker process per test, in-memory storage, on a free port.
//! - [`database`]: a fresh database per test: PostgreSQL when `DATABASE_URL` says so, a SQLite file otherwise.
//! - [`kafka`]: reading typed records from a topic until one matches.
//! - [`net`]: free ports and waiting for listeners.
//! - [`refusal`]: waiting until a call is refused (revocation, fail closed) and checking the refusal.
//! - [`pki`]: a CA, server TLS, role certificates and TLS channels for services under test, and publishing the
//!   registry's records of certificates.
//!
//! Nothing here skips: a missing Tansu binary or an unreachable PostgreSQL fails the test with instructions.

pub mod authz_matrix;
pub mod broker;
pub mod database;
pub mod kafka;
pub mod net;
pub mod pki;
pub mod refusal;

pub use broker::Broker;
pub use database::TestDatabase;
pub use pki::{publish_certificates, RegistryHeartbeats, TestPki};

/// Logs for tests: `RUST_LOG=debug cargo test` shows the services' logs.
pub fn init_logs() {
    koprik_runtime::telemetry::init(&koprik_runtime::config::TelemetryConfig {
        log_filter: "warn".into(),
        log_format: koprik_runtime::config::LogFormat::Text,
    });
}
