//! The audit hash chain (`koprik.events.v1.AuditRecord` fields 14-16): how a link is made, and the pure check of
//! every chain on `exchange.audit` that `koprik audit verify` runs. Each gateway replica writes one chain, keyed by
//! the chain id so it lives in one partition; `sequence` starts at 0 and grows by one; `previous_sha256` is the
//! hex SHA-256 of the previous record's value bytes exactly as stored. Removing, altering or reordering a record
//! therefore breaks a link that no one without the stored bytes can mend.

use std::collections::BTreeMap;
use std::fmt;

use prost::Message;
use sha2::{Digest, Sha256};

use crate::events::AuditRecord;

/// The link to a stored record: the hex SHA-256 of its value bytes.
pub fn link_hash(value: &[u8]) -> String {
    hex::encode(Sha256::digest(value))
}

/// What is wrong with a record of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The value is not an `AuditRecord`.
    Undecodable(String),
    /// The record names no chain.
    Unchained,
    /// The chain's first record on the topic is not sequence 0: earlier records are missing.
    MissingStart {
        /// The sequence found.
        found: u64,
    },
    /// The sequence is not the previous one plus one: records missing (gap) or repeated/reordered.
    Sequence {
        /// The sequence that should follow.
        expected: u64,
        /// The sequence found.
        found: u64,
    },
    /// `previous_sha256` is not the hash of the previous record of the chain: that record was altered, removed or
    /// this one forged.
    PreviousHash {
        /// The hash of the previous stored record (empty for the first).
        expected: String,
        /// What the record claims.
        found: String,
    },
    /// The chain continues in another partition than where it started (keys must keep a chain in one partition).
    TwoPartitions {
        /// The partition the chain started in.
        first: i32,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undecodable(reason) => write!(f, "the value is not an AuditRecord: {reason}"),
            Self::Unchained => write!(f, "the record names no chain"),
            Self::MissingStart { found } => {
                write!(f, "the chain starts at sequence {found}: records 0..{found} are missing")
            }
            Self::Sequence { expected, found } if found > expected => {
                write!(f, "sequence {found} follows {}: {} record(s) missing", expected - 1, found - expected)
            }
            Self::Sequence { expected, found } => {
                write!(f, "sequence {found} where {expected} was expected: a record repeated or reordered")
            }
            Self::PreviousHash { expected, found } => write!(
                f,
                "previous_sha256 is {found:?} but the previous record hashes to {expected:?}: the previous record \
                 was altered or removed, or this one forged"
            ),
            Self::TwoPartitions { first } => write!(f, "the chain started in partition {first} and continues here"),
        }
    }
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The chain (empty when the record could not be read or names none).
    pub chain: String,
    /// The record's sequence (0 when it could not be read).
    pub sequence: u64,
    /// Where the record is.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chain = if self.chain.is_empty() { "?" } else { &self.chain };
        write!(
            f,
            "chain {chain} sequence {} at partition {} offset {}: {}",
            self.sequence, self.partition, self.offset, self.problem
        )
    }
}

/// One chain as verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    /// The chain id (the gateway instance that writes it).
    pub chain: String,
    /// The partition it lives in.
    pub partition: i32,
    /// How many records it has on the topic.
    pub records: u64,
    /// The first and last sequence seen.
    pub first_sequence: u64,
    /// The last sequence seen.
    pub last_sequence: u64,
    /// The link to the last record: what the next record's `previous_sha256` must be.
    pub last_sha256: String,
    /// Its first broken link, if any (later records of a broken chain are counted, not checked).
    pub broken: Option<Break>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every chain, by id.
    pub chains: Vec<ChainSummary>,
    /// Records that belong to no chain because they could not be read or name none.
    pub orphans: Vec<Break>,
}

impl Report {
    /// True when every chain is intact and every record belongs to one.
    pub fn intact(&self) -> bool {
        self.orphans.is_empty() && self.chains.iter().all(|c| c.broken.is_none())
    }

    /// The first broken link, in topic order (partition, then offset).
    pub fn first_break(&self) -> Option<&Break> {
        self.orphans
            .iter()
            .chain(self.chains.iter().filter_map(|c| c.broken.as_ref()))
            .min_by_key(|b| (b.partition, b.offset))
    }
}

