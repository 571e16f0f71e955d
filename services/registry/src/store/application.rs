//! Table `applications`: connection applications. The whole application (form, steps, consents, instruction,
//! contract) is one document, its encoded `ConnectionApplication`; the columns are what lists filter on.

use sea_orm::entity::prelude::*;

/// A stored connection application.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    /// A UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Protobuf name of the `Platform`.
    pub platform: String,
    /// The applicant organisation's canonical member id.
    pub applicant_id: String,
    /// The applicant's information system (canonical subsystem id).
    pub consumer_id: String,
    /// Protobuf name of the `ApplicationState`.
    pub state: String,
    /// When the next step is due, if one is.
    pub due_by: Option<DateTimeUtc>,
    /// The encoded `ConnectionApplication` (its `meta`, `overdue` and `due_by` are the columns' business).
    pub document: Vec<u8>,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
