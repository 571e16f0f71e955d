//! The `koprik` command's library: the embedded stack launcher and the operator commands, so that the
//! end-to-end tests use the very same demo data and client code as `make run`.
//!
//! # Layout
//! - [`demo`]: the demo organisations, services and grant, seeded idempotently.

pub mod demo;
