//! Consumers: a group consumer that commits only after processing, and a tailing consumer that reads whole
//! topics without a group (for caches and reply correlation), both decoding typed protobuf values.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use koprik_proto::prost::{Message, Name};
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use rdkafka::{Message as _, Offset, TopicPartitionList};

use crate::config::KafkaConfig;
use crate::error::{DecodeError, KafkaError};
use crate::headers::RecordHeaders;

/// A decoded record.
#[derive(Debug, Clone)]
pub struct Received<M> {
    /// The decoded value.
    pub value: M,
    /// The record key as text (empty when absent or not UTF-8).
    pub key: String,
    /// The Ko'prik headers.
    pub headers: RecordHeaders,
    /// Where the record is.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
}

/// Decodes a record as `M`, refusing records whose `koprik-type` header names another message.
pub fn decode<M: Message + Name + Default>(record: &impl rdkafka::Message) -> Result<Received<M>, DecodeError> {
    let fail = |reason: String| DecodeError {
        topic: record.topic().to_owned(),
        partition: record.partition(),
        offset: record.offset(),
        reason,
    };
    let headers = RecordHeaders::read(record.headers());
    if let Some(event_type) = &headers.event_type {
        if *event_type != M::full_name() {
            return Err(fail(format!("koprik-type is {event_type}, expected {}", M::full_name())));
        }
    }
    let value = M::decode(record.payload().unwrap_or_default())
        .map_err(|e| fail(format!("not a valid {}: {e}", M::full_name())))?;
    let key = record.key().and_then(|k| std::str::from_utf8(k).ok()).unwrap_or_default().to_owned();
    Ok(Received {
        value,
        key,
        headers,
        topic: record.topic().to_owned(),
        partition: record.partition(),
        offset: record.offset(),
    })
}

/// A member of consumer group `group_id` subscribed to `topics`. Offsets are committed only by
/// [`commit`], after the record has been processed; with no committed offset it starts at the earliest record.
pub fn group_consumer(config: &KafkaConfig, group_id: &str, topics: &[&str]) -> Result<StreamConsumer, KafkaError> {
    let consumer: StreamConsumer = config
        .client(group_id)
        .set("group.id", group_id)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", config.fetch_wait_max_ms())
        .create()
        .map_err(KafkaError::Client)?;
    consumer.subscribe(topics).map_err(|source| KafkaError::Consume { topic: topics.join(","), source })?;
    Ok(consumer)
}

/// Commits the offset after `record`: call it once the record's effects are durable.
pub fn commit(consumer: &StreamConsumer, record: &BorrowedMessage<'_>) -> Result<(), KafkaError> {
    consumer
        .commit_message(record, CommitMode::Async)
        .map_err(|source| KafkaError::Consume { topic: record.topic().to_owned(), source })
}

/// Where a tailing consumer starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// From the first record still on the broker: rebuilding a cache from a compacted topic.
    Beginning,
    /// From the records produced after the call: waiting for replies to requests not yet sent.
    End,
}

/// A consumer reading every partition of one topic without a consumer group, and the offsets it must reach to
/// have seen everything that existed when it started.
pub struct Tail {
    /// The consumer; read it with `recv()`.
    pub consumer: Arc<StreamConsumer>,
    /// Per partition, the high watermark at start: the consumer has caught up once it has read the record
    /// before it in every partition.
    pub catch_up: CatchUp,
}

/// Assigns every partition of `topic` to a new group-less consumer, starting at `start`.
///
/// Starting at [`Start::End`] pins the exact high-watermark offsets before returning, so a record produced after
/// this call is never missed (as it could be with a lazily resolved "latest").
pub async fn tail(config: &KafkaConfig, client_id: &str, topic: &str) -> Result<Tail, KafkaError> {
    tail_from(config, client_id, topic, Start::Beginning).await
}

/// [`tail`] with an explicit start.
pub async fn tail_from(config: &KafkaConfig, client_id: &str, topic: &str, start: Start) -> Result<Tail, KafkaError> {
    let consumer = Arc::new(manual_consumer(config, client_id)?);
    let err = |source| KafkaError::Consume { topic: topic.to_owned(), source };
    let watermarks = partition_watermarks(&consumer, topic).await?;

    let mut assignment = TopicPartitionList::new();
    let mut targets = HashMap::new();
    for &(partition, low, high) in &watermarks {
        let offset = match start {
            Start::Beginning => Offset::Beginning,
            Start::End => Offset::Offset(high),
        };
        assignment.add_partition_offset(topic, partition, offset).map_err(err)?;
        if start == Start::Beginning && high > low {
            targets.insert(partition, high);
        }
    }
    consumer.assign(&assignment).map_err(err)?;
    Ok(Tail { consumer, catch_up: CatchUp { targets } })
}

/// A record as stored, undecoded: for readers that check the exact value bytes (the audit chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// The key bytes (empty when absent).
    pub key: Vec<u8>,
    /// The value bytes exactly as stored.
    pub value: Vec<u8>,
}

