//! Access grants: create, read, list, change status.

use chrono::Utc;
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::{Grant, GrantStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{fetch_page, find, mapping, member_roles, page_query, update_versioned, Repository, Versioned};
use crate::domain::grant_lifecycle::{check_transition, TransitionError};
use crate::domain::organization::may_consume;
use crate::domain::paging::Page;
use crate::error::RegistryError;
use crate::events;
use crate::store::grant::{ActiveModel, Column, Entity};
use crate::store::{service, subsystem};

impl Repository {
    /// Grants `consumer` access to `service`; the grant starts ACTIVE.
    pub async fn create_grant(&self, consumer: &SubsystemId, service: &ServiceId) -> Result<Grant, RegistryError> {
        let txn = self.begin().await?;
        if !may_consume(&member_roles(&txn, consumer.member()).await?) {
            return Err(RegistryError::FailedPrecondition(format!(
                "organisation {} has neither the IIP_CONSUMER nor the DDP_CONSUMER role",
                consumer.member()
            )));
        }
        find::<subsystem::Entity, _>(&txn, &consumer.to_string())
            .await
            .map_err(|_| RegistryError::FailedPrecondition(format!("subsystem {consumer} is not registered")))?;
        find::<service::Entity, _>(&txn, &service.to_string())
            .await
            .map_err(|_| RegistryError::FailedPrecondition(format!("service {service} is not registered")))?;
        let existing = Entity::find()
            .filter(Column::ConsumerId.eq(consumer.to_string()))
            .filter(Column::ServiceId.eq(service.to_string()))
            .one(&txn)
            .await?;
        if let Some(existing) = existing {
            return Err(RegistryError::AlreadyExists {
                kind: Entity::KIND,
                id: format!("{} ({consumer} → {service})", existing.id),
            });
        }
        let now = Utc::now();
        let id = uuid::Uuid::now_v7().to_string();
        let row = ActiveModel {
            id: Set(id.clone()),
            consumer_id: Set(consumer.to_string()),
            service_id: Set(service.to_string()),
            status: Set(GrantStatus::Active.as_str_name().to_owned()),
            reason: Set(String::new()),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| crate::error::on_insert(e, Entity::KIND, &format!("{consumer} → {service}")))?;
        let grant = mapping::grant(&row)?;
        events::enqueue(&txn, &grant).await?;
        self.commit(txn).await?;
        tracing::info!(grant = %id, consumer = %consumer, service = %service, "access granted");
        Ok(grant)
    }

    /// One grant.
    pub async fn get_grant(&self, id: &str) -> Result<Grant, RegistryError> {
        mapping::grant(&find::<Entity, _>(&self.db, id).await?)
    }

    /// A page of grants in id order, optionally of one consumer and/or one service.
    pub async fn list_grants(
        &self,
        page: &Page,
        consumer: Option<&SubsystemId>,
        service: Option<&ServiceId>,
    ) -> Result<(Vec<Grant>, String), RegistryError> {
        let mut query = page_query::<Entity>(page);
        if let Some(consumer) = consumer {
            query = query.filter(Column::ConsumerId.eq(consumer.to_string()));
        }
        if let Some(service) = service {
            query = query.filter(Column::ServiceId.eq(service.to_string()));
        }
        fetch_page(&self.db, page, query, |r| &r.id, mapping::grant).await
    }

    /// Suspends, reinstates or revokes a grant.
    pub async fn update_grant(
        &self,
        id: &str,
        status: GrantStatus,
        reason: &str,
        expected_revision: i64,
    ) -> Result<Grant, RegistryError> {
        let txn = self.begin().await?;
        let current = find::<Entity, _>(&txn, id).await?;
        let current_status = GrantStatus::from_str_name(&current.status).unwrap_or_default();
        check_transition(current_status, status, reason).map_err(|e| match e {
            TransitionError::Invalid(field) => RegistryError::Invalid(field),
            TransitionError::Final => RegistryError::FailedPrecondition(e.to_string()),
        })?;
        let changes = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status.as_str_name()))
            .col_expr(Column::Reason, Expr::value(reason.trim()));
        let row = update_versioned(&txn, id, expected_revision, current.revision, changes).await?;
        let grant = mapping::grant(&row)?;
        events::enqueue(&txn, &grant).await?;
        self.commit(txn).await?;
        tracing::info!(grant = %id, status = status.as_str_name(), revision = row.revision, "grant status changed");
        Ok(grant)
    }
}
