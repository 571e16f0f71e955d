//! The registry's rules: what a valid entity is and which changes are allowed. No I/O here.

pub mod application_form;
pub mod client_certificate;
pub mod connection_workflow;
pub mod data_item_access;
pub mod ddp_contract;
pub mod grant_lifecycle;
pub mod information_system_form;
pub mod officer_signature_key;
pub mod official_notice;
pub mod organization;
pub mod paging;
pub mod provider_announcement;
pub mod provider_consent;
pub mod public_service;
pub mod refusal_grounds;
pub mod service;
pub mod subsystem;
pub mod suspension_grounds;
pub mod termination_grounds;
pub mod text;
