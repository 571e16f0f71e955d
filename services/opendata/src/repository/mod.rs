//! The portal's reads and writes. Every change runs in one database transaction together with its outbox events
//! (notifications, usage records), then wakes the relay.

mod api_keys;
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

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::Notify;

use crate::error::Result;
use crate::passport::Passport;
use crate::structure::Structure;

pub use api_keys::{ApiKeyRecord, IssuedKey};
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
