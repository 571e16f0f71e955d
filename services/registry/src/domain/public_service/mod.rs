//! The Unified Registry of Public Services, Forms and Blanks (REG-1; LAW Arts. 14-19): what a valid entry is and
//! how the procedure that registers, amends and abolishes entries runs, with its deadlines. No I/O here.
//!
//! - [`fields`]: the small field rules (dates, links, reasons).
//! - [`localized`]: texts in Uzbek with optional Russian and English versions (REG-1 p. 5).
//! - [`price`]: column 6, the price.
//! - [`once_only`]: column 10 items are never asked of the applicant in column 9 (LAW Art. 8).
//! - [`content`]: the whole content of an entry (REG-1 App. 2).
//! - [`deadlines`]: every deadline of the procedure (REG-1 pp. 12-16, 21, App. 1).
//! - [`lifecycle`]: which step may follow which, and what an application waits for.
//! - [`requests`]: the mutating requests, validated.

pub mod content;
pub mod deadlines;
pub mod fields;
pub mod lifecycle;
pub mod localized;
pub mod once_only;
pub mod price;
pub mod requests;
