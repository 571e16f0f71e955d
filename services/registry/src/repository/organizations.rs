//! Organisations: create, read, list, update.

use chrono::Utc;
use koprik_proto::ids::MemberId;
use koprik_proto::registry::Organization;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{fetch_page, find, mapping, page_query, update_versioned, Repository, Versioned};
use crate::domain::organization::OrganizationInput;
use crate::domain::paging::Page;
use crate::error::{self, RegistryError};
use crate::events;
use crate::store::organization::{ActiveModel, Column, Entity};

impl Repository {
    /// Registers a new organisation.
    pub async fn create_organization(&self, input: OrganizationInput) -> Result<Organization, RegistryError> {
        let id = input.id.to_string();
        let now = Utc::now();
        let txn = self.begin().await?;
        let holder = Entity::find().filter(Column::MemberCode.eq(input.id.member_code())).one(&txn).await?;
        if let Some(holder) = holder {
            return Err(RegistryError::AlreadyExists {
                kind: Entity::KIND,
                id: format!("with STIR {} ({})", input.id.member_code(), holder.id),
            });
        }
        let row = ActiveModel {
            id: Set(id.clone()),
            instance: Set(input.id.instance().to_owned()),
            member_class: Set(input.id.member_class().to_owned()),
            member_code: Set(input.id.member_code().to_owned()),
            name: Set(input.name),
            org_type: Set(input.org_type.as_str_name().to_owned()),
            roles: Set(mapping::roles_column(&input.roles)),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| error::on_insert(e, Entity::KIND, &id))?;
        let organization = mapping::organization(&row)?;
        events::enqueue(&txn, &organization).await?;
        self.commit(txn).await?;
        tracing::info!(organization = %id, "organisation registered");
        Ok(organization)
    }

    /// One organisation.
    pub async fn get_organization(&self, id: &MemberId) -> Result<Organization, RegistryError> {
        mapping::organization(&find::<Entity, _>(&self.db, &id.to_string()).await?)
    }

    /// A page of organisations in id order, and the next page's token.
    pub async fn list_organizations(&self, page: &Page) -> Result<(Vec<Organization>, String), RegistryError> {
        fetch_page(&self.db, page, page_query::<Entity>(page), |r| &r.id, mapping::organization).await
    }

    /// Replaces an organisation's name, type and roles.
    pub async fn update_organization(
        &self,
        input: OrganizationInput,
        expected_revision: i64,
    ) -> Result<Organization, RegistryError> {
        let id = input.id.to_string();
        let txn = self.begin().await?;
        let current = find::<Entity, _>(&txn, &id).await?;
        let changes = Entity::update_many()
            .col_expr(Column::Name, Expr::value(input.name))
            .col_expr(Column::OrgType, Expr::value(input.org_type.as_str_name()))
            .col_expr(Column::Roles, Expr::value(mapping::roles_column(&input.roles)));
        let row = update_versioned(&txn, &id, expected_revision, current.revision, changes).await?;
        let organization = mapping::organization(&row)?;
        events::enqueue(&txn, &organization).await?;
        self.commit(txn).await?;
        tracing::info!(organization = %id, revision = row.revision, "organisation updated");
        Ok(organization)
    }
}
