//! `koprik.exchange.v1.Exchange` over gRPC: reads the caller's TLS client certificate and metadata, hands the call
//! to [`Exchange`] and turns the outcome into a response or a status carrying the request id.

use std::sync::Arc;
use std::time::Duration;

use koprik_proto::exchange::exchange_server;
use koprik_proto::exchange::{CallRequest, CallResponse};
use koprik_proto::tonic::{self, Request, Response, Status};
use tokio_util::task::TaskTracker;

use crate::error::REQUEST_ID_HEADER;
use crate::exchange::{Exchange, Incoming, CONSUMER_HEADER};
use crate::identity::Credentials;

/// The gRPC face of the gateway.
pub struct ExchangeApi {
    exchange: Arc<Exchange>,
    /// Every exchange runs as a task of this tracker, so shutdown can wait for all of them (and their audit
    /// records) even when their callers have gone.
    tasks: TaskTracker,
}

impl ExchangeApi {
    /// Serves `exchange`, running each call as a task of `tasks`.
    pub fn new(exchange: Arc<Exchange>, tasks: TaskTracker) -> Self {
        Self { exchange, tasks }
    }
}

/// The caller's deadline from the `grpc-timeout` header: up to 8 digits and a unit (H, M, S, m, u, n).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[tonic::async_trait]
impl exchange_server::Exchange for ExchangeApi {
    async fn call(&self, request: Request<CallRequest>) -> Result<Response<CallResponse>, Status> {
        let metadata = request.metadata();
        let text = |key: &str| metadata.get(key).map(|v| v.to_str().unwrap_or("<not ASCII>").to_owned());
        // The leaf of the verified chain (rustls checked it against grpc.tls.client_ca in the handshake).
        let certificate = request.peer_certs().and_then(|chain| chain.first().map(|leaf| leaf.to_vec()));
        let incoming = Incoming {
            credentials: Credentials { certificate, consumer_header: text(CONSUMER_HEADER) },
            client_timeout: text("grpc-timeout").as_deref().and_then(parse_grpc_timeout),
            traceparent: text("traceparent"),
            request: request.into_inner(),
        };
        // Its own task: if the caller goes away mid-call, the exchange still finishes and is audited.
        let exchange = Arc::clone(&self.exchange);
        let finished = self.tasks.spawn(async move { exchange.call(incoming).await }).await.map_err(|e| {
            tracing::error!(error = %e, "exchange task failed");
            Status::internal("internal error in the gateway")
        })?;
        match finished.result {
            Ok(answer) => {
                let mut response = Response::new(answer);
                if let Ok(value) = finished.request_id.parse() {
                    response.metadata_mut().insert(REQUEST_ID_HEADER, value);
                }
                Ok(response)
            }
            Err(error) => Err(error.into_status(&finished.request_id)),
        }
    }

    // Asynchronous requests are being built (issue 4); until then they are refused as not implemented.
    async fn submit(
        &self,
        _request: Request<koprik_proto::exchange::CallRequest>,
    ) -> Result<Response<koprik_proto::exchange::SubmitResponse>, Status> {
        Err(Status::unimplemented("Submit is not available yet"))
    }

    async fn get(
        &self,
        _request: Request<koprik_proto::exchange::GetRequest>,
    ) -> Result<Response<koprik_proto::exchange::GetResponse>, Status> {
        Err(Status::unimplemented("Get is not available yet"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_are_parsed() {
        assert_eq!(parse_grpc_timeout("1500m"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("100"), None);
        assert_eq!(parse_grpc_timeout("123456789m"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
    }
}
