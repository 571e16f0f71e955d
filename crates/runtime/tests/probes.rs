//! The operations port answers orchestrators that cannot speak gRPC over TLS: `/live` while the process runs,
//! `/ready` only while the gRPC server serves (not before it starts, not once it drains).

use std::time::Duration;

use koprik_runtime::config::GrpcServerConfig;
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{grpc, CancellationToken};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The status code of `GET path` on `addr`.
async fn status(addr: std::net::SocketAddr, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("the operations port answers");
    let request = format!("GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("response read");
    response.split_whitespace().nth(1).and_then(|code| code.parse().ok()).expect("an HTTP status line")
}

#[tokio::test]
async fn ready_only_while_the_grpc_server_serves() {
    let metrics = Metrics::new("test");
    let operations = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let operations_addr = operations.local_addr().expect("an address");
    let operations_stop = CancellationToken::new();
    tokio::spawn(metrics.clone().serve(operations, operations_stop.clone()));

    assert_eq!(status(operations_addr, "/live").await, 200);
    assert_eq!(status(operations_addr, "/ready").await, 503, "not ready before the gRPC server starts");

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    let (router, _health) =
        grpc::router_with_health(&GrpcServerConfig::plain(addr), &metrics, grpc::open_guard(&metrics))
            .expect("a server");
    let shutdown = CancellationToken::new();
    let served = tokio::spawn(grpc::serve(router, listener, metrics.readiness(), shutdown.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while status(operations_addr, "/ready").await != 200 {
        assert!(tokio::time::Instant::now() < deadline, "never ready while serving");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    shutdown.cancel();
    served.await.expect("the server task").expect("served cleanly");
    assert_eq!(status(operations_addr, "/ready").await, 503, "not ready once drained");
    assert_eq!(status(operations_addr, "/live").await, 200);
    operations_stop.cancel();
}
