//! Who may call what on Ko'prik's gRPC APIs. Every caller is identified by its TLS client certificate, which names
//! one role and one principal (`urn:koprik:<role>:<principal>`, [`koprik_pki::identity`]); the certificate must be
//! registered with the registry, active and unexpired; one table says which roles may call each method and how far
//! each reaches; one tower layer enforces it in front of every service's routes. A method that is not in the table
//! is refused.
//!
//! # Layout
//! - [`policy`]: the table: method → roles allowed → reach (everything, or only the caller's own).
//! - [`guard`]: the tower layer: identifies the caller, checks the certificate and the role, and fails a call
//!   whose reach was never checked.
//! - [`access`]: what a handler gets from the guard: the caller, its actor text, and the checks of "own".
//! - [`directory`]: what a service knows of registered certificates, and how current that knowledge is.
//! - [`feed`]: keeping a directory current from `registry.events`.
//! - [`refusal`]: the statuses and metrics of every refusal.
//! - [`peer_limit`]: each peer address's budget of refused calls, spent before identification.
//! - [`config`]: the `authz` configuration section.

pub mod access;
pub mod config;
pub mod directory;
pub mod feed;
pub mod guard;
pub mod peer_limit;
pub mod policy;
pub mod refusal;

pub use access::{Access, Owner};
pub use config::AuthzConfig;
pub use directory::{Directory, DirectoryError, MemoryDirectory, RegisteredCertificate};
pub use guard::Guard;
pub use koprik_pki::identity::{Identity, Principal, Role};
pub use peer_limit::PeerLimitConfig;
