//! Table `payments`: payments received and refunds, unique per (channel, channel payment id).

use sea_orm::entity::prelude::*;

/// One payment or refund.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    /// Ko'prik's id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `received` or `refund`.
    pub kind: String,
    /// The payment channel.
    pub channel: String,
    /// The channel's own id.
    pub channel_payment_id: String,
    /// The account.
    pub account: String,
    /// The amount.
    pub amount_tiyin: i64,
    /// The invoice the payer named.
    pub invoice_number: Option<String>,
    /// When the channel says it was paid.
    pub paid_at: DateTimeUtc,
    /// What became account credit.
    pub credited_tiyin: i64,
    /// When it was recorded.
    pub recorded_at: DateTimeUtc,
    /// Who reported it: the payment channel's certificate identity (`payment-channel:agrobank`), or the operator's
    /// for a refund; null before identities were certificates.
    pub recorded_by: Option<String>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
