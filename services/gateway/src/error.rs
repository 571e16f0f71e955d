//! The gateway's errors, and their one mapping to gRPC statuses.

use koprik_proto::events::FailureKind;
use koprik_proto::tonic::{Code, Status};
use koprik_proto::FieldError;

/// Why a call did not deliver the provider's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The caller did not identify itself properly.
    #[error("{0}")]
    Unauthenticated(String),
    /// The request is malformed; the field and rule are named.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// No such web service (its canonical id).
    #[error("service {0} does not exist")]
    UnknownService(String),
    /// The platform refuses access; the reason is stated.
    #[error("{0}")]
    Refused(String),
    /// The officer's signature is missing a registered key, or does not verify (REG-2 p. 14).
    #[error("{0}")]
    BadSignature(String),
    /// The same signed request was accepted before (a replay); the first request id is named
    /// ([`crate::replay`]).
    #[error("{0}")]
    Replayed(String),
    /// The provider's answer arrived but is not acceptable — its adapter signature does not verify, or it releases
    /// data items not requested or none it declares — so it was not delivered.
    #[error("{0}")]
    UnverifiedAnswer(String),
    /// The consumer used up the monthly maximum of requests it declared; the limit and its reset are stated.
    #[error("{0}")]
    QuotaExhausted(String),
    /// No submitted request of this caller has the id asked for.
    #[error("{0}")]
    NotFound(String),
    /// The web service exists but is not answering requests now.
    #[error("{0}")]
    ServiceUnavailable(String),
    /// The provider did not answer in time.
    #[error("no answer from the provider of {service} within {waited_ms} ms")]
    TimedOut {
        /// The service called (canonical id).
        service: String,
        /// How long the gateway waited.
        waited_ms: u128,
    },
    /// The provider refused or failed; its reason is relayed.
    #[error("provider: {message}")]
    Provider {
        /// What kind of failure the provider reported.
        kind: FailureKind,
        /// The provider's reason.
        message: String,
    },
    /// The platform itself could not complete the exchange (broker or audit trail unavailable).
    #[error("{0}")]
    Platform(String),
}

/// Metadata naming the platform's request id on every response.
pub const REQUEST_ID_HEADER: &str = "koprik-request-id";
/// Metadata saying the error comes from the provider, not the platform.
pub const ERROR_SOURCE_HEADER: &str = "koprik-error-source";

impl GatewayError {
    /// Why the exchange was not delivered, as a metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Invalid(_) => "invalid",
            Self::UnknownService(_) => "unknown_service",
            Self::Refused(_) => "refused",
            Self::BadSignature(_) => "bad_signature",
            Self::Replayed(_) => "replayed",
            Self::UnverifiedAnswer(_) => "unverified_answer",
            Self::QuotaExhausted(_) => "quota_exhausted",
            Self::NotFound(_) => "not_found",
            Self::ServiceUnavailable(_) => "service_unavailable",
            Self::TimedOut { .. } => "timed_out",
            Self::Provider { kind, .. } => match kind {
                FailureKind::NotFound => "provider_not_found",
                FailureKind::InvalidRequest => "provider_invalid_request",
                FailureKind::Refused => "provider_refused",
                FailureKind::Unavailable => "provider_unavailable",
                FailureKind::Internal => "provider_internal",
                _ => "provider_other",
            },
            Self::Platform(_) => "platform",
        }
    }

    /// The gRPC code the consumer receives.
    pub fn code(&self) -> Code {
        match self {
            Self::Unauthenticated(_) | Self::BadSignature(_) => Code::Unauthenticated,
            Self::Invalid(_) => Code::InvalidArgument,
            Self::UnknownService(_) | Self::NotFound(_) => Code::NotFound,
            // Sending it again can never succeed: the request exists already, under its first request id.
            Self::Replayed(_) => Code::AlreadyExists,
            Self::QuotaExhausted(_) => Code::ResourceExhausted,
            Self::Refused(_) => Code::PermissionDenied,
            Self::ServiceUnavailable(_) | Self::Platform(_) | Self::UnverifiedAnswer(_) => Code::Unavailable,
            Self::TimedOut { .. } => Code::DeadlineExceeded,
            Self::Provider { kind, .. } => match kind {
                FailureKind::NotFound => Code::NotFound,
                FailureKind::InvalidRequest => Code::InvalidArgument,
                FailureKind::Refused => Code::FailedPrecondition,
                FailureKind::Unavailable => Code::Unavailable,
                FailureKind::UnknownService => Code::Unimplemented,
                FailureKind::Internal | FailureKind::Unspecified => Code::Internal,
            },
        }
    }

    /// The status for the consumer, carrying the request id (and the error source for provider errors).
    pub fn into_status(self, request_id: &str) -> Status {
        let mut status = Status::new(self.code(), self.to_string());
        if let Ok(value) = request_id.parse() {
            status.metadata_mut().insert(REQUEST_ID_HEADER, value);
        }
        if matches!(self, Self::Provider { .. }) {
            status
                .metadata_mut()
                .insert(ERROR_SOURCE_HEADER, koprik_proto::tonic::metadata::MetadataValue::from_static("provider"));
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_are_marked_as_such() {
        let status = GatewayError::Provider {
            kind: FailureKind::NotFound,
            message: "no person with this PINFL is registered".into(),
        }
        .into_status("0190f6a8-0000-7000-8000-000000000000");
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.metadata().get(ERROR_SOURCE_HEADER).map(|v| v.to_str().ok()), Some(Some("provider")));
        assert_eq!(
            status.metadata().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()),
            Some("0190f6a8-0000-7000-8000-000000000000")
        );
    }

    #[test]
    fn platform_refusals_are_not_marked_as_provider_errors() {
        let status = GatewayError::Refused("no grant".into()).into_status("id");
        assert_eq!(status.code(), Code::PermissionDenied);
        assert!(status.metadata().get(ERROR_SOURCE_HEADER).is_none());
    }
}
