//! Reading what services published: the typed records of a topic, from the beginning, until one matches.

use std::time::{Duration, Instant};

use koprik_kafka::consumer::tail;
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::{decode, KafkaConfig, Received};
use koprik_proto::prost::{Message, Name};

/// Reads `topic` from the beginning until a record decodes as `M` and satisfies `matches`; panics with what it
/// saw after `timeout`.
pub async fn wait_for_record<M, F>(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
    matches: F,
) -> Received<M>
where
    M: Message + Name + Default,
    F: Fn(&Received<M>) -> bool,
{
    let start = Instant::now();
    let mut seen = 0usize;
    // The topic may not exist yet when the test starts looking.
    let tail = loop {
        match tail(config, "koprik-test-reader", topic).await {
            Ok(tail) => break tail,
            Err(e) => {
                assert!(
                    start.elapsed() < timeout,
                    "cannot read {topic} within {timeout:?}: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    loop {
        let remaining = timeout.saturating_sub(start.elapsed());
        let record = tokio::time::timeout(remaining, tail.consumer.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no matching {} on {topic} within {timeout:?} ({seen} records seen)",
                    M::full_name()
                )
            });
        let record = record.unwrap_or_else(|e| panic!("reading {topic}: {e}"));
        seen += 1;
        match decode::<M>(&record) {
            Ok(received) if matches(&received) => return received,
            Ok(_) => {}
            Err(e) => panic!(
                "{topic} holds a record that is not a {}: {e} (offset {})",
                M::full_name(),
                record.offset()
            ),
        }
    }
}
