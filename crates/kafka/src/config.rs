//! The `kafka` section of every service's configuration.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;
use serde::{Deserialize, Serialize};

/// How a service reaches the broker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Comma-separated `host:port` list of brokers.
    pub bootstrap_servers: String,
    /// How long the broker may hold a fetch when no data is ready (`fetch.wait.max.ms`). Keep it low for the
    /// request and reply topics with Tansu, which answers a fetch only when this expires; real Kafka returns as
    /// soon as data arrives, so 500ms is right there.
    #[serde(with = "humantime_serde")]
    pub fetch_wait_max: Duration,
    /// How long a produced record may wait for the broker's acknowledgement before the send fails
    /// (`message.timeout.ms`).
    #[serde(with = "humantime_serde")]
    pub delivery_timeout: Duration,
    /// Create the topics this service produces to or owns at start-up (idempotent). Turn off where topics are
    /// managed outside the services (e.g. Strimzi `KafkaTopic` resources) and clients lack the ACL to create them.
    pub create_topics: bool,
    /// Partitions of topics this service creates.
    pub partitions: i32,
    /// Replication factor of topics this service creates (1 for a single development broker, 3 in production).
    pub replication_factor: i32,
    /// How often each consumer group's lag is measured for the `kafka_consumer_lag` metric.
    #[serde(default = "default_lag_interval", with = "humantime_serde")]
    pub lag_interval: Duration,
    /// Extra librdkafka properties for every client, e.g. `security.protocol`, `sasl.mechanism`.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            bootstrap_servers: "127.0.0.1:9092".into(),
            fetch_wait_max: Duration::from_millis(10),
            delivery_timeout: Duration::from_secs(10),
            create_topics: true,
            partitions: 1,
            replication_factor: 1,
            lag_interval: default_lag_interval(),
            properties: BTreeMap::new(),
        }
    }
}

fn default_lag_interval() -> Duration {
    Duration::from_secs(10)
}

impl KafkaConfig {
    /// A configuration for the broker at `bootstrap_servers`, otherwise the defaults.
    pub fn with_brokers(bootstrap_servers: impl Into<String>) -> Self {
        Self { bootstrap_servers: bootstrap_servers.into(), ..Self::default() }
    }

    /// librdkafka settings shared by every client; `client_id` names the service in broker logs.
    pub(crate) fn client(&self, client_id: &str) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.bootstrap_servers)
            .set("client.id", client_id)
            .set("socket.nagle.disable", "true");
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }

    /// `fetch.wait.max.ms` as librdkafka wants it.
    pub(crate) fn fetch_wait_max_ms(&self) -> String {
        self.fetch_wait_max.as_millis().max(1).to_string()
    }
}
