//! Versions: each immutable, linked to the one it replaces, with one resource per download format.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{DatasetRecord, Repository};
use crate::error::{OpendataError, Result};
use crate::formats::TabularFormat;
use crate::publication_check::CheckedVersion;
use crate::store::{dataset, resource, version};

/// One published version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    /// A UUIDv7.
    pub id: String,
    /// The data set's URL name.
    pub dataset: String,
    /// 1, 2, ...
    pub number: u32,
    /// The structure it follows.
    pub structure_version: u32,
    /// The version it replaces.
    pub previous_version_id: Option<String>,
    /// What changed.
    pub change_note: String,
    /// Data rows.
    pub rows: u64,
    /// Size of the canonical CSV.
    pub bytes: u64,
    /// Its SHA-256, hex; also its name in the version store.
    pub sha256: String,
    /// Published.
    pub published_at: DateTime<Utc>,
    /// One per format.
    pub resources: Vec<ResourceRecord>,
}

/// One downloadable resource (a version in one format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    /// CKAN's resource id.
    pub id: String,
    /// The format.
    pub format: TabularFormat,
}

/// The formats every tabular version is offered in.
pub const FORMATS: [TabularFormat; 4] =
    [TabularFormat::Csv, TabularFormat::Json, TabularFormat::Xml, TabularFormat::Xlsx];

fn number(value: i32) -> u32 {
    u32::try_from(value).unwrap_or_default()
}

impl Repository {
    /// Publishes a checked version of `dataset` following its current structure version, as `actor`: the next
    /// number, linked to the previous version, with a resource per format; the data set's last change and next due
    /// date move.
    pub async fn publish_version(
        &self,
        dataset: &DatasetRecord,
        change_note: &str,
        checked: &CheckedVersion,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<VersionRecord> {
        let txn = self.begin().await?;
        let previous = version::Entity::find()
            .filter(version::Column::DatasetId.eq(dataset.id.as_str()))
            .order_by_desc(version::Column::Number)
            .one(&txn)
            .await?;
        let next_number = previous.as_ref().map_or(1, |v| v.number + 1);
        let id = uuid::Uuid::now_v7().to_string();
        let row = version::ActiveModel {
            id: Set(id.clone()),
            dataset_id: Set(dataset.id.clone()),
            number: Set(next_number),
            structure_version: Set(i32::try_from(dataset.structure_version).unwrap_or(i32::MAX)),
            previous_version_id: Set(previous.map(|v| v.id)),
            change_note: Set(change_note.to_owned()),
            rows: Set(i64::try_from(checked.rows).unwrap_or(i64::MAX)),
            bytes: Set(i64::try_from(checked.bytes).unwrap_or(i64::MAX)),
            sha256: Set(checked.sha256.clone()),
            published_at: Set(now),
            published_by: Set(Some(actor.to_owned())),
        }
        .insert(&txn)
        .await
        .map_err(|error| {
            if super::is_unique_violation(&error) {
                OpendataError::FailedPrecondition(format!(
                    "another version of {:?} was published at the same moment; publish again",
                    dataset.passport.name
                ))
            } else {
                error.into()
            }
        })?;
        resource::Entity::insert_many(FORMATS.iter().map(|format| resource::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            version_id: Set(id.clone()),
            dataset_id: Set(dataset.id.clone()),
            format: Set(format.as_str().to_owned()),
        }))
        .exec(&txn)
        .await?;
        let due = dataset.passport.update_frequency.next_due(now);
        let updated = dataset::Entity::update_many()
            .col_expr(dataset::Column::Version, Expr::value(next_number))
            .col_expr(dataset::Column::FirstPublishedAt, Expr::value(dataset.first_published_at.unwrap_or(now)))
            .col_expr(dataset::Column::LastChangedAt, Expr::value(now))
            .col_expr(dataset::Column::LastChange, Expr::value(change_note))
            .col_expr(dataset::Column::NextUpdateDue, Expr::value(due))
            .col_expr(dataset::Column::OverdueNotifiedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(dataset::Column::Id.eq(dataset.id.as_str()))
            .filter(dataset::Column::StructureVersion.eq(i32::try_from(dataset.structure_version).unwrap_or(i32::MAX)))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(OpendataError::FailedPrecondition(format!(
                "the structure of {:?} changed while the version was checked; publish again against structure version {}",
                dataset.passport.name,
                dataset.structure_version + 1
            )));
        }
        self.commit(txn).await?;
        self.version_record(&dataset.passport.name, row).await
    }

    async fn version_record(&self, dataset: &str, row: version::Model) -> Result<VersionRecord> {
        let resources = resource::Entity::find()
            .filter(resource::Column::VersionId.eq(row.id.as_str()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| {
                let format = TabularFormat::parse(&r.format)
                    .ok_or_else(|| OpendataError::Corrupt(format!("resource {} has format {:?}", r.id, r.format)))?;
                Ok(ResourceRecord { id: r.id, format })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut resources = resources;
        resources.sort_by_key(|r| FORMATS.iter().position(|f| *f == r.format));
        Ok(VersionRecord {
            id: row.id,
            dataset: dataset.to_owned(),
            number: number(row.number),
            structure_version: number(row.structure_version),
            previous_version_id: row.previous_version_id,
            change_note: row.change_note,
            rows: u64::try_from(row.rows).unwrap_or_default(),
            bytes: u64::try_from(row.bytes).unwrap_or_default(),
            sha256: row.sha256,
            published_at: row.published_at,
            resources,
        })
    }

    /// Every version of a data set, newest first.
    pub async fn versions(&self, dataset: &DatasetRecord) -> Result<Vec<VersionRecord>> {
        let rows = version::Entity::find()
            .filter(version::Column::DatasetId.eq(dataset.id.as_str()))
            .order_by_desc(version::Column::Number)
            .all(&self.db)
            .await?;
        let mut versions = Vec::with_capacity(rows.len());
        for row in rows {
            versions.push(self.version_record(&dataset.passport.name, row).await?);
        }
        Ok(versions)
    }

    /// One version of a data set by number.
    pub async fn version(&self, dataset: &DatasetRecord, number: u32) -> Result<VersionRecord> {
        let row = version::Entity::find()
            .filter(version::Column::DatasetId.eq(dataset.id.as_str()))
            .filter(version::Column::Number.eq(i32::try_from(number).unwrap_or(i32::MAX)))
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::NotFound(format!("version {number} of {:?}", dataset.passport.name)))?;
        self.version_record(&dataset.passport.name, row).await
    }

    /// The resource with this id: its data set, version and format.
    pub async fn resource(&self, id: &str) -> Result<(DatasetRecord, VersionRecord, TabularFormat)> {
        let row = resource::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::NotFound(format!("resource {id:?}")))?;
        let dataset = dataset::Entity::find_by_id(row.dataset_id.clone())
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::Corrupt(format!("resource {id} names a missing data set")))?;
        let dataset = super::datasets::record(dataset)?;
        let version = version::Entity::find_by_id(row.version_id.clone())
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::Corrupt(format!("resource {id} names a missing version")))?;
        let version = self.version_record(&dataset.passport.name, version).await?;
        let format = TabularFormat::parse(&row.format)
            .ok_or_else(|| OpendataError::Corrupt(format!("resource {id} has format {:?}", row.format)))?;
        Ok((dataset, version, format))
    }
}
