//! The `koprik` command's library: the embedded stack launcher and the operator commands, so that the
//! end-to-end tests use the very same demo data and client code as `make run`.
//!
//! # Layout
//! - [`up`]: `koprik up`, the embedded default (broker, services, demo exchange).
//! - [`processes`]: child processes with logs and graceful stop.
//! - [`commands`]: registry administration, calls through the gateway, the audit trail.
//! - [`demo`]: the demo organisations, services and grant, seeded idempotently.
//! - [`demo_billing`]: the demo BCA schedule and the demo bank's contract.
//! - [`demo_opendata`]: the demo supplier and data set of the Open Data Portal.
//! - [`officer`]: preparing and signing a request as a consumer's officer.
//! - [`demo_pki`]: the demo's role certificates (operator, reviewer, editor, consumers, ...), issued and registered.
//! - [`show`]: terminal renderings.

pub mod commands;
pub mod demo;
pub mod demo_billing;
pub mod demo_opendata;
pub mod demo_pki;
pub mod officer;
pub mod processes;
pub mod show;
pub mod up;
