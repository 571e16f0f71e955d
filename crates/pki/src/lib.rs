//! Ko'prik's platform PKI: the certificate authority whose certificates every service accepts, the server
//! certificates of the platform's gRPC servers and the client certificates that name a role and its principal, and
//! reading a certificate back to what the registry records of it.
//!
//! # Layout
//! - [`ca`]: the platform CA (a key and a self-signed certificate, as PEM files).
//! - [`issue`]: server certificates (DNS/IP names) and client certificates naming an identity.
//! - [`identity`]: the roles and principals a client certificate names (`urn:koprik:<role>:<principal>`).
//! - [`parse`]: a certificate's serial, identities, fingerprint and validity.
//! - [`files`]: PEM files on disk (private keys readable by their owner only).

pub mod ca;
pub mod files;
pub mod identity;
pub mod issue;
pub mod parse;

pub use ca::CertificateAuthority;
pub use identity::{Identity, Principal, Role};
pub use issue::Issued;
pub use parse::{der_of_pem, parse_der, parse_pem, ParsedCertificate};

/// Why a certificate could not be made, read or stored.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Key generation, signing or encoding failed.
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    /// The input is not a usable certificate; the reason is stated.
    #[error("{0}")]
    Invalid(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}
