//! Table `public_service_entries`: the entries of the Unified Registry, keyed by registry number. Never deleted.

use sea_orm::entity::prelude::*;

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_service_entries")]
pub struct Model {
    /// The registry number (column 1).
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i64,
    /// The competent body's canonical member id (column 3), for per-body queries.
    pub competent_body: String,
    /// Protobuf name of the `EntryStatus`.
    pub status: String,
    /// The registered content in force: an encoded `PublicServiceContent`, a copy of the registered version.
    pub content: Vec<u8>,
    /// 1 at registration, +1 per registered amendment.
    pub content_version: i32,
    /// The `public_service_versions` row of the content in force.
    pub version_id: i64,
    pub registered_at: DateTimeUtc,
    /// An encoded `Abolition`, once abolished.
    pub abolition: Option<Vec<u8>>,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
