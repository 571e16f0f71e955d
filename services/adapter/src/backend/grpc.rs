//! A backend reached over gRPC: the agency implements `koprik.provider.v1.DataProvider`.

use std::time::Duration;

use koprik_proto::events::FailureKind;
use koprik_proto::provider::data_provider_client::DataProviderClient;
use koprik_proto::provider::{HandleRequest, HandleResponse};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Request, Status};
use koprik_runtime::config::ConfigError;
use koprik_runtime::tls::ClientTlsSettings;

use super::{Backend, BackendFailure};

/// The agency's `DataProvider` service.
pub struct GrpcBackend {
    client: DataProviderClient<Channel>,
}

impl GrpcBackend {
    /// A backend at `endpoint`; connects lazily, so the adapter starts even while the backend is down.
    pub fn new(endpoint: &str, tls: &ClientTlsSettings) -> Result<Self, ConfigError> {
        let channel = tls.endpoint(endpoint)?.connect_timeout(Duration::from_secs(5)).connect_lazy();
        Ok(Self { client: DataProviderClient::new(channel) })
    }
}

/// How a backend's gRPC status becomes a failure the consumer sees (the contract in `provider.proto`).
pub fn failure_of(status: &Status) -> BackendFailure {
    let kind = match status.code() {
        Code::NotFound => FailureKind::NotFound,
        Code::InvalidArgument | Code::OutOfRange => FailureKind::InvalidRequest,
        Code::FailedPrecondition | Code::PermissionDenied => FailureKind::Refused,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Cancelled => {
            FailureKind::Unavailable
        }
        Code::Unimplemented => FailureKind::UnknownService,
        _ => FailureKind::Internal,
    };
    let message = match kind {
        // An internal failure's text may reveal the backend's internals; the consumer gets a generic reason.
        FailureKind::Internal => "the provider's information system failed".to_owned(),
        FailureKind::Unavailable if status.message().is_empty() => {
            "the provider's information system is unavailable".to_owned()
        }
        _ => status.message().to_owned(),
    };
    BackendFailure::new(kind, message)
}

#[async_trait::async_trait]
impl Backend for GrpcBackend {
    async fn handle(&self, request: HandleRequest) -> Result<HandleResponse, BackendFailure> {
        let remaining = request
            .deadline
            .as_ref()
            .and_then(koprik_proto::time::datetime)
            .and_then(|deadline| (deadline - chrono::Utc::now()).to_std().ok())
            .unwrap_or(Duration::from_secs(1));
        let mut call = Request::new(request);
        call.set_timeout(remaining);
        // The agency's system continues the consumer's trace when it reads W3C trace context.
        let traceparent = koprik_runtime::trace_context::traceparent_of(&tracing::Span::current());
        if let Some(value) = traceparent.and_then(|t| t.parse().ok()) {
            call.metadata_mut().insert(koprik_runtime::trace_context::TRACEPARENT, value);
        }
        let mut client = self.client.clone();
        match client.handle(call).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => {
                let failure = failure_of(&status);
                if failure.kind == FailureKind::Internal {
                    tracing::warn!(code = ?status.code(), message = status.message(), "backend failed");
                }
                Err(failure)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_documented_failures() {
        let cases = [
            (Code::NotFound, FailureKind::NotFound),
            (Code::InvalidArgument, FailureKind::InvalidRequest),
            (Code::FailedPrecondition, FailureKind::Refused),
            (Code::PermissionDenied, FailureKind::Refused),
            (Code::Unavailable, FailureKind::Unavailable),
            (Code::Unimplemented, FailureKind::UnknownService),
            (Code::Internal, FailureKind::Internal),
            (Code::DataLoss, FailureKind::Internal),
        ];
        for (code, kind) in cases {
            assert_eq!(failure_of(&Status::new(code, "why")).kind, kind, "{code:?}");
        }
    }

    #[test]
    fn internal_details_are_not_relayed() {
        let failure = failure_of(&Status::internal("NullPointerException at db.query(line 42)"));
        assert_eq!(failure.message, "the provider's information system failed");
        assert_eq!(failure_of(&Status::not_found("no such person")).message, "no such person");
    }
}
