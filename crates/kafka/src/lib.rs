//! Kafka for Ko'prik services, on rdkafka. Records are protobuf messages from `koprik.events.v1` with the headers
//! `traceparent`, `koprik-event-id` and `koprik-type`. No transactions are used (the development broker, Tansu,
//! has none): exactly-once effects come from idempotent consumers and committing offsets after processing.
//!
//! # Layout
//! - [`config`]: the `kafka` configuration section.
//! - [`topics`]: topic names and creation specs.
//! - [`admin`]: idempotent topic creation.
//! - [`producer`]: typed, idempotent producer, and dead-lettering.
//! - [`consumer`]: group consumers with manual commits, and group-less tailing consumers with catch-up tracking.
//! - [`offsets`]: committing offsets when records finish out of order.
//! - [`headers`]: the Ko'prik record headers (the `traceparent` values themselves come from `koprik_runtime::trace_context`).
//! - [`lag`]: consumer lag per group, topic and partition, as a metric.
//! - [`error`]: errors with topic, partition and offset.
//! - [`tansu`]: locating the development broker.

pub mod admin;
pub mod config;
pub mod consumer;
pub mod error;
pub mod headers;
pub mod lag;
pub mod offsets;
pub mod producer;
pub mod tansu;
pub mod topics;

pub use config::KafkaConfig;
pub use consumer::{decode, Received};
pub use error::{DecodeError, KafkaError};
pub use headers::RecordHeaders;
pub use producer::Producer;
pub use rdkafka;
