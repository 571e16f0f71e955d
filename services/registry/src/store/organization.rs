//! Table `organizations`: one row per member organisation, keyed by its canonical member id.

use sea_orm::entity::prelude::*;

/// A stored organisation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    /// Canonical member id, e.g. `UZ/GOV/201122919`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub instance: String,
    pub member_class: String,
    /// The STIR.
    pub member_code: String,
    pub name: String,
    /// Protobuf name of the `OrganizationType`.
    pub org_type: String,
    /// Protobuf names of the `OrganizationRole`s, comma-separated.
    pub roles: String,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
