//! Free ports, waiting for a listener to accept connections, and plain HTTP GETs (for `/metrics`).

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

/// A port nobody listens on right now (the OS picks it; the small race is acceptable in tests).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("the OS assigns a free port");
    listener.local_addr().expect("a bound listener has an address").port()
}

/// Waits until `addr` accepts TCP connections, or panics after `timeout`.
pub async fn wait_for_listener(addr: SocketAddr, timeout: Duration) {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(start.elapsed() < timeout, "nothing listens on {addr} after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `GET path` over plain HTTP/1.1; the whole response, headers included (for checking `/metrics`).
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream =
        tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("nothing listens on {addr}: {e}"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("the request is written");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("the response is read");
    response
}
