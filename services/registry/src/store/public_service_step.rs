//! Table `public_service_steps`: every step of the procedure, who took it, when, what it was due by, and whether
//! it was late. Append-only.

use sea_orm::entity::prelude::*;

/// A stored step.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_service_steps")]
pub struct Model {
    /// Order of recording.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Protobuf name of the `StepKind`.
    pub kind: String,
    pub actor: String,
    pub at: DateTimeUtc,
    pub due_by: Option<DateTimeUtc>,
    pub late: bool,
    pub application_id: Option<String>,
    pub number: Option<i64>,
    /// Reasons, grounds or basis.
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
