//! Every gRPC call a service serves, observed the same way in every service by one tower layer, so that no
//! handler has to remember it: a server span continuing the caller's trace (`traceparent` metadata), and metrics of
//! calls handled by service, method and status code, and how long they took.
//!
//! The names follow the `grpc_server_*` convention operators know from other gRPC servers, under the service's
//! `koprik_<service>_` prefix: `…_grpc_server_handled_total{grpc_service, grpc_method, grpc_code}` and
//! `…_grpc_server_handling_seconds{grpc_service, grpc_method}`.
//!
//! The status code is read where gRPC puts it: in the response headers of a trailers-only response (every error
//! tonic returns before a body), otherwise in the trailers at the end of the body. A call whose body is dropped
//! before its trailers (the client went away) counts as `Cancelled`. Latency runs to the end of the body, so a
//! streamed download is measured whole.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use koprik_proto::tonic::Code;
use pin_project_lite::pin_project;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument;

use crate::metrics::Metrics;

/// Labels of a handled call.
type HandledLabels = [(&'static str, String); 3];
/// Labels of a call's latency.
type MethodLabels = [(&'static str, String); 2];

/// The two metric families, shared by every connection's service.
#[derive(Clone)]
struct Families {
    handled: Family<HandledLabels, Counter>,
    seconds: Family<MethodLabels, Histogram, fn() -> Histogram>,
}

/// The tower layer that records every call the server handles.
#[derive(Clone)]
pub struct GrpcObserveLayer {
    families: Arc<Families>,
}

impl GrpcObserveLayer {
    /// The layer, with its metrics registered in `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let families = Families {
            handled: Family::default(),
            seconds: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 18))),
        };
        metrics.register(|r| {
            r.register("grpc_server_handled", "gRPC calls handled, by status code", families.handled.clone());
            r.register(
                "grpc_server_handling_seconds",
                "gRPC call duration to the end of the response",
                families.seconds.clone(),
            );
        });
        Self { families: Arc::new(families) }
    }
}

impl<S> Layer<S> for GrpcObserveLayer {
    type Service = GrpcObserve<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcObserve { inner, families: self.families.clone() }
    }
}

/// The service [`GrpcObserveLayer`] wraps around the server's routes.
#[derive(Clone)]
pub struct GrpcObserve<S> {
    inner: S,
    families: Arc<Families>,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for GrpcObserve<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Body,
{
    type Response = http::Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // Named `package.Service/Method`, as OpenTelemetry's RPC conventions want.
        let name = request.uri().path().trim_start_matches('/');
        let span = tracing::info_span!("grpc.server", otel.name = name, otel.kind = "server", rpc.system = "grpc");
        let traceparent = request.headers().get(crate::trace_context::TRACEPARENT).and_then(|v| v.to_str().ok());
        crate::trace_context::continue_from(&span, traceparent);
        let call = Call {
            families: self.families.clone(),
            path: request.uri().path().to_owned(),
            started: Instant::now(),
            recorded: false,
        };
        let response = span.in_scope(|| self.inner.call(request)).instrument(span);
        Box::pin(async move {
            let mut call = call;
            let response = response.await?;
            if let Some(code) = status_in(response.headers()) {
                call.record(code);
            }
            Ok(response.map(|body| MeteredBody { inner: body, call }))
        })
    }
}

pin_project! {
    /// A response body that records its call when its trailers arrive, it ends, or it is dropped.
    pub struct MeteredBody<B> {
        #[pin]
        inner: B,
        call: Call,
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(status_in) {
                    this.call.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.call.record(Code::Internal),
            // A body that ends without a status broke the protocol; tonic never does that.
            Poll::Ready(None) => this.call.record(Code::Unknown),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// One call being measured; it records itself once.
pub struct Call {
    families: Arc<Families>,
    path: String,
    started: Instant,
    recorded: bool,
}

impl Call {
    fn record(&mut self, code: Code) {
        if self.recorded {
            return;
        }
        self.recorded = true;
        let (service, method) = service_and_method(&self.path, code);
        let seconds = self.started.elapsed().as_secs_f64();
        self.families
            .seconds
            .get_or_create(&[("grpc_service", service.clone()), ("grpc_method", method.clone())])
            .observe(seconds);
        self.families
            .handled
            .get_or_create(&[
                ("grpc_service", service),
                ("grpc_method", method),
                ("grpc_code", code_name(code).to_owned()),
            ])
            .inc();
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.record(Code::Cancelled);
    }
}

/// The `grpc-status` in a header map, if there is one.
fn status_in(headers: &http::HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?;
    let number: i32 = value.to_str().ok()?.parse().ok()?;
    Some(Code::from_i32(number))
}

/// The service and method of a gRPC path `/package.Service/Method`.
///
/// A call the server does not implement, or whose method the authorization policy does not list (and so refuses),
/// is labelled `unknown`, so that clients probing arbitrary paths cannot grow the metric without bound.
fn service_and_method(path: &str, code: Code) -> (String, String) {
    let unknown = || ("unknown".to_owned(), "unknown".to_owned());
    if code == Code::Unimplemented || koprik_authz::policy::lookup(path).is_none() {
        return unknown();
    }
    match path.trim_start_matches('/').split_once('/') {
        Some((service, method)) if !service.is_empty() && !method.is_empty() && !method.contains('/') => {
            (service.to_owned(), method.to_owned())
        }
        _ => unknown(),
    }
}

/// The status code's canonical name, as gRPC spells it (`OK`, `InvalidArgument`, …).
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            service_and_method("/koprik.exchange.v1.Exchange/Call", Code::Ok),
            ("koprik.exchange.v1.Exchange".to_owned(), "Call".to_owned())
        );
        assert_eq!(service_and_method("/koprik.exchange.v1.Exchange/Made", Code::PermissionDenied).0, "unknown");
        assert_eq!(service_and_method("/a/b/c", Code::Ok).0, "unknown");
        assert_eq!(service_and_method("/", Code::Ok).0, "unknown");
        assert_eq!(service_and_method("/x.Y/Z", Code::Unimplemented).0, "unknown");
    }

    #[test]
    fn the_status_is_read_from_headers() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(status_in(&headers), None);
        headers.insert("grpc-status", http::HeaderValue::from_static("3"));
        assert_eq!(status_in(&headers), Some(Code::InvalidArgument));
    }
}
