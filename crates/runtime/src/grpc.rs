//! Serving gRPC: a tonic server with the configured TLS, gRPC health and reflection, on a listener the caller
//! bound (so tests can use port 0), stopping gracefully when the shutdown token is cancelled.

use std::time::Duration;

use koprik_proto::tonic::transport::server::Router;
use koprik_proto::tonic::transport::Server;
use koprik_proto::tonic_health::server::{health_reporter, HealthReporter};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, GrpcServerConfig};

/// A tonic server builder with TLS applied from the configuration and sane transport limits.
pub fn server(config: &GrpcServerConfig) -> Result<Server, ConfigError> {
    let mut server = Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .tcp_nodelay(true);
    if let Some(tls) = config.tls.load()? {
        server = server.tls_config(tls).map_err(|e| ConfigError::invalid("grpc.tls", e.to_string()))?;
    }
    Ok(server)
}

/// A server builder with the gRPC health service and reflection already added. The overall status (`""`) is
/// `SERVING` from the start, so services start this server only once they are ready; named services are unknown
/// until the caller marks them serving.
pub fn router_with_health(config: &GrpcServerConfig) -> Result<(Router, HealthReporter), ConfigError> {
    let (reporter, health) = health_reporter();
    let reflection = koprik_proto::reflection_service()
        .map_err(|e| ConfigError::invalid("grpc", format!("cannot build reflection service: {e}")))?;
    let router = server(config)?.add_service(health).add_service(reflection);
    Ok((router, reporter))
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets in-flight calls finish.
pub async fn serve(
    router: Router,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), koprik_proto::tonic::transport::Error> {
    router
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
            shutdown.cancelled().await;
        })
        .await
}
