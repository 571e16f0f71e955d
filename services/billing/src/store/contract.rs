//! Table `contracts`: DDP contracts with their tariffs (see [`crate::tariff`]).

use sea_orm::entity::prelude::*;

/// One contract.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    /// The contract reference, as on the DDP grant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub reference: String,
    /// The consumer member billed.
    pub account: String,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`.
    pub valid_until: String,
    /// The encoded `koprik.billing.v1.Tariff`.
    pub tariff: Vec<u8>,
    /// Days after the period by which its invoice is due.
    pub payment_terms_days: i32,
    /// When it was recorded.
    pub created_at: DateTimeUtc,
    /// Who recorded it: the identity of the operator's certificate (`operator:a.karimov`); null before
    /// identities were certificates.
    pub recorded_by: Option<String>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
