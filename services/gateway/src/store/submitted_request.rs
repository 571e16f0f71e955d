//! Table `submitted_requests`: asynchronous requests, from Submit until their answer is purged. Identifiers,
//! hashes and the deadline only — never the request payload; the answer's payload is kept until `purge_after`.

use sea_orm::entity::prelude::*;

/// A submitted request and, once it came, its answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "submitted_requests")]
pub struct Model {
    /// The platform's request id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    /// The submitting subsystem's canonical id: the only caller Get answers.
    pub consumer_id: String,
    /// The service's canonical id.
    pub service_id: String,
    /// The provider member's canonical id (the label of the deadline-breach metric).
    pub provider: String,
    /// The requested data item codes, comma-separated.
    pub data_items: String,
    /// Hex SHA-256 of the request payload (for the audit records of later steps).
    pub request_sha256: String,
    /// The legal time of receipt.
    pub received_at: DateTimeUtc,
    /// When the answer is due; none for archive services.
    pub deadline: Option<DateTimeUtc>,
    /// Protobuf name of the `RequestState`.
    pub state: String,
    /// When the deadline passed unanswered and the request was escalated.
    pub escalated_at: Option<DateTimeUtc>,
    /// When the provider's adapter answered.
    pub answered_at: Option<DateTimeUtc>,
    /// The answer's payload (ANSWERED only).
    pub payload: Option<Vec<u8>>,
    /// The answer's media type.
    pub content_type: String,
    /// Hex SHA-256 of the answer's payload.
    pub response_sha256: String,
    /// The provider's reason (REFUSED, FAILED).
    pub reason: String,
    /// The gRPC code a synchronous call would have returned (REFUSED, FAILED).
    pub status_code: i32,
    /// When the row (and the answer in it) is deleted.
    pub purge_after: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
