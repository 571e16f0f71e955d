//! Demand statistics (OD Annex 3: the portal publishes how often each data set is viewed and downloaded): one
//! counter row per data set per Tashkent day, incremented by an atomic upsert.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Repository;
use crate::error::Result;
use crate::store::demand;

/// The days counted as "recent" (CKAN's `tracking_summary.recent` covers 14 days).
pub const RECENT_DAYS: i64 = 14;

/// Views and downloads of one data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DemandTotals {
    /// Every view.
    pub views: u64,
    /// Every download.
    pub downloads: u64,
    /// Views in the last 14 days.
    pub recent_views: u64,
    /// Downloads in the last 14 days.
    pub recent_downloads: u64,
}

fn day(at: DateTime<Utc>) -> String {
    koprik_calendar::local_date(at).format("%Y-%m-%d").to_string()
}

impl Repository {
    /// Counts one view of a data set.
    pub async fn count_view(&self, dataset_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.count(dataset_id, at, 1, 0).await
    }

    /// Counts one download of a data set.
    pub async fn count_download(&self, dataset_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.count(dataset_id, at, 0, 1).await
    }

    async fn count(&self, dataset_id: &str, at: DateTime<Utc>, views: i64, downloads: i64) -> Result<()> {
        let row = demand::ActiveModel {
            dataset_id: Set(dataset_id.to_owned()),
            day: Set(day(at)),
            views: Set(views),
            downloads: Set(downloads),
        };
        demand::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([demand::Column::DatasetId, demand::Column::Day])
                    .value(demand::Column::Views, Expr::col((demand::Entity, demand::Column::Views)).add(views))
                    .value(
                        demand::Column::Downloads,
                        Expr::col((demand::Entity, demand::Column::Downloads)).add(downloads),
                    )
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Totals per data set id, as of `now`.
    pub async fn demand(&self, dataset_ids: &[String], now: DateTime<Utc>) -> Result<HashMap<String, DemandTotals>> {
        let recent_from = day(now - chrono::Duration::days(RECENT_DAYS - 1));
        let rows = demand::Entity::find()
            .filter(demand::Column::DatasetId.is_in(dataset_ids.iter().cloned()))
            .all(&self.db)
            .await?;
        let mut totals: HashMap<String, DemandTotals> = HashMap::new();
        for row in rows {
            let entry = totals.entry(row.dataset_id).or_default();
            let (views, downloads) = (row.views.max(0) as u64, row.downloads.max(0) as u64);
            entry.views += views;
            entry.downloads += downloads;
            if row.day >= recent_from {
                entry.recent_views += views;
                entry.recent_downloads += downloads;
            }
        }
        Ok(totals)
    }

    /// Every counter row: (data set id, day, views, downloads), by day then data set.
    pub async fn demand_by_day(&self) -> Result<Vec<(String, String, i64, i64)>> {
        let mut rows: Vec<_> = demand::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.dataset_id, r.day, r.views, r.downloads))
            .collect();
        rows.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        Ok(rows)
    }
}
