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
pub mod data_item;
#[allow(missing_docs)]
pub mod grant;
#[allow(missing_docs)]
pub mod organization;
#[allow(missing_docs)]
pub mod outbox;
#[allow(missing_docs)]
pub mod service;
#[allow(missing_docs)]
pub mod subsystem;
