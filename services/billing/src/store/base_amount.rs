//! Table `base_amounts`: the base calculation amount by the date it comes into force (see [`crate::base_amount`]).

use sea_orm::entity::prelude::*;

/// One recorded BCA.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "base_amounts")]
pub struct Model {
    /// `YYYY-MM-DD`, Tashkent: in force from 00:00 that day.
    #[sea_orm(primary_key, auto_increment = false)]
    pub effective_from: String,
    /// The amount in tiyin.
    pub amount_tiyin: i64,
    /// The decree that set it.
    pub decree: String,
    /// When it was recorded here.
    pub recorded_at: DateTimeUtc,
    /// Who recorded it: the identity of the operator's certificate; null before identities were certificates.
    pub recorded_by: Option<String>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