/// Checks records as they come, in offset order within each partition (partitions may interleave).
#[derive(Debug, Default)]
pub struct Verifier {
    chains: BTreeMap<String, ChainSummary>,
    orphans: Vec<Break>,
}

impl Verifier {
    /// Checks the record stored at `offset` of `partition` with value bytes `value`.
    pub fn observe(&mut self, partition: i32, offset: i64, value: &[u8]) {
        let record = match AuditRecord::decode(value) {
            Ok(record) => record,
            Err(e) => {
                let problem = Problem::Undecodable(e.to_string());
                self.orphans.push(Break { chain: String::new(), sequence: 0, partition, offset, problem });
                return;
            }
        };
        if record.chain.is_empty() {
            let problem = Problem::Unchained;
            self.orphans.push(Break { chain: String::new(), sequence: record.sequence, partition, offset, problem });
            return;
        }
        let hash = link_hash(value);
        let broken =
            |problem| Break { chain: record.chain.clone(), sequence: record.sequence, partition, offset, problem };
        let Some(summary) = self.chains.get_mut(&record.chain) else {
            let problem = if record.sequence != 0 {
                Some(Problem::MissingStart { found: record.sequence })
            } else if !record.previous_sha256.is_empty() {
                Some(Problem::PreviousHash { expected: String::new(), found: record.previous_sha256.clone() })
            } else {
                None
            };
            self.chains.insert(
                record.chain.clone(),
                ChainSummary {
                    chain: record.chain.clone(),
                    partition,
                    records: 1,
                    first_sequence: record.sequence,
                    last_sequence: record.sequence,
                    last_sha256: hash,
                    broken: problem.map(broken),
                },
            );
            return;
        };
        summary.records += 1;
        if summary.broken.is_none() {
            let expected = summary.last_sequence + 1;
            summary.broken = if partition != summary.partition {
                Some(broken(Problem::TwoPartitions { first: summary.partition }))
            } else if record.sequence != expected {
                Some(broken(Problem::Sequence { expected, found: record.sequence }))
            } else if record.previous_sha256 != summary.last_sha256 {
                Some(broken(Problem::PreviousHash {
                    expected: summary.last_sha256.clone(),
                    found: record.previous_sha256.clone(),
                }))
            } else {
                None
            };
        }
        summary.last_sequence = record.sequence;
        summary.last_sha256 = hash;
    }

    /// The report of everything observed.
    pub fn finish(self) -> Report {
        Report { chains: self.chains.into_values().collect(), orphans: self.orphans }
    }
}

