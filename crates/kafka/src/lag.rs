//! Consumer lag as a metric: for each consumer group a service runs, how many records wait behind the group's
//! committed offset, per topic and partition (`koprik_<service>_kafka_consumer_lag`).
//!
//! Lag is measured from outside the group, as Kafka's own tools do: a client with the group's id that never joins
//! it reads the committed offsets (OffsetFetch) and the high watermarks (ListOffsets). It therefore keeps working
//! when the group's consumer is stuck, which is exactly when the number matters. A partition the group never
//! committed counts everything still on the broker (high − low watermark).

use std::time::Duration;

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{KafkaConfig, KafkaError};

/// Labels of one partition's lag.
type LagLabels = [(&'static str, String); 3];

/// How long one measurement may wait for the broker.
const BROKER_TIMEOUT: Duration = Duration::from_secs(5);

/// The lag metric of one service; [`ConsumerLag::watch`] each group it consumes with.
#[derive(Clone, Default)]
pub struct ConsumerLag {
    lag: Family<LagLabels, Gauge>,
}

impl ConsumerLag {
    /// Registers `kafka_consumer_lag{group, topic, partition}` in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let this = Self::default();
        registry.register("kafka_consumer_lag", "Records behind the group's committed offset", this.lag.clone());
        this
    }

    /// Measures `group`'s lag on `topics` every `config.lag_interval` until `shutdown`. A failed measurement is
    /// logged and leaves the last values in place; the next one tries again.
    pub fn watch(
        &self,
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
        shutdown: CancellationToken,
    ) -> Result<JoinHandle<()>, KafkaError> {
        let client: BaseConsumer = config
            .client(&format!("{group}-lag"))
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()
            .map_err(KafkaError::Client)?;
        let client = std::sync::Arc::new(client);
        let topics: Vec<String> = topics.iter().map(|t| (*t).to_owned()).collect();
        let (lag, group, every) = (self.lag.clone(), group.to_owned(), config.lag_interval);
        Ok(tokio::spawn(async move {
            loop {
                let (client, topics) = (client.clone(), topics.clone());
                match tokio::task::spawn_blocking(move || measure(&client, &topics)).await {
                    Ok(Ok(partitions)) => {
                        for p in partitions {
                            let labels =
                                [("group", group.clone()), ("topic", p.topic), ("partition", p.partition.to_string())];
                            lag.get_or_create(&labels).set(p.lag);
                        }
                    }
                    Ok(Err(e)) => tracing::warn!(group, error = %e, "cannot measure consumer lag"),
                    Err(e) => tracing::warn!(group, error = %e, "consumer lag measurement panicked"),
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
            }
        }))
    }
}

/// One partition's lag.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PartitionLag {
    topic: String,
    partition: i32,
    lag: i64,
}

/// Reads the committed offsets and watermarks of every partition of `topics` (blocking).
fn measure(client: &BaseConsumer, topics: &[String]) -> Result<Vec<PartitionLag>, rdkafka::error::KafkaError> {
    let mut wanted = TopicPartitionList::new();
    for topic in topics {
        let metadata = client.fetch_metadata(Some(topic), BROKER_TIMEOUT)?;
        for t in metadata.topics().iter().filter(|t| t.name() == topic) {
            for p in t.partitions() {
                wanted.add_partition(topic, p.id());
            }
        }
    }
    let committed = client.committed_offsets(wanted, BROKER_TIMEOUT)?;
    let mut lags = Vec::new();
    for element in committed.elements() {
        let (low, high) = client.fetch_watermarks(element.topic(), element.partition(), BROKER_TIMEOUT)?;
        lags.push(PartitionLag {
            topic: element.topic().to_owned(),
            partition: element.partition(),
            lag: lag(element.offset(), low, high),
        });
    }
    Ok(lags)
}

/// Records between the committed position and the high watermark; everything on the broker when nothing was
/// committed.
fn lag(committed: Offset, low: i64, high: i64) -> i64 {
    let from = match committed {
        Offset::Offset(offset) => offset.max(low),
        _ => low,
    };
    (high - from).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_from_the_committed_offset_or_the_first_record() {
        assert_eq!(lag(Offset::Offset(7), 0, 10), 3);
        assert_eq!(lag(Offset::Offset(10), 0, 10), 0);
        assert_eq!(lag(Offset::Invalid, 4, 10), 6);
        // Records removed by retention below the committed offset do not make the lag negative.
        assert_eq!(lag(Offset::Offset(2), 5, 10), 5);
        assert_eq!(lag(Offset::Offset(12), 0, 10), 0);
    }
}
