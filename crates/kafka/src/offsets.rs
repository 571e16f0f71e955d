//! Committing offsets when records finish out of order: a consumer that processes several records at once may
//! commit a partition only up to its oldest record still in flight, so a crash replays every unfinished record
//! and never skips one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::error::KafkaError;

/// The records read but not yet finished, per topic and partition.
#[derive(Debug, Default)]
pub struct InFlight {
    partitions: HashMap<(String, i32), Partition>,
}

#[derive(Debug, Default)]
struct Partition {
    /// Offsets read and not yet finished.
    open: BTreeSet<i64>,
    /// The offset after the last record read: what may be committed once nothing is open.
    next: i64,
    /// The offset last reported as committable.
    committed: Option<i64>,
}

impl InFlight {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes that the record at `offset` was read and is being processed.
    pub fn start(&mut self, topic: &str, partition: i32, offset: i64) {
        let entry = self.partitions.entry((topic.to_owned(), partition)).or_default();
        // The first record read from a partition is where its committed offset already stands.
        entry.committed.get_or_insert(offset);
        entry.open.insert(offset);
        entry.next = entry.next.max(offset + 1);
    }

    /// Notes that the record at `offset` is finished (its effects are durable). Returns the offset to commit for
    /// its partition when that moved forward: the oldest record still open, or the offset after the last record
    /// read when none is.
    pub fn finish(&mut self, topic: &str, partition: i32, offset: i64) -> Option<i64> {
        let entry = self.partitions.get_mut(&(topic.to_owned(), partition))?;
        entry.open.remove(&offset);
        let committable = entry.open.first().copied().unwrap_or(entry.next);
        if entry.committed.is_some_and(|c| c >= committable) {
            return None;
        }
        entry.committed = Some(committable);
        Some(committable)
    }

    /// How many records are open across all partitions.
    pub fn len(&self) -> usize {
        self.partitions.values().map(|p| p.open.len()).sum()
    }

    /// True when no record is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Commits, for each `(topic, partition)`, the offset of the next record to read. A commit that fails is reported
/// and leaves the previous commit in place: the records after it are read again after a restart.
pub fn commit_offsets(consumer: &StreamConsumer, offsets: &BTreeMap<(String, i32), i64>) -> Result<(), KafkaError> {
    if offsets.is_empty() {
        return Ok(());
    }
    let topics = || offsets.keys().map(|(t, _)| t.as_str()).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>();
    let mut list = TopicPartitionList::new();
    for ((topic, partition), offset) in offsets {
        list.add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .map_err(|source| KafkaError::Consume { topic: topic.clone(), source })?;
    }
    consumer
        .commit(&list, CommitMode::Async)
        .map_err(|source| KafkaError::Consume { topic: topics().join(","), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_up_to_the_oldest_open_record() {
        let mut flight = InFlight::new();
        for offset in 10..14 {
            flight.start("t", 0, offset);
        }
        // 11 and 12 finish first: 10 is still open, nothing may be committed.
        assert_eq!(flight.finish("t", 0, 11), None);
        assert_eq!(flight.finish("t", 0, 12), None);
        // 10 finishes: everything before 13 is done.
        assert_eq!(flight.finish("t", 0, 10), Some(13));
        assert_eq!(flight.len(), 1);
        assert_eq!(flight.finish("t", 0, 13), Some(14));
        assert!(flight.is_empty());
    }

    #[test]
    fn partitions_are_independent() {
        let mut flight = InFlight::new();
        flight.start("t", 0, 5);
        flight.start("t", 1, 7);
        assert_eq!(flight.finish("t", 1, 7), Some(8));
        assert_eq!(flight.len(), 1);
        assert_eq!(flight.finish("t", 0, 5), Some(6));
    }

    #[test]
    fn an_unknown_record_commits_nothing() {
        let mut flight = InFlight::new();
        assert_eq!(flight.finish("t", 0, 3), None);
    }
}
