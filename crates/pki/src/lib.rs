//! Ko'prik's platform PKI: the certificate authority whose certificates the gateway accepts, the server
//! certificates of the platform's gRPC servers and the client certificates that name a subsystem, and reading a
//! certificate back to what the registry records of it.
//!
//! # Layout
//! - [`ca`]: the platform CA (a key and a self-signed certificate, as PEM files).
//! - [`issue`]: server certificates (DNS/IP names) and subsystem client certificates.
//! - [`identity`]: the subsystem URI a client certificate carries (`urn:koprik:subsystem:<subsystem id>`).
//! - [`parse`]: a certificate's serial, subsystems, fingerprint and validity.
//! - [`files`]: PEM files on disk (private keys readable by their owner only).

pub mod ca;
pub mod files;
pub mod identity;
pub mod issue;
pub mod parse;

pub use ca::CertificateAuthority;
pub use identity::{subsystem_uri, SUBSYSTEM_URI_PREFIX};
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
