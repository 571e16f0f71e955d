//! The portal's reads and writes. Every change runs in one database transaction together with its outbox events
//! (notifications, usage records), then wakes the relay. Topics read exactly once (`exchange.audit`,
//! `billing.contracts`) keep how far each partition has been applied (`consumer_positions`) in the transaction of
//! what they apply.

mod api_keys;
mod contracts;
mod datasets;
mod demand;
mod feedback;
mod overdue;
mod platform;
mod search;
mod statistics;
mod suppliers;
mod versions;

use std::sync::Arc;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use tokio::sync::Notify;

use crate::error::{OpendataError, Result};
use crate::passport::Passport;
use crate::store::consumer_position;
use crate::structure::Structure;

pub use api_keys::{ApiKeyRecord, IssuedKey};
pub use contracts::{ContractRecord, ContractState, ContractsOutcome, PositionedContract};
pub use demand::{DemandTotals, RECENT_DAYS};
pub use feedback::{MessageRecord, NewMessage, NewProposal, ProposalRecord};
pub use platform::{PlatformRowChange, RowCounts};
pub use search::{SearchQuery, SearchResult, SortKey};
pub use statistics::{FoldOutcome, PositionedExchange};
pub use suppliers::SupplierRecord;
pub use versions::{ResourceRecord, VersionRecord};

/// The portal's data access, shared by the gRPC API, the HTTP API and the background loops.
#[derive(Clone)]
pub struct Repository {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

/// A data set as stored, with the state the portal keeps for it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRecord {
    /// A UUID.
    pub id: String,
    /// The passport.
    pub passport: Passport,
    /// Maintained by the platform.
    pub platform: bool,
    /// The current structure version (0: none).
    pub structure_version: u32,
    /// The current version (0: none).
    pub version: u32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The first version's publication.
    pub first_published_at: Option<DateTime<Utc>>,
    /// The latest version's publication.
    pub last_changed_at: Option<DateTime<Utc>>,
    /// What the latest version changed.
    pub last_change: String,
    /// When the next version is due.
    pub next_update_due: Option<DateTime<Utc>>,
    /// When the supplier was told the due date passed.
    pub overdue_notified_at: Option<DateTime<Utc>>,
}

/// One structure version.
#[derive(Debug, Clone, PartialEq)]
pub struct StructureRecord {
    /// The data set's URL name.
    pub dataset: String,
    /// 1, 2, ...
    pub number: u32,
    /// The fields.
    pub structure: Structure,
    /// Defined.
    pub created_at: DateTime<Utc>,
}

impl Repository {
    /// A repository over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// The database, for readers outside the repository (tests).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    async fn begin(&self) -> Result<DatabaseTransaction> {
        Ok(self.db.begin().await?)
    }

    /// Commits a change and tells the relay there may be something to publish.
    async fn commit(&self, txn: DatabaseTransaction) -> Result<()> {
        txn.commit().await?;
        self.relay.notify_one();
        Ok(())
    }
}

/// Whether a database error is a unique-key violation (the same name or key taken twice).
fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// Reads the stored positions of the partitions `read` (topic, partition, offset of each record of a batch) come
/// from and moves them past the batch, first thing in the transaction, each conditional on the value read. Returns
/// the positions as they were (None: never applied); a record below its partition's position was applied before.
/// A concurrent application of the same partition (two replicas during a rebalance) fails with
/// FAILED_PRECONDITION and changes nothing; retried, the batch skips what the other applied.
async fn move_positions(
    txn: &DatabaseTransaction,
    read: &[(String, i32, i64)],
) -> Result<HashMap<(String, i32), Option<i64>>> {
    let mut ends: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for (topic, partition, offset) in read {
        let end = ends.entry((topic.clone(), *partition)).or_insert(0);
        *end = (*end).max(offset + 1);
    }
    let mut positions = HashMap::with_capacity(ends.len());
    for ((topic, partition), end) in ends {
        let current = consumer_position::Entity::find_by_id((topic.clone(), partition))
            .one(txn)
            .await?
            .map(|row| row.next_offset);
        let concurrent = || {
            OpendataError::FailedPrecondition(format!("{topic}[{partition}] was applied concurrently; retry the batch"))
        };
        match current {
            Some(next) if next >= end => {}
            Some(next) => {
                let moved = consumer_position::Entity::update_many()
                    .col_expr(consumer_position::Column::NextOffset, Expr::value(end))
                    .filter(consumer_position::Column::Topic.eq(topic.as_str()))
                    .filter(consumer_position::Column::Partition.eq(partition))
                    .filter(consumer_position::Column::NextOffset.eq(next))
                    .exec(txn)
                    .await?;
                if moved.rows_affected != 1 {
                    return Err(concurrent());
                }
            }
            None => {
                let row = consumer_position::ActiveModel {
                    topic: Set(topic.clone()),
                    partition: Set(partition),
                    next_offset: Set(end),
                };
                match row.insert(txn).await {
                    Ok(_) => {}
                    Err(error) if is_unique_violation(&error) => return Err(concurrent()),
                    Err(error) => return Err(error.into()),
                }
            }
        }
        positions.insert((topic, partition), current);
    }
    Ok(positions)
}

/// Whether the record at `offset` of `topic`'s `partition` was applied before, by the positions
/// [`move_positions`] returned.
fn applied_before(positions: &HashMap<(String, i32), Option<i64>>, topic: &str, partition: i32, offset: i64) -> bool {
    positions.get(&(topic.to_owned(), partition)).copied().flatten().is_some_and(|next| offset < next)
}
