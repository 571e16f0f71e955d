//! Table `announcements`: providers' planned changes and technical works. Append-only.

use sea_orm::entity::prelude::*;

/// A stored announcement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "announcements")]
pub struct Model {
    /// A UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The service's canonical id.
    pub service_id: String,
    /// Protobuf name of the `AnnouncementKind`.
    pub kind: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: Option<DateTimeUtc>,
    pub summary: String,
    /// The written notice.
    pub letter_reference: String,
    pub actor: String,
    pub announced_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
