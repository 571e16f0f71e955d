//! Free ports and waiting for a listener to accept connections.

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
