//! Table `public_service_inventories`: each body's yearly re-inventory confirmation (REG-1 p. 21).

use sea_orm::entity::prelude::*;

/// A stored confirmation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_service_inventories")]
pub struct Model {
    /// The body's canonical member id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub body: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub confirmed_at: DateTimeUtc,
    pub actor: String,
    pub due_by: DateTimeUtc,
    pub late: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
