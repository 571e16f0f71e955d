//! The portal's errors, and their one mapping to gRPC statuses. (The HTTP API maps them to CKAN's error shapes in
//! [`crate::ckan::envelope`].)

use koprik_proto::tonic::{Code, Status};

use crate::publication_check::PublicationError;

/// Everything that can go wrong in a portal operation.
#[derive(Debug, thiserror::Error)]
pub enum OpendataError {
    /// A request field breaks a rule; the message names the field and the rule.
    #[error("{field}: {rule}")]
    Invalid {
        /// The field, e.g. "passport.title.ru".
        field: String,
        /// The rule.
        rule: String,
    },
    /// Something named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Something with that name exists already.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The request is well-formed but the state does not allow it.
    #[error("{0}")]
    FailedPrecondition(String),
    /// A version was refused by the publication checks (structure, personal data).
    #[error("version refused: {0}")]
    Refused(PublicationError),
    /// The API key is unknown or revoked.
    #[error("the API key is not valid (unknown or revoked)")]
    BadApiKey,
    /// The anonymous rate limit is used up.
    #[error("anonymous use is limited to {per_minute} requests per minute; retry in {retry_after_secs} s or use an API key under contract (OD §8, §21)")]
    RateLimited {
        /// The limit.
        per_minute: u32,
        /// Seconds until a request is allowed again.
        retry_after_secs: u64,
    },
    /// Too much work of this kind is under way; retry shortly.
    #[error("{what}; retry in {retry_after_secs} s")]
    Busy {
        /// What is busy, and what to do instead.
        what: String,
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// The version store failed.
    #[error("version store: {0}")]
    Storage(#[from] std::io::Error),
    /// A stored value could not be read back (a bug or a hand-edited row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl OpendataError {
    /// A field error.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), rule: rule.into() }
    }
}

impl From<PublicationError> for OpendataError {
    /// A refusal is the supplier's to fix; failing to read or write the files is the portal's.
    fn from(error: PublicationError) -> Self {
        match error {
            PublicationError::Read(e) | PublicationError::Write(e) => Self::Storage(e),
            refusal => Self::Refused(refusal),
        }
    }
}

impl From<serde_json::Error> for OpendataError {
    fn from(error: serde_json::Error) -> Self {
        Self::Corrupt(error.to_string())
    }
}

impl From<OpendataError> for Status {
    fn from(error: OpendataError) -> Self {
        let code = match &error {
            OpendataError::Invalid { .. } => Code::InvalidArgument,
            OpendataError::NotFound(_) => Code::NotFound,
            OpendataError::AlreadyExists(_) => Code::AlreadyExists,
            OpendataError::FailedPrecondition(_) | OpendataError::Refused(_) => Code::FailedPrecondition,
            OpendataError::BadApiKey => Code::Unauthenticated,
            OpendataError::RateLimited { .. } => Code::ResourceExhausted,
            OpendataError::Busy { .. } => Code::Unavailable,
            OpendataError::Database(_) | OpendataError::Storage(_) | OpendataError::Corrupt(_) => {
                tracing::error!(%error, "internal error");
                Code::Internal
            }
        };
        Status::new(code, error.to_string())
    }
}

/// The portal's result type.
pub type Result<T, E = OpendataError> = std::result::Result<T, E>;
