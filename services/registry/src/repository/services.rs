//! Web services with their data items: create, read, list, update.

use chrono::Utc;
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::Service;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{find, mapping, member_roles, page_query, update_versioned, Repository, Versioned};
use crate::domain::organization::may_provide;
use crate::domain::paging::Page;
use crate::domain::service::{DataItemInput, ServiceInput};
use crate::error::{self, RegistryError};
use crate::events;
use crate::store::service::{ActiveModel, Column, Entity};
use crate::store::{data_item, subsystem};

impl Repository {
    /// Registers a web service of a registered provider subsystem.
    pub async fn create_service(&self, input: ServiceInput) -> Result<Service, RegistryError> {
        let id = input.id.to_string();
        let provider = input.id.subsystem();
        let now = Utc::now();
        let txn = self.begin().await?;
        if !may_provide(&member_roles(&txn, provider.member()).await?) {
            return Err(RegistryError::FailedPrecondition(format!(
                "organisation {} does not have the PROVIDER role",
                provider.member()
            )));
        }
        find::<subsystem::Entity, _>(&txn, &provider.to_string())
            .await
            .map_err(|_| RegistryError::FailedPrecondition(format!("subsystem {provider} is not registered")))?;
        let row = ActiveModel {
            id: Set(id.clone()),
            subsystem_id: Set(provider.to_string()),
            service_code: Set(input.id.service_code().to_owned()),
            version: Set(input.id.version().to_owned()),
            name: Set(input.name),
            description: Set(input.description),
            status: Set(input.status.as_str_name().to_owned()),
            archive: Set(input.archive),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| error::on_insert(e, Entity::KIND, &id))?;
        let items = replace_data_items(&txn, &id, &input.data_items).await?;
        let service = mapping::service(&row, &items)?;
        events::enqueue(&txn, &service).await?;
        self.commit(txn).await?;
        tracing::info!(service = %id, "service registered");
        Ok(service)
    }

    /// One web service.
    pub async fn get_service(&self, id: &ServiceId) -> Result<Service, RegistryError> {
        let row = find::<Entity, _>(&self.db, &id.to_string()).await?;
        let items = data_items(&self.db, &row.id).await?;
        mapping::service(&row, &items)
    }

    /// A page of web services in id order, optionally of one provider subsystem only.
    pub async fn list_services(
        &self,
        page: &Page,
        provider: Option<&SubsystemId>,
    ) -> Result<(Vec<Service>, String), RegistryError> {
        let mut query = page_query::<Entity>(page);
        if let Some(provider) = provider {
            query = query.filter(Column::SubsystemId.eq(provider.to_string()));
        }
        let rows = query.all(&self.db).await?;
        let next = page.next_token(rows.len(), rows.last().map(|r| r.id.as_str()));
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(mapping::service(row, &data_items(&self.db, &row.id).await?)?);
        }
        Ok((items, next))
    }

    /// Replaces a web service's name, description, data items and status.
    pub async fn update_service(&self, input: ServiceInput, expected_revision: i64) -> Result<Service, RegistryError> {
        let id = input.id.to_string();
        let txn = self.begin().await?;
        let current = find::<Entity, _>(&txn, &id).await?;
        let changes = Entity::update_many()
            .col_expr(Column::Name, Expr::value(input.name))
            .col_expr(Column::Description, Expr::value(input.description))
            .col_expr(Column::Status, Expr::value(input.status.as_str_name()))
            .col_expr(Column::Archive, Expr::value(input.archive));
        let row = update_versioned(&txn, &id, expected_revision, current.revision, changes).await?;
        let items = replace_data_items(&txn, &id, &input.data_items).await?;
        let service = mapping::service(&row, &items)?;
        events::enqueue(&txn, &service).await?;
        self.commit(txn).await?;
        tracing::info!(service = %id, revision = row.revision, "service updated");
        Ok(service)
    }
}

/// The data items of a service in declared order.
async fn data_items<C: ConnectionTrait>(db: &C, service_id: &str) -> Result<Vec<data_item::Model>, RegistryError> {
    Ok(data_item::Entity::find()
        .filter(data_item::Column::ServiceId.eq(service_id))
        .order_by_asc(data_item::Column::Position)
        .all(db)
        .await?)
}

/// Replaces the data items of a service with `items`, returning them as stored.
async fn replace_data_items<C: ConnectionTrait>(
    db: &C,
    service_id: &str,
    items: &[DataItemInput],
) -> Result<Vec<data_item::Model>, RegistryError> {
    data_item::Entity::delete_many().filter(data_item::Column::ServiceId.eq(service_id)).exec(db).await?;
    let mut stored = Vec::with_capacity(items.len());
    for (position, item) in items.iter().enumerate() {
        let row = data_item::ActiveModel {
            service_id: Set(service_id.to_owned()),
            code: Set(item.code.clone()),
            name: Set(item.name.clone()),
            classification: Set(item.classification.as_str_name().to_owned()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        }
        .insert(db)
        .await?;
        stored.push(row);
    }
    Ok(stored)
}
