//! Billing's errors, and their one mapping to gRPC statuses.

use koprik_proto::tonic::{Code, Status};
use koprik_proto::FieldError;
use sea_orm::DbErr;

/// Everything a billing operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// The request is malformed; the field and rule are named.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// What was asked for does not exist.
    #[error("{kind} {id} does not exist")]
    NotFound {
        /// `contract`, `invoice`, `account`.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// What is to be created exists already (differently).
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is well-formed but billing's state or rules forbid it.
    #[error("{0}")]
    FailedPrecondition(String),
    /// A ledger transaction did not balance: a bug; nothing was written.
    #[error(transparent)]
    Unbalanced(#[from] crate::ledger::Unbalanced),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

impl From<BillingError> for Status {
    fn from(error: BillingError) -> Self {
        let code = match &error {
            BillingError::Invalid(_) => Code::InvalidArgument,
            BillingError::NotFound { .. } => Code::NotFound,
            BillingError::AlreadyExists(_) => Code::AlreadyExists,
            BillingError::FailedPrecondition(_) => Code::FailedPrecondition,
            BillingError::Unbalanced(e) => {
                tracing::error!(error = %e, "ledger transaction refused");
                return Status::internal(
                    "internal error in billing (unbalanced ledger transaction); nothing was written",
                );
            }
            BillingError::Database(e) => {
                tracing::error!(error = %e, "database error");
                return Status::internal("internal error in billing; the operator has been notified by the logs");
            }
        };
        Status::new(code, error.to_string())
    }
}

impl From<crate::rating::NoBaseAmount> for BillingError {
    fn from(e: crate::rating::NoBaseAmount) -> Self {
        BillingError::FailedPrecondition(e.to_string())
    }
}

/// The error for an insert that hit a unique key (`exists`), or any other database failure.
pub fn on_insert(error: DbErr, exists: String) -> BillingError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => BillingError::AlreadyExists(exists),
        _ => BillingError::Database(error),
    }
}
