//! The rows of the platform's registry data sets (`platform_rows`): the latest CSV row per registry entity, from
//! which each data set's next version is built.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::Repository;
use crate::error::Result;
use crate::store::platform_row;

/// A change to one row of a platform data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformRowChange {
    /// The entity's row is now `cells`.
    Upsert {
        /// The data set's URL name.
        dataset: String,
        /// The entity's row key.
        key: String,
        /// The row's cells, in the data set's column order.
        cells: Vec<String>,
    },
    /// The entity is gone (a tombstone on `registry.events`).
    Delete {
        /// The data set's URL name.
        dataset: String,
        /// The entity's row key.
        key: String,
    },
}

/// How many rows of a data set a change added, changed and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowCounts {
    /// New rows.
    pub added: u64,
    /// Rows whose cells changed.
    pub changed: u64,
    /// Rows deleted.
    pub removed: u64,
}

impl RowCounts {
    /// Adds another count.
    pub fn add(&mut self, other: &RowCounts) {
        self.added += other.added;
        self.changed += other.changed;
        self.removed += other.removed;
    }
}

impl Repository {
    /// Applies row changes in order, in one transaction. A row rewritten with the cells it has, or the deletion
    /// of a row that is not there, changes nothing (records read again after a restart are harmless). Returns,
    /// per data set, what actually changed; data sets with no change are absent.
    pub async fn apply_platform_rows(
        &self,
        changes: &[PlatformRowChange],
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, RowCounts>> {
        let mut counts: BTreeMap<String, RowCounts> = BTreeMap::new();
        if changes.is_empty() {
            return Ok(counts);
        }
        let txn = self.db.begin().await?;
        for change in changes {
            match change {
                PlatformRowChange::Upsert { dataset, key, cells } => {
                    let row = serde_json::to_string(cells)?;
                    let current = platform_row::Entity::find_by_id((dataset.clone(), key.clone())).one(&txn).await?;
                    match current {
                        Some(current) if current.row == row => continue,
                        Some(_) => {
                            platform_row::Entity::update_many()
                                .col_expr(platform_row::Column::Row, Expr::value(row))
                                .col_expr(platform_row::Column::ChangedAt, Expr::value(now))
                                .filter(platform_row::Column::Dataset.eq(dataset.as_str()))
                                .filter(platform_row::Column::Key.eq(key.as_str()))
                                .exec(&txn)
                                .await?;
                            counts.entry(dataset.clone()).or_default().changed += 1;
                        }
                        None => {
                            platform_row::ActiveModel {
                                dataset: Set(dataset.clone()),
                                key: Set(key.clone()),
                                row: Set(row),
                                changed_at: Set(now),
                            }
                            .insert(&txn)
                            .await?;
                            counts.entry(dataset.clone()).or_default().added += 1;
                        }
                    }
                }
                PlatformRowChange::Delete { dataset, key } => {
                    let deleted = platform_row::Entity::delete_by_id((dataset.clone(), key.clone())).exec(&txn).await?;
                    if deleted.rows_affected > 0 {
                        counts.entry(dataset.clone()).or_default().removed += 1;
                    }
                }
            }
        }
        // No outbox event comes with these rows: the relay is not woken.
        txn.commit().await?;
        Ok(counts)
    }

    /// The cells of every row of a platform data set, ordered by key (byte order, the same on every database:
    /// the same rows always make the same CSV).
    pub async fn platform_rows(&self, dataset: &str) -> Result<Vec<Vec<String>>> {
        let mut rows =
            platform_row::Entity::find().filter(platform_row::Column::Dataset.eq(dataset)).all(&self.db).await?;
        rows.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        rows.into_iter().map(|row| Ok(serde_json::from_str(&row.row)?)).collect()
    }
}
