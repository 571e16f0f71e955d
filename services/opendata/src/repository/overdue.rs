//! Data sets whose update is overdue and the notification of their suppliers (see [`crate::overdue_updates`]).

use chrono::{DateTime, Utc};
use koprik_proto::events::{opendata_notification, UpdateOverdue};
use koprik_proto::time::timestamp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::datasets::record;
use super::feedback::notify;
use super::{DatasetRecord, Repository};
use crate::error::Result;
use crate::store::dataset;
use crate::wire;

impl Repository {
    /// Notifies the supplier of every data set that became overdue by `now` and was not yet notified for its
    /// current due date; returns those data sets. Each notification is written once: the row is claimed by a
    /// conditional update in the notification's own transaction, so concurrent replicas cannot both send it.
    pub async fn notify_overdue_updates(&self, now: DateTime<Utc>) -> Result<Vec<DatasetRecord>> {
        let due = dataset::Entity::find()
            .filter(dataset::Column::NextUpdateDue.lt(now))
            .filter(dataset::Column::OverdueNotifiedAt.is_null())
            .all(&self.db)
            .await?;
        let mut notified = Vec::new();
        for row in due {
            let record = record(row)?;
            let supplier = self.supplier(&record.passport.supplier).await?;
            let txn = self.begin().await?;
            let claimed = dataset::Entity::update_many()
                .col_expr(dataset::Column::OverdueNotifiedAt, Expr::value(now))
                .filter(dataset::Column::Id.eq(record.id.as_str()))
                .filter(dataset::Column::OverdueNotifiedAt.is_null())
                // Not if a version was published meanwhile: the due date it was read with must still hold.
                .filter(dataset::Column::NextUpdateDue.eq(record.next_update_due))
                .exec(&txn)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let overdue = UpdateOverdue {
                dataset: record.passport.name.clone(),
                update_frequency: wire::frequency(record.passport.update_frequency).into(),
                last_changed_at: record.last_changed_at.map(timestamp),
                due: record.next_update_due.map(timestamp),
            };
            notify(&txn, &supplier, opendata_notification::Kind::UpdateOverdue(overdue), now).await?;
            self.commit(txn).await?;
            notified.push(DatasetRecord { overdue_notified_at: Some(now), ..record });
        }
        Ok(notified)
    }

    /// How many data sets are overdue at `now`, and how many proposals.
    pub async fn overdue_counts(&self, now: DateTime<Utc>) -> Result<(u64, u64)> {
        use sea_orm::PaginatorTrait;
        let datasets = dataset::Entity::find().filter(dataset::Column::NextUpdateDue.lt(now)).count(&self.db).await?;
        let proposals = crate::store::proposal::Entity::find()
            .filter(crate::store::proposal::Column::ForwardedAt.is_null())
            .filter(crate::store::proposal::Column::ForwardDue.lt(now))
            .count(&self.db)
            .await?;
        Ok((datasets, proposals))
    }
}
