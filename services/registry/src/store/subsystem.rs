//! Table `subsystems`: the information systems of member organisations.

use sea_orm::entity::prelude::*;

/// A stored subsystem.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subsystems")]
pub struct Model {
    /// Canonical subsystem id, e.g. `UZ/GOV/201122919/civil-registry`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The owning organisation's canonical member id.
    pub member_id: String,
    pub subsystem_code: String,
    pub name: String,
    pub description: String,
    /// The encoded `InformationSystemForm`, when given.
    pub form: Option<Vec<u8>>,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
