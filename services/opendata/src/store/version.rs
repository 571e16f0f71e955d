//! Table `versions`: every published version (immutable).

use sea_orm::entity::prelude::*;

/// One row of `versions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "versions")]
pub struct Model {
    /// A UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The data set.
    pub dataset_id: String,
    /// 1, 2, ...
    pub number: i32,
    /// The structure it follows.
    pub structure_version: i32,
    /// The version it replaces.
    pub previous_version_id: Option<String>,
    /// What changed.
    pub change_note: String,
    /// Data rows.
    pub rows: i64,
    /// Size of the canonical CSV.
    pub bytes: i64,
    /// Hex SHA-256 of the canonical CSV; also its name in the version store.
    pub sha256: String,
    /// When it was published.
    pub published_at: DateTimeUtc,
    /// Who published it: the identity of the supplier's or operator's certificate (`supplier:UZ/GOV/201122919`),
    /// or the portal itself for the platform's own data sets; null before identities were certificates.
    pub published_by: Option<String>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
