//! Compiles `proto/` with protox (a pure-Rust protobuf compiler, so nothing has to be installed) and generates
//! prost messages and tonic clients and servers into `OUT_DIR`, plus the encoded descriptor set for gRPC reflection.

use std::path::PathBuf;

use prost::Message;

const FILES: &[&str] = &[
    "koprik/common/v1/common.proto",
    "koprik/registry/v1/registry.proto",
    "koprik/registry/v1/calendar.proto",
    "koprik/registry/v1/onboarding.proto",
    "koprik/registry/v1/announcements.proto",
    "koprik/registry/v1/public_services.proto",
    "koprik/registry/v1/credentials.proto",
    "koprik/exchange/v1/exchange.proto",
    "koprik/provider/v1/provider.proto",
    "koprik/billing/v1/billing.proto",
    "koprik/opendata/v1/opendata.proto",
    "koprik/events/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    println!("cargo:rerun-if-changed={}", root.display());

    let descriptors = protox::compile(FILES, [&root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("koprik_descriptor.bin"), descriptors.encode_to_vec())?;

    // Type names give every message `prost::Name`, which the Kafka crate uses for the `koprik-type` header.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure().compile_fds_with_config(descriptors, config)?;
    Ok(())
}
