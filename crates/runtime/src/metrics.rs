//! The operations port of every service: Prometheus metrics (a registry each service fills with its own), served as
//! text on `GET /metrics`, and probes for orchestrators that cannot speak gRPC over TLS: `GET /live` (the process
//! answers) and `GET /ready` (the gRPC server is serving; 503 before it starts and once it is draining).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The metrics of one service, shared between the code that records them and the HTTP endpoint.
///
/// A `std::sync::Mutex` is enough: registration happens at start-up and encoding takes microseconds, so the lock
/// is never held across an await.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    ready: Readiness,
}

/// Whether the service's gRPC server is serving, as `GET /ready` reports it.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Marks the service ready (serving) or not (starting, draining).
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    /// Whether the service is ready.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Metrics {
    /// An empty registry whose metric names all start with `koprik_<service>_`.
    pub fn new(service: &str) -> Self {
        let prefix = format!("koprik_{}", service.replace('-', "_"));
        Self { registry: Arc::new(Mutex::new(Registry::with_prefix(prefix))), ready: Readiness::default() }
    }

    /// The readiness `GET /ready` reports; the gRPC server sets it ([`crate::grpc::serve`]).
    pub fn readiness(&self) -> Readiness {
        self.ready.clone()
    }

    /// Registers metrics; `f` runs with the registry locked, and what it returns (the metric handles) is returned.
    pub fn register<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        let mut registry = self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut registry)
    }

    /// The metrics in the Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let registry = self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }

    /// Serves `GET /metrics`, `GET /live` and `GET /ready` on `listener` until `shutdown` is cancelled.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
        let ready = self.ready.clone();
        let app = Router::new()
            .route("/live", get(|| async { (StatusCode::OK, "live\n") }))
            .route(
                "/ready",
                get(move || {
                    let ready = ready.is_ready();
                    async move {
                        if ready {
                            (StatusCode::OK, "ready\n")
                        } else {
                            (StatusCode::SERVICE_UNAVAILABLE, "not ready: starting or draining\n")
                        }
                    }
                }),
            )
            .route(
                "/metrics",
                get(move || {
                    let metrics = self.clone();
                    async move {
                        (
                            StatusCode::OK,
                            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
                            metrics.encode(),
                        )
                            .into_response()
                    }
                }),
            );
        axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
    }
}
