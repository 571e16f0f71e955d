//! The gateway's tables as sea-orm entities.
// The derive macros generate public items (columns, relations) that cannot carry docs.

#[allow(missing_docs)]
pub mod accepted_signature;
#[allow(missing_docs)]
pub mod request_count;
#[allow(missing_docs)]
pub mod submitted_request;
