//! Table `public_service_numbers`: the counter registry numbers are allocated from. Numbers come from this row,
//! never from the live entries, so a number is never handed out twice, even after abolition (REG-1 p. 17).

use sea_orm::entity::prelude::*;

/// A counter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_service_numbers")]
pub struct Model {
    /// `entry`: the counter of registry numbers.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The last number allocated (0 before the first).
    pub last: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
