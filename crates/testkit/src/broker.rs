//! A real Kafka-protocol broker for a test: a Tansu process with in-memory storage on a free port, killed when
//! dropped. Starting one takes about 10 ms, so every test gets its own and topics never leak between tests.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use koprik_kafka::KafkaConfig;

use crate::net::{free_port, wait_for_listener};

/// A running Tansu broker.
pub struct Broker {
    child: Child,
    bootstrap: String,
}

impl Broker {
    /// Starts a broker with in-memory storage and waits until it accepts connections.
    pub async fn start() -> Self {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let binary = koprik_kafka::tansu::binary();
        let child = Command::new(&binary)
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the Tansu broker {}: {e}; {}", binary.display(), koprik_kafka::tansu::INSTALL_HINT)
            });
        let broker = Self { child, bootstrap: format!("127.0.0.1:{port}") };
        let addr = broker.bootstrap.parse().expect("127.0.0.1:<port> is a socket address");
        wait_for_listener(addr, Duration::from_secs(10)).await;
        broker
    }

    /// `host:port` of the broker.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// A Kafka configuration pointing at this broker, with the low fetch wait Tansu needs.
    pub fn kafka_config(&self) -> KafkaConfig {
        KafkaConfig {
            fetch_wait_max: Duration::from_millis(5),
            delivery_timeout: Duration::from_secs(5),
            lag_interval: Duration::from_secs(1),
            ..KafkaConfig::with_brokers(&self.bootstrap)
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