/// A group-less consumer that is never committed; assign partitions to it by hand.
fn manual_consumer(config: &KafkaConfig, client_id: &str) -> Result<StreamConsumer, KafkaError> {
    config
        .client(client_id)
        // librdkafka wants a group id even for manual assignment; nothing is ever committed to it.
        .set("group.id", format!("{client_id}-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("fetch.wait.max.ms", config.fetch_wait_max_ms())
        .create()
        .map_err(KafkaError::Client)
}

/// The partitions of `topic` with their low and high watermarks, in partition order.
pub async fn watermarks(
    config: &KafkaConfig,
    client_id: &str,
    topic: &str,
) -> Result<Vec<(i32, i64, i64)>, KafkaError> {
    let consumer = Arc::new(manual_consumer(config, client_id)?);
    partition_watermarks(&consumer, topic).await
}

/// The partitions of `topic` with their low and high watermarks, read with an existing consumer (a tail's, say, so
/// that probing how far it has read opens no new connection).
pub async fn partition_watermarks(
    consumer: &Arc<StreamConsumer>,
    topic: &str,
) -> Result<Vec<(i32, i64, i64)>, KafkaError> {
    let owned_topic = topic.to_owned();
    let blocking = Arc::clone(consumer);
    let marks = tokio::task::spawn_blocking(move || {
        let timeout = Duration::from_secs(10);
        let metadata = blocking.fetch_metadata(Some(&owned_topic), timeout)?;
        let mut partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == owned_topic)
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        partitions.sort_unstable();
        let mut marks = Vec::with_capacity(partitions.len());
        for partition in partitions {
            let (low, high) = blocking.fetch_watermarks(&owned_topic, partition, timeout)?;
            marks.push((partition, low, high));
        }
        Ok::<_, rdkafka::error::KafkaError>(marks)
    })
    .await?
    .map_err(|source| KafkaError::Consume { topic: topic.to_owned(), source })?;
    if marks.is_empty() {
        return Err(KafkaError::MissingTopic { topic: topic.to_owned() });
    }
    Ok(marks)
}

/// Reads the records of one partition from offset `from` up to, not including, `to`, handing each to `each` in
/// offset order. Fails when the broker sends nothing for ten seconds before `to` is reached.
pub async fn read_range(
    config: &KafkaConfig,
    client_id: &str,
    topic: &str,
    partition: i32,
    from: i64,
    to: i64,
    mut each: impl FnMut(RawRecord),
) -> Result<(), KafkaError> {
    if from >= to {
        return Ok(());
    }
    let consumer = manual_consumer(config, client_id)?;
    let err = |source| KafkaError::Consume { topic: topic.to_owned(), source };
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, partition, Offset::Offset(from)).map_err(err)?;
    consumer.assign(&assignment).map_err(err)?;
    loop {
        let record = match tokio::time::timeout(Duration::from_secs(10), consumer.recv()).await {
            Ok(record) => record.map_err(err)?,
            Err(_) => {
                return Err(KafkaError::Consume {
                    topic: format!("{topic}[{partition}]"),
                    source: rdkafka::error::KafkaError::MessageConsumption(
                        rdkafka::types::RDKafkaErrorCode::RequestTimedOut,
                    ),
                })
            }
        };
        let offset = record.offset();
        if offset >= to {
            return Ok(());
        }
        each(RawRecord {
            partition: record.partition(),
            offset,
            key: record.key().unwrap_or_default().to_vec(),
            value: record.payload().unwrap_or_default().to_vec(),
        });
        if offset + 1 >= to {
            return Ok(());
        }
    }
}

/// Tracks whether a tailing consumer has read everything that was on the topic when it started.
#[derive(Debug, Clone, Default)]
pub struct CatchUp {
    targets: HashMap<i32, i64>,
}

impl CatchUp {
    /// Records that the record at `offset` of `partition` was read; true once every partition is caught up.
    pub fn observe(&mut self, partition: i32, offset: i64) -> bool {
        if self.targets.get(&partition).is_some_and(|&high| offset + 1 >= high) {
            self.targets.remove(&partition);
        }
        self.done()
    }

    /// True when nothing more must be read to be caught up.
    pub fn done(&self) -> bool {
        self.targets.is_empty()
    }
}

/// Waits for a record, then takes what else arrives within `linger`, up to `max` records: one batch for a consumer
/// that stores records in batches (one transaction each) and commits offsets after. A read error is logged and
/// retried after 200 ms. None once `shutdown` is cancelled.
pub async fn next_batch(
    consumer: &StreamConsumer,
    max: usize,
    linger: Duration,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Option<Vec<rdkafka::message::OwnedMessage>> {
    let first = loop {
        tokio::select! {
            () = shutdown.cancelled() => return None,
            record = consumer.recv() => match record {
                Ok(record) => break record.detach(),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read from the broker; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return None,
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            },
        }
    };
    let mut batch = vec![first];
    let until = tokio::time::Instant::now() + linger;
    while batch.len() < max {
        match tokio::time::timeout_at(until, consumer.recv()).await {
            Ok(Ok(record)) => batch.push(record.detach()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot read from the broker");
                break;
            }
            Err(_) => break,
        }
    }
    Some(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_up_waits_for_every_partition() {
        let mut catch_up = CatchUp { targets: HashMap::from([(0, 3), (1, 1)]) };
        assert!(!catch_up.observe(0, 1));
        assert!(!catch_up.observe(1, 0));
        assert!(catch_up.observe(0, 2));
        assert!(catch_up.done());
    }
}
