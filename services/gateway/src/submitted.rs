//! Submitted (asynchronous) requests in the gateway database: stored at Submit, answered from
//! `exchange.replies.async`, escalated by the sweep, read by Get, purged after the answer's retention. Every
//! change is one conditional statement, so replicas sharing the database never apply one twice.

use chrono::{DateTime, Utc};
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{ExchangeReply, FailureKind};
use koprik_proto::exchange::{GetResponse, RequestState};
use koprik_proto::ids::ServiceId;
use koprik_proto::time::timestamp;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::audit;
use crate::error::GatewayError;
use crate::store::submitted_request::{ActiveModel, Column, Entity, Model};

/// What Submit stores: identifiers, hashes and the deadline, never the payload.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The platform's request id.
    pub request_id: String,
    /// The submitting subsystem (canonical id).
    pub consumer: String,
    /// The service (canonical id).
    pub service: String,
    /// The provider member (canonical id).
    pub provider: String,
    /// The requested data item codes.
    pub data_items: Vec<String>,
    /// Hex SHA-256 of the request payload.
    pub request_sha256: String,
    /// The legal time of receipt.
    pub received_at: DateTime<Utc>,
    /// When the answer is due; none for archive services.
    pub deadline: Option<DateTime<Utc>>,
}

/// Stores a new PENDING request.
pub async fn insert(db: &DatabaseConnection, request: NewRequest) -> Result<(), DbErr> {
    ActiveModel {
        request_id: Set(request.request_id),
        consumer_id: Set(request.consumer),
        service_id: Set(request.service),
        provider: Set(request.provider),
        data_items: Set(request.data_items.join(",")),
        request_sha256: Set(request.request_sha256),
        received_at: Set(request.received_at),
        deadline: Set(request.deadline),
        state: Set(RequestState::Pending.as_str_name().to_owned()),
        escalated_at: Set(None),
        answered_at: Set(None),
        payload: Set(None),
        content_type: Set(String::new()),
        response_sha256: Set(String::new()),
        reason: Set(String::new()),
        status_code: Set(0),
        purge_after: Set(None),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// How a reply leaves a request: its state, and the error a synchronous call would have returned.
pub fn settle(outcome: Option<&Outcome>) -> (RequestState, Result<(), GatewayError>) {
    match outcome {
        Some(Outcome::Answer(_)) => (RequestState::Answered, Ok(())),
        Some(Outcome::Failure(failure)) => {
            let state = match failure.kind() {
                // A reasoned refusal (REG-2 p. 12), data not held, or a request the provider cannot answer as asked.
                FailureKind::Refused | FailureKind::NotFound | FailureKind::InvalidRequest => RequestState::Refused,
                FailureKind::Unavailable
                | FailureKind::Internal
                | FailureKind::UnknownService
                | FailureKind::Unspecified => RequestState::Failed,
            };
            (state, Err(GatewayError::Provider { kind: failure.kind(), message: failure.message.clone() }))
        }
        None => {
            (RequestState::Failed, Err(GatewayError::Platform("the provider's adapter sent an empty reply".into())))
        }
    }
}

/// Stores the reply of a PENDING request of the same service; returns the updated row, or `None` when there is
/// no such pending request (a duplicate reply, an unknown id, or a reply for another service).
pub async fn answer(
    db: &DatabaseConnection,
    reply: &ExchangeReply,
    service: &ServiceId,
    retention: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Option<Model>, DbErr> {
    let (state, result) = settle(reply.outcome.as_ref());
    let (payload, content_type, response_sha256) = match &reply.outcome {
        Some(Outcome::Answer(answer)) => {
            (Some(answer.payload.clone()), answer.content_type.clone(), audit::sha256_hex(&answer.payload))
        }
        _ => (None, String::new(), String::new()),
    };
    let (reason, status_code) = match &result {
        Ok(()) => (String::new(), 0),
        Err(e) => (e.to_string(), e.code() as i32),
    };
    let answered_at = reply.answered_at.as_ref().and_then(koprik_proto::time::datetime).unwrap_or(now);
    let purge_after = now + chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let updated = Entity::update_many()
        .col_expr(Column::State, Expr::value(state.as_str_name()))
        .col_expr(Column::AnsweredAt, Expr::value(answered_at))
        .col_expr(Column::Payload, Expr::value(payload))
        .col_expr(Column::ContentType, Expr::value(content_type))
        .col_expr(Column::ResponseSha256, Expr::value(response_sha256))
        .col_expr(Column::Reason, Expr::value(reason))
        .col_expr(Column::StatusCode, Expr::value(status_code))
        .col_expr(Column::PurgeAfter, Expr::value(purge_after))
        .filter(Column::RequestId.eq(reply.request_id.as_str()))
        .filter(Column::ServiceId.eq(service.to_string()))
        .filter(Column::State.eq(RequestState::Pending.as_str_name()))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    Entity::find_by_id(reply.request_id.clone()).one(db).await
}

/// Pending requests whose deadline passed by `now` and that nobody escalated yet, oldest deadline first.
pub async fn overdue(db: &DatabaseConnection, now: DateTime<Utc>, limit: u64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::State.eq(RequestState::Pending.as_str_name()))
        .filter(Column::EscalatedAt.is_null())
        .filter(Column::Deadline.lt(now))
        .order_by_asc(Column::Deadline)
        .limit(limit)
        .all(db)
        .await
}

/// Marks one request escalated unless another replica (or an answer) got there first. True when this call did.
pub async fn escalate(db: &DatabaseConnection, request_id: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let updated = Entity::update_many()
        .col_expr(Column::EscalatedAt, Expr::value(now))
        .filter(Column::RequestId.eq(request_id))
        .filter(Column::State.eq(RequestState::Pending.as_str_name()))
        .filter(Column::EscalatedAt.is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Deletes the requests whose answers' retention ended by `now`. Returns how many.
pub async fn purge(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::PurgeAfter.lt(now)).exec(db).await?.rows_affected)
}

/// The submitted request `request_id`, whoever submitted it (the caller checks that it is the asker's own).
pub async fn find(db: &DatabaseConnection, request_id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::RequestId.eq(request_id)).one(db).await
}

/// The Get response for a stored request.
pub fn response(row: Model) -> GetResponse {
    let service = row.service_id.parse::<ServiceId>().ok();
    GetResponse {
        request_id: row.request_id,
        state: RequestState::from_str_name(&row.state).unwrap_or_default() as i32,
        service: service.as_ref().map(Into::into),
        received_at: Some(timestamp(row.received_at)),
        deadline: row.deadline.map(timestamp),
        escalated: row.escalated_at.is_some(),
        escalated_at: row.escalated_at.map(timestamp),
        payload: row.payload.unwrap_or_default(),
        content_type: row.content_type,
        answered_at: row.answered_at.map(timestamp),
        reason: row.reason,
        status_code: row.status_code,
    }
}

/// What the audit records of a stored request's later steps say about it.
pub fn facts(row: &Model) -> audit::CallFacts {
    audit::CallFacts {
        request_id: row.request_id.clone(),
        received_at: row.received_at,
        consumer: row.consumer_id.parse().ok(),
        service: row.service_id.parse().ok(),
        data_items: row.data_items.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        request_sha256: row.request_sha256.clone(),
        response_sha256: row.response_sha256.clone(),
        ..audit::CallFacts::default()
    }
}

/// Removes a request that was never forwarded.
pub async fn forget(db: &DatabaseConnection, request_id: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(request_id.to_owned()).exec(db).await.map(|_| ())
}
