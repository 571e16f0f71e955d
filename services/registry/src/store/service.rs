//! Table `services`: web services offered by provider subsystems (their data items are in `data_items`).

use sea_orm::entity::prelude::*;

/// A stored web service.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    /// Canonical service id, e.g. `UZ/GOV/201122919/civil-registry/person-by-pinfl/v1`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The provider subsystem's canonical id.
    pub subsystem_id: String,
    pub service_code: String,
    pub version: String,
    pub name: String,
    pub description: String,
    /// Protobuf name of the `ServiceStatus`.
    pub status: String,
    /// An archive service (REG-2 p. 17): asynchronous requests to it have no deadline.
    pub archive: bool,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
