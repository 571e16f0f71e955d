//! `koprik.exchange.v1.Exchange` over gRPC: takes the caller the authorization guard admitted and the call's
//! metadata, hands Call, Submit and Get to [`Exchange`] and turns the outcome into a response or a status carrying
//! the request id.

use std::sync::Arc;
use std::time::Duration;

use koprik_authz::Access;
use koprik_proto::exchange::exchange_server;
use koprik_proto::exchange::{CallRequest, CallResponse, GetRequest, GetResponse, SubmitResponse};
use koprik_proto::tonic::{self, Request, Response, Status};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::error::{GatewayError, REQUEST_ID_HEADER};
use crate::exchange::{Exchange, Incoming};

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
        let incoming = incoming(request)?;
        // Its own task: if the caller goes away mid-call, the exchange still finishes and is audited.
        let exchange = Arc::clone(&self.exchange);
        let finished =
            self.tasks.spawn(async move { exchange.call(incoming).await }.in_current_span()).await.map_err(|e| {
                tracing::error!(error = %e, "exchange task failed");
                Status::internal("internal error in the gateway")
            })?;
        respond(finished.result, &finished.request_id)
    }

    async fn submit(&self, request: Request<CallRequest>) -> Result<Response<SubmitResponse>, Status> {
        let incoming = incoming(request)?;
        // Its own task, like a call: once accepted, the request is stored, forwarded and audited whatever the
        // caller does.
        let exchange = Arc::clone(&self.exchange);
        let submitted =
            self.tasks.spawn(async move { exchange.submit(incoming).await }.in_current_span()).await.map_err(|e| {
                tracing::error!(error = %e, "submit task failed");
                Status::internal("internal error in the gateway")
            })?;
        respond(submitted.result, &submitted.request_id)
    }

    async fn get(&self, request: Request<GetRequest>) -> Result<Response<GetResponse>, Status> {
        let access = Access::of(&request)?;
        let request_id = request.into_inner().request_id;
        respond(self.exchange.get(&access, &request_id).await, &request_id)
    }
}

/// The call as the exchange engine takes it, from the request, its metadata and the caller the authorization
/// guard admitted.
fn incoming(request: Request<CallRequest>) -> Result<Incoming, Status> {
    let access = Access::of(&request)?;
    let metadata = request.metadata();
    let text = |key: &str| metadata.get(key).map(|v| v.to_str().unwrap_or("<not ASCII>").to_owned());
    Ok(Incoming {
        access,
        client_timeout: text("grpc-timeout").as_deref().and_then(parse_grpc_timeout),
        traceparent: text("traceparent"),
        request: request.into_inner(),
    })
}

/// A response or status, carrying the request id either way.
fn respond<T>(result: Result<T, GatewayError>, request_id: &str) -> Result<Response<T>, Status> {
    match result {
        Ok(answer) => {
            let mut response = Response::new(answer);
            if let Ok(value) = request_id.parse() {
                response.metadata_mut().insert(REQUEST_ID_HEADER, value);
            }
            Ok(response)
        }
        Err(error) => Err(error.into_status(request_id)),
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
