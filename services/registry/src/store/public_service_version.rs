//! Table `public_service_versions`: every content ever submitted, in submission order, with what became of it.

use sea_orm::entity::prelude::*;

/// A stored content version.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_service_versions")]
pub struct Model {
    /// Submission order, registry-wide.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub application_id: String,
    /// Protobuf name of the `EntryApplicationKind`.
    pub kind: String,
    /// The entry, once known.
    pub number: Option<i64>,
    /// Which submission of the application.
    pub submission: i32,
    /// Protobuf name of the `VersionState`.
    pub state: String,
    /// An encoded `PublicServiceContent`.
    pub content: Vec<u8>,
    pub submitted_by: String,
    pub submitted_at: DateTimeUtc,
    /// Amendments: an encoded `ChangeMark`.
    pub change_mark: Option<Vec<u8>>,
    pub grounds: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
