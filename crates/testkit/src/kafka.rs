//! Reading what services published: records of a topic, from the beginning, until one matches.

use std::time::{Duration, Instant};

use koprik_kafka::consumer::tail;
use koprik_kafka::rdkafka::message::{BorrowedMessage, Headers};
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::{decode, KafkaConfig, Received};
use koprik_proto::prost::{Message, Name};

/// A record as read, undecoded.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub payload: Vec<u8>,
    /// All headers, in order.
    pub headers: Vec<(String, String)>,
}

impl RawRecord {
    fn of(record: &BorrowedMessage<'_>) -> Self {
        let headers = record
            .headers()
            .map(|h| {
                h.iter()
                    .map(|header| {
                        let value = header.value.map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default();
                        (header.key.to_owned(), value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            key: record.key().unwrap_or_default().to_vec(),
            payload: record.payload().unwrap_or_default().to_vec(),
            headers,
        }
    }

    /// The value of header `key`, if present.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Reads `topic` from the beginning until `found` returns a value for a record; panics after `timeout`.
async fn scan<T>(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
    what: &str,
    found: impl Fn(&BorrowedMessage<'_>) -> Option<T>,
) -> T {
    let start = Instant::now();
    let mut seen = 0usize;
    // The topic may not exist yet when the test starts looking.
    let tail = loop {
        match tail(config, "koprik-test-reader", topic).await {
            Ok(tail) => break tail,
            Err(e) => {
                assert!(start.elapsed() < timeout, "cannot read {topic} within {timeout:?}: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    loop {
        let remaining = timeout.saturating_sub(start.elapsed());
        let record = tokio::time::timeout(remaining, tail.consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching {what} on {topic} within {timeout:?} ({seen} records seen)"));
        let record = record.unwrap_or_else(|e| panic!("reading {topic}: {e}"));
        seen += 1;
        if let Some(value) = found(&record) {
            return value;
        }
    }
}

/// Reads `topic` from the beginning until a record decodes as `M` and satisfies `matches`; panics with what it
/// saw after `timeout`, or when the topic holds a record that is not an `M`.
pub async fn wait_for_record<M, F>(config: &KafkaConfig, topic: &str, timeout: Duration, matches: F) -> Received<M>
where
    M: Message + Name + Default,
    F: Fn(&Received<M>) -> bool,
{
    scan(config, topic, timeout, &M::full_name(), |record| match decode::<M>(record) {
        Ok(received) => matches(&received).then_some(received),
        Err(e) => panic!("{topic} holds a record that is not a {}: {e}", M::full_name()),
    })
    .await
}

/// Reads `topic` from the beginning until a record satisfies `matches`, whatever its value.
pub async fn wait_for_raw<F>(config: &KafkaConfig, topic: &str, timeout: Duration, matches: F) -> RawRecord
where
    F: Fn(&RawRecord) -> bool,
{
    scan(config, topic, timeout, "record", |record| {
        let raw = RawRecord::of(record);
        matches(&raw).then_some(raw)
    })
    .await
}
