//! Table `suppliers`: an organisation that supplies data sets (OD §26-28), with its responsible person.

use sea_orm::entity::prelude::*;

/// One row of `suppliers`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suppliers")]
pub struct Model {
    /// The URL name (CKAN's organisation name).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The registry member id, e.g. "UZ/GOV/201122919".
    pub member: String,
    /// The name in three languages, JSON.
    pub title: String,
    /// The organisation's internet domain.
    pub domain: String,
    /// The responsible person, JSON.
    pub responsible: String,
    /// When it was registered.
    pub registered_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
