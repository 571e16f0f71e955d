//! Suppliers: registration and lookup.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{is_unique_violation, Repository};
use crate::error::{OpendataError, Result};
use crate::store::supplier;
use crate::supplier::Supplier;

/// A registered supplier.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierRecord {
    /// What was registered.
    pub supplier: Supplier,
    /// When.
    pub registered_at: DateTime<Utc>,
}

fn record(row: supplier::Model) -> Result<SupplierRecord> {
    Ok(SupplierRecord {
        supplier: Supplier {
            name: row.name,
            member: row.member,
            title: serde_json::from_str(&row.title)?,
            domain: row.domain,
            responsible: serde_json::from_str(&row.responsible)?,
        },
        registered_at: row.registered_at,
    })
}

impl Repository {
    /// Registers a validated supplier. ALREADY_EXISTS when its name or member is taken.
    pub async fn register_supplier(&self, supplier: &Supplier, now: DateTime<Utc>) -> Result<SupplierRecord> {
        let row = supplier::ActiveModel {
            name: Set(supplier.name.clone()),
            member: Set(supplier.member.clone()),
            title: Set(serde_json::to_string(&supplier.title)?),
            domain: Set(supplier.domain.clone()),
            responsible: Set(serde_json::to_string(&supplier.responsible)?),
            registered_at: Set(now),
        };
        match row.insert(&self.db).await {
            Ok(row) => record(row),
            Err(error) if is_unique_violation(&error) => Err(OpendataError::AlreadyExists(format!(
                "a supplier named {:?} or for member {}",
                supplier.name, supplier.member
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// The supplier with this URL name.
    pub async fn supplier(&self, name: &str) -> Result<SupplierRecord> {
        let row = supplier::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?
            .ok_or_else(|| OpendataError::NotFound(format!("supplier {name:?}")))?;
        record(row)
    }

    /// The supplier of the organisation `member` (at most one: the member is unique), if it is registered.
    pub async fn supplier_by_member(&self, member: &str) -> Result<Option<SupplierRecord>> {
        supplier::Entity::find()
            .filter(supplier::Column::Member.eq(member))
            .one(&self.db)
            .await?
            .map(record)
            .transpose()
    }

    /// Every supplier, by name.
    pub async fn suppliers(&self) -> Result<Vec<SupplierRecord>> {
        supplier::Entity::find()
            .order_by_asc(supplier::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }
}
