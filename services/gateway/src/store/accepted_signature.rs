//! Table `accepted_signatures`: the signed requests the gateway accepted, by the SHA-256 of their signed bytes, kept
//! for as long as their signature could be accepted at all (see [`crate::replay`]).

use sea_orm::entity::prelude::*;

/// One accepted signed request.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accepted_signatures")]
pub struct Model {
    /// Hex SHA-256 of the request's canonical signed encoding (`koprik_proto::signing::request_bytes`, key id
    /// included): the same signed request, however it is re-sent, has the same digest.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    /// The request id it was first accepted as, named in the refusal of every later use.
    pub request_id: String,
    /// The consumer subsystem that sent it (canonical id).
    pub consumer_id: String,
    /// When it was accepted (the legal time of receipt).
    pub accepted_at: DateTimeUtc,
    /// After this no replica accepts its signature any more (signing time + the acceptance window + the clock-skew
    /// allowance), so the sweep deletes the row.
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
