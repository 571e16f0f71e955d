//! Ko'prik's contracts in Rust: the code generated from `proto/`, and the typed domain values the services use
//! instead of raw wire messages.
//!
//! # Layout
//! - [`common`], [`registry`], [`exchange`], [`provider`], [`billing`], [`opendata`], [`events`]: generated prost messages and tonic
//!   clients/servers, one module per protobuf package (`koprik.<name>.v1`).
//! - [`ids`]: validated X-Road style identifiers (member, subsystem, service) with their canonical text form.
//! - [`applicant`]: validated applicant identifiers (PINFL, STIR, cadastral number).
//! - [`field`]: [`FieldError`], the error every wire-to-domain conversion returns, naming the field and the rule.
//! - [`time`]: conversions between protobuf timestamps and `chrono`.
//! - [`audit_chain`]: the audit hash chain: how a link is made and how a topic's chains are verified.
//! - [`public_catalogue`]: what a public list of web services may show of a service (never a state secret).
//! - [`released_items`]: which data items an answer may release (A1 §14-15), checked by adapter and gateway.
//! - [`signing`]: the canonical encodings officers and adapters sign, and Ed25519 signing and verification.
//!
//! `tonic`, `prost` and `prost_types` are re-exported so that every crate uses the versions the code was
//! generated for.

pub use prost;
pub use prost_types;
pub use tonic;
pub use tonic_health;
pub use tonic_prost;

pub mod applicant;
pub mod audit_chain;
pub mod field;
pub mod ids;
pub mod public_catalogue;
pub mod released_items;
pub mod signing;
pub mod time;

pub use field::FieldError;

/// Generated code, nested the way the protobuf packages are (generated code refers to `super::super::...`).
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used)]
mod generated {
    pub mod koprik {
        pub mod common {
            pub mod v1 {
                tonic::include_proto!("koprik.common.v1");
            }
        }
        pub mod registry {
            pub mod v1 {
                tonic::include_proto!("koprik.registry.v1");
            }
        }
        pub mod exchange {
            pub mod v1 {
                tonic::include_proto!("koprik.exchange.v1");
            }
        }
        pub mod provider {
            pub mod v1 {
                tonic::include_proto!("koprik.provider.v1");
            }
        }
        pub mod billing {
            pub mod v1 {
                tonic::include_proto!("koprik.billing.v1");
            }
        }
        pub mod opendata {
            pub mod v1 {
                tonic::include_proto!("koprik.opendata.v1");
            }
        }
        pub mod events {
            pub mod v1 {
                tonic::include_proto!("koprik.events.v1");
            }
        }
    }
}

/// `koprik.billing.v1`: the billing service's API.
pub use generated::koprik::billing::v1 as billing;
/// `koprik.common.v1`: identifiers and paging shared by every contract.
pub use generated::koprik::common::v1 as common;
/// `koprik.events.v1`: every message that travels on Kafka.
pub use generated::koprik::events::v1 as events;
/// `koprik.exchange.v1`: the gateway's API for consumers.
pub use generated::koprik::exchange::v1 as exchange;
/// `koprik.opendata.v1`: the Open Data Portal's API for suppliers and the operator.
pub use generated::koprik::opendata::v1 as opendata;
/// `koprik.provider.v1`: what a provider agency's backend implements.
pub use generated::koprik::provider::v1 as provider;
/// `koprik.registry.v1`: the registry's API.
pub use generated::koprik::registry::v1 as registry;

/// The encoded `FileDescriptorSet` of all Ko'prik contracts, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/koprik_descriptor.bin"));

/// A gRPC reflection service describing every Ko'prik contract, so that tools like `grpcurl` work unaided.
pub fn reflection_service() -> Result<
    tonic_reflection::server::v1::ServerReflectionServer<impl tonic_reflection::server::v1::ServerReflection>,
    tonic_reflection::server::Error,
> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
}
