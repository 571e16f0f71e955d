//! Serving gRPC: a tonic server with the configured TLS, every call observed and then authorized by the one
//! policy ([`koprik_authz::Guard`]), gRPC health and reflection, on a listener the caller bound (so tests can use
//! port 0), stopping gracefully when the shutdown token is cancelled.

use std::time::Duration;

use koprik_authz::Guard;
use koprik_proto::tonic::transport::server::Router;
use koprik_proto::tonic::transport::Server;
use koprik_proto::tonic_health::server::{health_reporter, HealthReporter};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tower_layer::{Identity, Stack};

use crate::config::{ConfigError, GrpcServerConfig};
use crate::grpc_observe::GrpcObserveLayer;
use crate::metrics::{Metrics, Readiness};

/// The layers every server has: calls measured ([`GrpcObserveLayer`], outermost, so refusals are counted too),
/// then authorized ([`Guard`]).
pub type Layers = Stack<Guard, Stack<GrpcObserveLayer, Identity>>;

/// A server builder with every call measured and authorized.
pub type MeteredServer = Server<Layers>;

/// The routes of a [`MeteredServer`]: what services add their gRPC services to.
pub type MeteredRouter = Router<Layers>;

/// A tonic server builder with TLS applied from the configuration, sane transport limits, every call counted and
/// timed in `metrics`, and every call authorized by `guard`.
pub fn server(config: &GrpcServerConfig, metrics: &Metrics, guard: Guard) -> Result<MeteredServer, ConfigError> {
    let mut server = Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .tcp_nodelay(true);
    if let Some(tls) = config.tls.load()? {
        server = server.tls_config(tls).map_err(|e| ConfigError::invalid("grpc.tls", e.to_string()))?;
    }
    Ok(server.layer(GrpcObserveLayer::register(metrics)).layer(guard))
}

/// A guard for a server that serves only open methods (health and reflection), its refusals counted in `metrics`.
pub fn open_guard(metrics: &Metrics) -> Guard {
    metrics.register(Guard::open_only)
}

/// A server builder with the gRPC health service and reflection already added. The overall status (`""`) is
/// `SERVING` from the start, so services start this server only once they are ready; named services are unknown
/// until the caller marks them serving.
pub fn router_with_health(
    config: &GrpcServerConfig,
    metrics: &Metrics,
    guard: Guard,
) -> Result<(MeteredRouter, HealthReporter), ConfigError> {
    let (reporter, health) = health_reporter();
    let reflection = koprik_proto::reflection_service()
        .map_err(|e| ConfigError::invalid("grpc", format!("cannot build reflection service: {e}")))?;
    let router = server(config, metrics, guard)?.add_service(health).add_service(reflection);
    Ok((router, reporter))
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets in-flight calls finish. `ready` reads
/// true while it serves and false from the moment it starts draining, so orchestrators stop sending new calls
/// before the last ones finish.
pub async fn serve(
    router: MeteredRouter,
    listener: TcpListener,
    ready: Readiness,
    shutdown: CancellationToken,
) -> Result<(), koprik_proto::tonic::transport::Error> {
    ready.set(true);
    let draining = ready.clone();
    let served = router
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
            shutdown.cancelled().await;
            draining.set(false);
        })
        .await;
    ready.set(false);
    served
}
