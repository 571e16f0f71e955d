//! Table `contracts`: billing's contracts as `billing.contracts` carries them, the portal's own copy (API keys are
//! issued only under one, OD §8, §21).

use sea_orm::entity::prelude::*;

/// One row of `contracts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    /// The contract reference.
    #[sea_orm(primary_key, auto_increment = false)]
    pub reference: String,
    /// The billed account: the consumer's member id, e.g. "UZ/COM/207028220".
    pub account: String,
    /// First day, `YYYY-MM-DD`, Tashkent.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`, Tashkent, inclusive.
    pub valid_until: String,
    /// The event that carried this state (its `koprik-event-id`).
    pub event_id: String,
    /// When billing recorded it, as the event says.
    pub occurred_at: Option<DateTimeUtc>,
    /// When the portal stored it.
    pub received_at: DateTimeUtc,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
