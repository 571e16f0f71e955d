//! The registry's errors, and their one mapping to gRPC statuses.

use koprik_proto::tonic::{Code, Status};
use koprik_proto::FieldError;
use sea_orm::DbErr;

/// Everything a registry operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request is malformed; the field and rule are named.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// The entity asked for does not exist.
    #[error("{kind} {id} does not exist")]
    NotFound {
        /// `organization`, `subsystem`, `service` or `grant`.
        kind: &'static str,
        /// Its canonical id.
        id: String,
    },
    /// The entity to create exists already.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// The kind of entity.
        kind: &'static str,
        /// Its canonical id.
        id: String,
    },
    /// An update based on a stale read.
    #[error("{kind} {id} is at revision {actual}, not the expected {expected}; read it again and retry")]
    RevisionMismatch {
        /// The kind of entity.
        kind: &'static str,
        /// Its canonical id.
        id: String,
        /// The revision the caller based its change on.
        expected: i64,
        /// The stored revision.
        actual: i64,
    },
    /// The change is well-formed but the registry's state or rules forbid it.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

impl From<RegistryError> for Status {
    fn from(error: RegistryError) -> Self {
        let code = match &error {
            RegistryError::Invalid(_) => Code::InvalidArgument,
            RegistryError::NotFound { .. } => Code::NotFound,
            RegistryError::AlreadyExists { .. } => Code::AlreadyExists,
            RegistryError::RevisionMismatch { .. } => Code::Aborted,
            RegistryError::FailedPrecondition(_) => Code::FailedPrecondition,
            RegistryError::Database(e) => {
                tracing::error!(error = %e, "database error");
                return Status::internal("internal error in the registry; the operator has been notified by the logs");
            }
        };
        Status::new(code, error.to_string())
    }
}

/// The error for an insert that lost a race to another insert of the same key, or any other database failure.
pub fn on_insert(error: DbErr, kind: &'static str, id: &str) -> RegistryError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => RegistryError::AlreadyExists { kind, id: id.to_owned() },
        _ => RegistryError::Database(error),
    }
}
