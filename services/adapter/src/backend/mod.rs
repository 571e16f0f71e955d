//! Backends: where an adapter gets the provider's data. An agency's own system over gRPC
//! ([`grpc::GrpcBackend`]), or the built-in demo civil registry ([`civil_registry::CivilRegistry`]).

pub mod civil_registry;
pub mod grpc;

use koprik_proto::events::FailureKind;
use koprik_proto::provider::{HandleRequest, HandleResponse};

/// Why a backend did not answer with data; relayed to the consumer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct BackendFailure {
    /// The kind of failure, which decides the consumer's gRPC status.
    pub kind: FailureKind,
    /// A reason for the consumer; never personal data.
    pub message: String,
}

impl BackendFailure {
    /// A failure of `kind`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

/// A provider's information system as the adapter sees it.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// Answers one request. Must not take longer than the request's deadline; the adapter also bounds it.
    async fn handle(&self, request: HandleRequest) -> Result<HandleResponse, BackendFailure>;
}
