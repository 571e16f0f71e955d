//! The registry's rules: what a valid entity is and which changes are allowed. No I/O here.

pub mod grant_lifecycle;
pub mod organization;
pub mod paging;
pub mod service;
pub mod subsystem;
pub mod text;
