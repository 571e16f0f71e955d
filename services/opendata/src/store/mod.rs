//! The portal's tables as sea-orm entities, one module per table.

pub mod api_key;
pub mod consumer_position;
pub mod contract;
pub mod dataset;
pub mod dataset_tag;
pub mod demand;
pub mod exchange_statistic;
pub mod exchange_statistic_consumer;
pub mod message;
pub mod platform_row;
pub mod proposal;
pub mod resource;
pub mod structure_version;
pub mod supplier;
pub mod version;