/// Verifies stored records given as (partition, offset, value bytes), in offset order within each partition.
pub fn verify<'a>(records: impl IntoIterator<Item = (i32, i64, &'a [u8])>) -> Report {
    let mut verifier = Verifier::default();
    for (partition, offset, value) in records {
        verifier.observe(partition, offset, value);
    }
    verifier.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of `n` records as a gateway writes it.
    fn chain(name: &str, n: u64) -> Vec<Vec<u8>> {
        let mut previous = String::new();
        (0..n)
            .map(|sequence| {
                let value = AuditRecord {
                    request_id: format!("request-{sequence}"),
                    chain: name.into(),
                    sequence,
                    previous_sha256: previous.clone(),
                    ..Default::default()
                }
                .encode_to_vec();
                previous = link_hash(&value);
                value
            })
            .collect()
    }

    fn stored(values: &[Vec<u8>]) -> Vec<(i32, i64, &[u8])> {
        values.iter().enumerate().map(|(i, v)| (0, i as i64, v.as_slice())).collect()
    }

    #[test]
    fn an_intact_chain_verifies_with_its_summary() {
        let values = chain("gateway-1", 5);
        let report = verify(stored(&values));
        assert!(report.intact(), "{report:?}");
        let summary = &report.chains[0];
        assert_eq!((summary.records, summary.first_sequence, summary.last_sequence), (5, 0, 4));
        assert_eq!(summary.last_sha256, link_hash(&values[4]));
    }

    #[test]
    fn altering_one_byte_of_a_record_breaks_the_next_link() {
        let mut values = chain("gateway-1", 5);
        // A byte inside the request id: the record still decodes, and its successor's link no longer matches.
        values[2][4] ^= 0x01;
        assert!(AuditRecord::decode(values[2].as_slice()).is_ok());
        let report = verify(stored(&values));
        let broken = report.first_break().expect("broken");
        assert_eq!((broken.sequence, broken.offset), (3, 3), "{broken}");
        assert!(matches!(broken.problem, Problem::PreviousHash { .. }), "{broken}");
    }

    #[test]
    fn altering_the_last_record_is_detected_when_it_no_longer_decodes_or_links() {
        // The newest record has no successor to vouch for it; an alteration that keeps it decodable is only seen
        // against a hash kept elsewhere (the summary's last_sha256). Changing its link is seen here.
        let mut values = chain("gateway-1", 3);
        let mut record = AuditRecord::decode(values[2].as_slice()).expect("decodes");
        record.previous_sha256 = link_hash(b"forged");
        values[2] = record.encode_to_vec();
        let broken = verify(stored(&values)).first_break().cloned().expect("broken");
        assert_eq!(broken.sequence, 2);
    }

    #[test]
    fn removing_a_record_is_a_gap() {
        let mut values = chain("gateway-1", 5);
        values.remove(2);
        let report = verify(stored(&values));
        let broken = report.first_break().expect("broken");
        assert_eq!(broken.problem, Problem::Sequence { expected: 2, found: 3 });
        assert_eq!(broken.offset, 2);
    }

    #[test]
    fn removing_the_first_record_is_a_missing_start() {
        let mut values = chain("gateway-1", 3);
        values.remove(0);
        assert_eq!(verify(stored(&values)).first_break().expect("broken").problem, Problem::MissingStart { found: 1 });
    }

    #[test]
    fn reordering_two_records_is_detected() {
        let mut values = chain("gateway-1", 5);
        values.swap(1, 2);
        let broken = verify(stored(&values)).first_break().cloned().expect("broken");
        assert_eq!(broken.problem, Problem::Sequence { expected: 1, found: 2 });
        assert_eq!(broken.offset, 1);
    }

    #[test]
    fn a_repeated_record_is_detected() {
        let mut values = chain("gateway-1", 3);
        values.push(values[2].clone());
        let broken = verify(stored(&values)).first_break().cloned().expect("broken");
        assert_eq!(broken.problem, Problem::Sequence { expected: 3, found: 2 });
    }

    #[test]
    fn a_forged_record_with_the_next_sequence_but_a_wrong_link_is_named() {
        let mut values = chain("gateway-1", 3);
        values.push(
            AuditRecord {
                chain: "gateway-1".into(),
                sequence: 3,
                previous_sha256: "00".repeat(32),
                ..Default::default()
            }
            .encode_to_vec(),
        );
        let broken = verify(stored(&values)).first_break().cloned().expect("broken");
        assert_eq!((broken.chain.as_str(), broken.sequence, broken.offset), ("gateway-1", 3, 3));
        assert!(broken.to_string().contains("previous_sha256"), "{broken}");
    }

    #[test]
    fn chains_interleave_and_each_is_checked_alone() {
        let (a, b) = (chain("gateway-a", 3), chain("gateway-b", 3));
        let mut records = Vec::new();
        for i in 0..3 {
            records.push((0, (2 * i) as i64, a[i].as_slice()));
            records.push((1, i as i64, b[i].as_slice()));
        }
        let report = verify(records);
        assert!(report.intact(), "{report:?}");
        assert_eq!(report.chains.len(), 2);
    }

    #[test]
    fn a_chain_in_two_partitions_is_broken() {
        let values = chain("gateway-1", 3);
        let records = vec![(0, 0, values[0].as_slice()), (0, 1, values[1].as_slice()), (1, 0, values[2].as_slice())];
        let broken = verify(records).first_break().cloned().expect("broken");
        assert_eq!(broken.problem, Problem::TwoPartitions { first: 0 });
    }

    #[test]
    fn undecodable_and_unchained_records_are_named() {
        let junk = vec![0xff, 0xff, 0xff];
        let unchained = AuditRecord { request_id: "r".into(), ..Default::default() }.encode_to_vec();
        let report = verify(vec![(0, 7, junk.as_slice()), (0, 8, unchained.as_slice())]);
        assert!(!report.intact());
        assert!(matches!(report.first_break().expect("broken").problem, Problem::Undecodable(_)));
        assert_eq!(report.orphans[1].problem, Problem::Unchained);
    }
}
