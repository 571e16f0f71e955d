//! Ko'prik Open Data Portal (OD Regulation, Cabinet resolution No. 808 of 2020): state data published free and
//! machine-readable in three languages, with a CKAN-compatible API.

pub mod ckan;
pub mod commercial_access;
pub mod config;
pub mod contracts;
pub mod error;
pub mod formats;
pub mod grpc;
pub mod http;
pub mod migration;
pub mod multilingual;
pub mod overdue_updates;
pub mod passport;
pub mod personal_data;
pub mod platform_data;
pub mod proposal_forwarding;
pub mod publication_check;
pub mod publishing;
pub mod repository;
pub mod service;
pub mod store;
pub mod structure;
pub mod supplier;
pub mod update_frequency;
pub mod url_name;
pub mod version_store;
pub mod wire;

pub use config::OpendataConfig;
pub use koprik_runtime::main_support::Listeners;
pub use service::{run, run_with_http};
