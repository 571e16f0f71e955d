//! Data sets, their passports and structure versions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::{is_unique_violation, DatasetRecord, Repository, StructureRecord};
use crate::error::{OpendataError, Result};
use crate::passport::Passport;
use crate::store::{dataset, dataset_tag, structure_version};
use crate::structure::Structure;

/// Reads a stored data set row back.
pub(super) fn record(row: dataset::Model) -> Result<DatasetRecord> {
    Ok(DatasetRecord {
        id: row.id,
        passport: serde_json::from_str(&row.passport)?,
        platform: row.platform,
        structure_version: u32::try_from(row.structure_version).unwrap_or_default(),
        version: u32::try_from(row.version).unwrap_or_default(),
        created_at: row.created_at,
        first_published_at: row.first_published_at,
        last_changed_at: row.last_changed_at,
        last_change: row.last_change,
        next_update_due: row.next_update_due,
        overdue_notified_at: row.overdue_notified_at,
    })
}

async fn replace_tags(db: &impl ConnectionTrait, dataset_id: &str, passport: &Passport) -> Result<()> {
    dataset_tag::Entity::delete_many().filter(dataset_tag::Column::DatasetId.eq(dataset_id)).exec(db).await?;
    let tags = passport.keywords.tags();
    if !tags.is_empty() {
        dataset_tag::Entity::insert_many(
            tags.into_iter()
                .map(|tag| dataset_tag::ActiveModel { dataset_id: Set(dataset_id.to_owned()), tag: Set(tag) }),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

impl Repository {
    /// Creates a data set with a validated passport of an existing supplier.
    pub async fn create_dataset(
        &self,
        passport: &Passport,
        platform: bool,
        now: DateTime<Utc>,
    ) -> Result<DatasetRecord> {
        self.supplier(&passport.supplier).await?;
        let txn = self.begin().await?;
        let id = uuid::Uuid::now_v7().to_string();
        let row = dataset::ActiveModel {
            id: Set(id.clone()),
            name: Set(passport.name.clone()),
            supplier: Set(passport.supplier.clone()),
            passport: Set(serde_json::to_string(passport)?),
            search_text: Set(passport.search_text()),
            platform: Set(platform),
            structure_version: Set(0),
            version: Set(0),
            created_at: Set(now),
            first_published_at: Set(None),
            last_changed_at: Set(None),
            last_change: Set(String::new()),
            next_update_due: Set(None),
            overdue_notified_at: Set(None),
        };
        let row = match row.insert(&txn).await {
            Ok(row) => row,
            Err(error) if is_unique_violation(&error) => {
                return Err(OpendataError::AlreadyExists(format!("a data set named {:?}", passport.name)))
            }
            Err(error) => return Err(error.into()),
        };
        replace_tags(&txn, &id, passport).await?;
        self.commit(txn).await?;
        record(row)
    }

    /// Replaces the descriptive passport fields; the name and the supplier stay.
    pub async fn update_passport(&self, passport: &Passport) -> Result<DatasetRecord> {
        let current = self.dataset(&passport.name).await?;
        if current.passport.supplier != passport.supplier {
            return Err(OpendataError::invalid(
                "passport.supplier",
                format!("a data set stays with its supplier ({})", current.passport.supplier),
            ));
        }
        let mut next = passport.clone();
        next.update_frequency = passport.update_frequency;
        let due = current.last_changed_at.and_then(|last| next.update_frequency.next_due(last));
        let txn = self.begin().await?;
        dataset::Entity::update_many()
            .col_expr(dataset::Column::Passport, Expr::value(serde_json::to_string(&next)?))
            .col_expr(dataset::Column::SearchText, Expr::value(next.search_text()))
            .col_expr(dataset::Column::NextUpdateDue, Expr::value(due))
            .col_expr(
                dataset::Column::OverdueNotifiedAt,
                Expr::value(if due == current.next_update_due { current.overdue_notified_at } else { None }),
            )
            .filter(dataset::Column::Id.eq(current.id.as_str()))
            .exec(&txn)
            .await?;
        replace_tags(&txn, &current.id, &next).await?;
        self.commit(txn).await?;
        self.dataset(&passport.name).await
    }

    /// The data set with this URL name.
    pub async fn dataset(&self, name: &str) -> Result<DatasetRecord> {
        let row = dataset::Entity::find()
            .filter(dataset::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::NotFound(format!("data set {name:?}")))?;
        record(row)
    }

    /// The data set with this id or URL name (CKAN accepts either).
    pub async fn dataset_by_id_or_name(&self, id_or_name: &str) -> Result<DatasetRecord> {
        let row = dataset::Entity::find()
            .filter(dataset::Column::Name.eq(id_or_name).or(dataset::Column::Id.eq(id_or_name)))
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::NotFound(format!("data set {id_or_name:?}")))?;
        record(row)
    }

    /// Every data set (of one supplier, when given), by name, published or not.
    pub async fn datasets(&self, supplier: Option<&str>) -> Result<Vec<DatasetRecord>> {
        let mut query = dataset::Entity::find().order_by_asc(dataset::Column::Name);
        if let Some(supplier) = supplier {
            query = query.filter(dataset::Column::Supplier.eq(supplier));
        }
        query.all(&self.db).await?.into_iter().map(record).collect()
    }

    /// Records a validated structure. A structure equal to the current one returns the current version; any
    /// change becomes the next version.
    pub async fn define_structure(
        &self,
        name: &str,
        structure: &Structure,
        now: DateTime<Utc>,
    ) -> Result<StructureRecord> {
        let current = dataset::Entity::find().filter(dataset::Column::Name.eq(name)).one(&self.db).await?;
        let current = current.ok_or_else(|| OpendataError::NotFound(format!("data set {name:?}")))?;
        if current.structure_version > 0 {
            let existing = self.structure(name, u32::try_from(current.structure_version).unwrap_or_default()).await?;
            if existing.structure == *structure {
                return Ok(existing);
            }
        }
        let txn = self.db.begin().await?;
        let number = current.structure_version + 1;
        let fields = serde_json::to_string(&structure.fields)?;
        structure_version::ActiveModel {
            dataset_id: Set(current.id.clone()),
            number: Set(number),
            fields: Set(fields),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|error| {
            if is_unique_violation(&error) {
                OpendataError::FailedPrecondition(format!("the structure of {name:?} changed concurrently; retry"))
            } else {
                error.into()
            }
        })?;
        // Conditional on the number read above, so two concurrent definitions cannot both become version N.
        let updated = dataset::Entity::update_many()
            .col_expr(dataset::Column::StructureVersion, Expr::value(number))
            .filter(dataset::Column::Id.eq(current.id.as_str()))
            .filter(dataset::Column::StructureVersion.eq(current.structure_version))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(OpendataError::FailedPrecondition(format!(
                "the structure of {name:?} changed concurrently; retry"
            )));
        }
        self.commit(txn).await?;
        self.structure(name, u32::try_from(number).unwrap_or_default()).await
    }

    /// One structure version of a data set.
    pub async fn structure(&self, name: &str, number: u32) -> Result<StructureRecord> {
        let dataset = self.dataset(name).await?;
        let row = structure_version::Entity::find_by_id((dataset.id, i32::try_from(number).unwrap_or(i32::MAX)))
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::NotFound(format!("structure version {number} of {name:?}")))?;
        Ok(StructureRecord {
            dataset: name.to_owned(),
            number,
            structure: Structure { fields: serde_json::from_str(&row.fields)? },
            created_at: row.created_at,
        })
    }
}
