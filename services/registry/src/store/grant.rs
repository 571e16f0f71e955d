//! Table `grants`: which consumer subsystem may call which web service, and whether it may now.

use sea_orm::entity::prelude::*;

/// A stored access grant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    /// A UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The consumer subsystem's canonical id.
    pub consumer_id: String,
    /// The service's canonical id.
    pub service_id: String,
    /// Protobuf name of the `GrantStatus`.
    pub status: String,
    /// Why the status is what it is.
    pub reason: String,
    /// Protobuf name of the `Platform`.
    pub platform: String,
    /// The permitted data item codes, comma-separated.
    pub permitted_items: String,
    /// The connection application the grant came from, or empty.
    pub application_id: String,
    /// Protobuf name of the `AccessGround` of the current suspension or termination, or empty.
    pub ground: String,
    /// When the DDP contract ends; the expiry sweep terminates the grant then.
    pub valid_until: Option<DateTimeUtc>,
    /// The monthly maximum of requests the consumer declared in its application; 0 for none.
    pub max_requests_per_month: i64,
    /// The encoded terms and record: a `Grant` carrying only approvals, contract, notice and history.
    pub terms: Option<Vec<u8>>,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
