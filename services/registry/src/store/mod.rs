//! sea-orm entities of the registry's tables, one module per table.

// sea-orm's derives generate public items (Column, ActiveModel, ...) that cannot carry docs; the tables are
// documented in each module and in the migration.
#[allow(missing_docs)]
pub mod announcement;
#[allow(missing_docs)]
pub mod application;
#[allow(missing_docs)]
pub mod calendar_year;
#[allow(missing_docs)]
pub mod client_certificate;
#[allow(missing_docs)]
pub mod data_item;
#[allow(missing_docs)]
pub mod grant;
#[allow(missing_docs)]
pub mod organization;
#[allow(missing_docs)]
pub mod public_service_application;
#[allow(missing_docs)]
pub mod public_service_entry;
#[allow(missing_docs)]
pub mod public_service_inventory;
#[allow(missing_docs)]
pub mod public_service_number;
#[allow(missing_docs)]
pub mod public_service_step;
#[allow(missing_docs)]
pub mod public_service_version;
#[allow(missing_docs)]
pub mod service;
#[allow(missing_docs)]
pub mod signing_key;
#[allow(missing_docs)]
pub mod subsystem;
