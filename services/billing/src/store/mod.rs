//! The billing tables, as sea-orm entities. The schema itself is in [`crate::migration`].

pub mod account;
pub mod allocation;
pub mod base_amount;
pub mod contract;
pub mod delivered_exchange;
pub mod document_sequence;
pub mod invoice;
pub mod invoice_line;
pub mod ledger_entry;
pub mod payment;
pub mod usage_event;
