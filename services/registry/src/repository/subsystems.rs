//! Subsystems (information systems): create, read, list, update.

use chrono::Utc;
use koprik_proto::ids::{MemberId, SubsystemId};
use koprik_proto::prost::Message;
use koprik_proto::registry::Subsystem;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{fetch_page, find, mapping, member_roles, page_query, update_versioned, Repository, Versioned};
use crate::domain::paging::Page;
use crate::domain::subsystem::SubsystemInput;
use crate::error::{self, RegistryError};
use crate::events;
use crate::store::subsystem::{ActiveModel, Column, Entity};

impl Repository {
    /// Registers an information system of a registered organisation.
    pub async fn create_subsystem(&self, input: SubsystemInput) -> Result<Subsystem, RegistryError> {
        let id = input.id.to_string();
        let now = Utc::now();
        let txn = self.begin().await?;
        member_roles(&txn, input.id.member()).await?;
        let row = ActiveModel {
            id: Set(id.clone()),
            member_id: Set(input.id.member().to_string()),
            subsystem_code: Set(input.id.subsystem_code().to_owned()),
            name: Set(input.name),
            description: Set(input.description),
            form: Set(input.form.map(|f| f.encode_to_vec())),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| error::on_insert(e, Entity::KIND, &id))?;
        let subsystem = mapping::subsystem(&row)?;
        events::enqueue(&txn, &subsystem).await?;
        self.commit(txn).await?;
        tracing::info!(subsystem = %id, "subsystem registered");
        Ok(subsystem)
    }

    /// One subsystem.
    pub async fn get_subsystem(&self, id: &SubsystemId) -> Result<Subsystem, RegistryError> {
        mapping::subsystem(&find::<Entity, _>(&self.db, &id.to_string()).await?)
    }

    /// A page of subsystems in id order, optionally of one member only.
    pub async fn list_subsystems(
        &self,
        page: &Page,
        member: Option<&MemberId>,
    ) -> Result<(Vec<Subsystem>, String), RegistryError> {
        let mut query = page_query::<Entity>(page);
        if let Some(member) = member {
            query = query.filter(Column::MemberId.eq(member.to_string()));
        }
        fetch_page(&self.db, page, query, |r| &r.id, mapping::subsystem).await
    }

    /// Replaces a subsystem's name, description and form.
    pub async fn update_subsystem(
        &self,
        input: SubsystemInput,
        expected_revision: i64,
    ) -> Result<Subsystem, RegistryError> {
        let id = input.id.to_string();
        let txn = self.begin().await?;
        let current = find::<Entity, _>(&txn, &id).await?;
        let changes = Entity::update_many()
            .col_expr(Column::Name, Expr::value(input.name))
            .col_expr(Column::Description, Expr::value(input.description))
            .col_expr(Column::Form, Expr::value(input.form.map(|f| f.encode_to_vec())));
        let row = update_versioned(&txn, &id, expected_revision, current.revision, changes).await?;
        let subsystem = mapping::subsystem(&row)?;
        events::enqueue(&txn, &subsystem).await?;
        self.commit(txn).await?;
        tracing::info!(subsystem = %id, revision = row.revision, "subsystem updated");
        Ok(subsystem)
    }
}
