//! A signed request is accepted once (issue 15, item 2). The officer's signature (REG-2 p. 14) vouches for one
//! request; without this rule whoever holds a copy of a signed request (a consumer system's log, a proxy) could send
//! it again and again for as long as its signing time is accepted, each time delivered, billed and audited in the
//! officer's name.
//!
//! - **What identifies a request**: the SHA-256 of its signed bytes — the canonical encoding of
//!   `koprik_proto::signing::request_bytes`, key id included — not of the signature value. The signed content is
//!   what the officer vouched for; keying on it means a second, different signature over the same content (Ed25519
//!   lets the key holder make many; a lax verifier might accept a re-encoded one) is the same request. Two requests
//!   with the same content signed at different instants differ in `signed_at`, so they are two requests.
//! - **When**: recorded when the request is admitted — every check passed, before it is forwarded — in the same
//!   transaction as its quota count ([`crate::request_quota`]): both or neither. A refused request is not recorded
//!   (it was not accepted, and may be sent again once the refusal's cause is gone); a request the platform then
//!   fails to forward stays recorded (it may have reached the broker): the officer signs it again.
//! - **Where**: table `accepted_signatures` of the gateway database, shared by every replica; its primary key makes
//!   a second use fail on any replica, however close in time, and a restart (even a crash) forgets nothing.
//! - **The refusal**: `ALREADY_EXISTS` ("the request already exists"): retrying it can never succeed, unlike
//!   `UNAVAILABLE`; it is not a wrong credential (`UNAUTHENTICATED`) nor a missing permission
//!   (`PERMISSION_DENIED`); and it names the request id the request was first accepted as, which a consumer that
//!   lost the first response can look up (Get, for a submitted request). Only to the consumer that sent it first:
//!   anyone else is told no more than that it was accepted before. Audited `REFUSED`.
//! - **How long**: a signature is accepted only while its `signed_at` is at most
//!   [`GatewayConfig::signed_request_max_age`](crate::config::GatewayConfig) old (and at most the clock-skew
//!   allowance ahead). The row is kept until that has passed, plus the skew allowance again (replicas' clocks
//!   differ a little), then the sweep deletes it: the table holds about one window's worth of requests.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::error::GatewayError;
use crate::mandatory_content::MAX_CLOCK_SKEW;
use crate::store::accepted_signature::{ActiveModel, Column, Entity};

/// A signed request being accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    /// Hex SHA-256 of the signed bytes ([`crate::request_signature::Verified::digest`]).
    pub digest: String,
    /// The request id it is accepted as.
    pub request_id: String,
    /// The consumer subsystem (canonical id).
    pub consumer: String,
    /// The legal time of receipt.
    pub accepted_at: DateTime<Utc>,
    /// When the row may go: see [`expires_at`].
    pub expires_at: DateTime<Utc>,
}

/// The instant after which no replica accepts a request signed at `signed_at` with a window of `max_age`: the
/// window, plus the clock-skew allowance for replicas whose clocks lag.
pub fn expires_at(signed_at: DateTime<Utc>, max_age: Duration) -> DateTime<Utc> {
    signed_at + max_age + MAX_CLOCK_SKEW
}

/// Records `acceptance` unless a request with the same digest was accepted before. True when this call recorded
/// it; false for a second use. One conditional statement, so two replicas given the same request at once cannot
/// both accept it.
pub async fn record<C: ConnectionTrait>(db: &C, acceptance: &Acceptance) -> Result<bool, DbErr> {
    let row = ActiveModel {
        digest: Set(acceptance.digest.clone()),
        request_id: Set(acceptance.request_id.clone()),
        consumer_id: Set(acceptance.consumer.clone()),
        accepted_at: Set(acceptance.accepted_at),
        expires_at: Set(acceptance.expires_at),
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Digest).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// The request id a request with `digest` was first accepted as, while it is kept, when `consumer` (canonical id) is
/// the one that sent it then. Anyone else learns nothing more than that the request was accepted before: a request
/// id is the consumer's own (it is the key to its submitted answer, and names its audit records).
pub async fn first_request_id(db: &DatabaseConnection, digest: &str, consumer: &str) -> Result<Option<String>, DbErr> {
    let first = Entity::find()
        .select_only()
        .columns([Column::RequestId, Column::ConsumerId])
        .filter(Column::Digest.eq(digest))
        .into_tuple::<(String, String)>()
        .one(db)
        .await?;
    Ok(first.filter(|(_, first_consumer)| first_consumer == consumer).map(|(request_id, _)| request_id))
}

/// The refusal of a second use, naming the first request id when it is still known (and the caller's own).
pub fn replayed(first_request_id: Option<&str>) -> GatewayError {
    let first = first_request_id.map(|id| format!(" as request {id}")).unwrap_or_default();
    GatewayError::Replayed(format!(
        "this signed request was already accepted{first}: a signed request is accepted once; to send it again, \
         the officer signs it again"
    ))
}

/// Deletes the rows no replica needs any more (their signatures are too old to be accepted). Returns how many.
pub async fn purge(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::ExpiresAt.lt(now)).exec(db).await?.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The store itself (first use, second use, concurrent replicas, rollback, purge) is tested against SQLite and
    // PostgreSQL in tests/accepted_signatures.rs.

    #[test]
    fn a_row_outlives_the_window_by_the_clock_skew_allowance() {
        let signed_at = Utc::now();
        assert_eq!(expires_at(signed_at, Duration::minutes(15)), signed_at + Duration::minutes(20));
    }

    #[test]
    fn the_refusal_is_already_exists_and_names_the_first_request_only_when_given() {
        let refusal = replayed(Some("r-1"));
        assert_eq!(refusal.code(), koprik_proto::tonic::Code::AlreadyExists);
        assert!(refusal.to_string().starts_with("this signed request was already accepted as request r-1: "));
        assert!(replayed(None).to_string().starts_with("this signed request was already accepted: a signed"));
    }
}
