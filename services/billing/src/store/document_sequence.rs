//! Table `document_sequences`: the last invoice or credit-note number used in each year (see [`crate::invoice_number`]).

use sea_orm::entity::prelude::*;

/// One year's counter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_sequences")]
pub struct Model {
    /// The year of issue.
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// The last sequence number taken.
    pub last_sequence: i64,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
