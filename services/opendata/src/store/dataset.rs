//! Table `datasets`: a data set and its passport (OD Annex 2).

use sea_orm::entity::prelude::*;

/// One row of `datasets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "datasets")]
pub struct Model {
    /// A UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The URL name, unique.
    pub name: String,
    /// The supplier's URL name.
    pub supplier: String,
    /// The passport, JSON.
    pub passport: String,
    /// Lower-cased titles, descriptions, keywords and supplier: what free-text search looks in.
    pub search_text: String,
    /// Maintained by the platform from its own events.
    pub platform: bool,
    /// The current structure version (0: none yet).
    pub structure_version: i32,
    /// The current version (0: none published).
    pub version: i32,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// The first version's publication.
    pub first_published_at: Option<DateTimeUtc>,
    /// The latest version's publication.
    pub last_changed_at: Option<DateTimeUtc>,
    /// What the latest version changed.
    pub last_change: String,
    /// When the next version is due by the declared frequency.
    pub next_update_due: Option<DateTimeUtc>,
    /// When the supplier was notified that the current due date passed.
    pub overdue_notified_at: Option<DateTimeUtc>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
