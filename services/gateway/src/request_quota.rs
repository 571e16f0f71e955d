//! The declared monthly maximum of requests (item 6 of issue 4). A consumer's application states, for each web
//! service, "the expected maximum number of requests per month" (A1 Ap2 and A2 Ap2, the application forms); the
//! registry copies it into the grant (`Grant.max_requests_per_month`), and the gateway refuses the request that
//! would exceed it, with RESOURCE_EXHAUSTED, until the month ends.
//!
//! - The month is the calendar month in Tashkent time (UTC+5): it resets at 00:00 on the 1st, Tashkent.
//! - Counted per consumer subsystem and service: each request the gateway accepts (well-formed, allowed by the
//!   access rule) counts once, before it is forwarded, whatever the provider then answers — a provider's refusal
//!   or a timeout still used the provider's capacity. A refused request (invalid, not allowed, or over the
//!   maximum) is not counted.
//! - The count lives in the gateway database and is taken by one conditional upsert, so replicas sharing the
//!   database never let more than the maximum through between them.
//! - A grant without a declared maximum (0) has no quota and counts nothing.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use koprik_calendar::TASHKENT;
use koprik_proto::ids::{ServiceId, SubsystemId};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use crate::error::GatewayError;
use crate::store::request_count::Column;

/// The Tashkent calendar month of `at`, as `YYYY-MM`, and the first instant of the next one.
pub fn month_of(at: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let local = at.with_timezone(&TASHKENT).date_naive();
    let (year, month) = if local.month() == 12 { (local.year() + 1, 1) } else { (local.year(), local.month() + 1) };
    let next = NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_local_timezone(TASHKENT).single())
        .map_or(DateTime::<Utc>::MAX_UTC, |d| d.with_timezone(&Utc));
    (format!("{:04}-{:02}", local.year(), local.month()), next)
}

/// The refusal of a request over the maximum: the limit, and when it resets.
pub fn exhausted(service: &ServiceId, max: u32, month: &str, resets_at: DateTime<Utc>) -> GatewayError {
    GatewayError::QuotaExhausted(format!(
        "the monthly maximum of {max} requests to {service} declared in the application (A1 Ap2, A2 Ap2) is used \
         up for {month}; it resets at {} ({})",
        resets_at.with_timezone(&TASHKENT).format("%Y-%m-%dT%H:%M:%S%:z"),
        resets_at.format("%Y-%m-%dT%H:%M:%SZ"),
    ))
}

/// Counts one request of `consumer` to `service` at `at` against `max`; refuses it, uncounted, when the month's
/// count already reached `max`. `max` = 0: no quota, nothing counted. `db` may be a transaction: the gateway counts
/// a request in the one that records it as accepted ([`crate::replay`]).
pub async fn take<C: ConnectionTrait>(
    db: &C,
    consumer: &SubsystemId,
    service: &ServiceId,
    max: u32,
    at: DateTime<Utc>,
) -> Result<(), GatewayError> {
    if max == 0 {
        return Ok(());
    }
    let (month, resets_at) = month_of(at);
    let counted =
        count_one(db, &consumer.to_string(), &service.to_string(), &month, i64::from(max)).await.map_err(|e| {
            tracing::error!(error = %e, "request count not updated");
            GatewayError::Platform("the request could not be counted against its monthly maximum; try again".into())
        })?;
    if counted {
        Ok(())
    } else {
        Err(exhausted(service, max, &month, resets_at))
    }
}

/// Every count of the Tashkent month of `at`: (consumer, service, requests), for the quota-use metrics.
pub async fn counts_in_month(db: &DatabaseConnection, at: DateTime<Utc>) -> Result<Vec<(String, String, i64)>, DbErr> {
    use crate::store::request_count::Entity;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let (month, _) = month_of(at);
    let rows = Entity::find().filter(Column::Month.eq(month)).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.consumer_id, row.service_id, row.count)).collect())
}

/// One statement: insert the month's first request, or add one to the count while it is below `max`. True when
/// counted (one row changed), false when the count had reached `max`.
async fn count_one<C: ConnectionTrait>(
    db: &C,
    consumer: &str,
    service: &str,
    month: &str,
    max: i64,
) -> Result<bool, DbErr> {
    use crate::store::request_count::Entity;
    let count = || Expr::col((Entity, Column::Count));
    let statement = Query::insert()
        .into_table(Entity)
        .columns([Column::ConsumerId, Column::ServiceId, Column::Month, Column::Count])
        .values_panic([consumer.into(), service.into(), month.into(), 1i64.into()])
        .on_conflict(
            OnConflict::columns([Column::ConsumerId, Column::ServiceId, Column::Month])
                .value(Column::Count, count().add(1))
                .action_and_where(count().lt(max))
                .to_owned(),
        )
        .to_owned();
    let result = db.execute(db.get_database_backend().build(&statement)).await?;
    Ok(result.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
    }

    #[test]
    fn months_are_tashkent_months() {
        // 20:00 UTC on 30 November is already 1 December in Tashkent.
        let (month, next) = month_of(at("2026-11-30T20:00:00Z"));
        assert_eq!(month, "2026-12");
        assert_eq!(next, at("2026-12-31T19:00:00Z"));
        let (month, next) = month_of(at("2026-11-30T18:59:59Z"));
        assert_eq!(month, "2026-11");
        assert_eq!(next, at("2026-11-30T19:00:00Z"));
    }

    #[test]
    fn the_refusal_names_the_limit_and_the_reset() {
        let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id");
        let (month, next) = month_of(at("2026-11-15T10:00:00Z"));
        let error = exhausted(&service, 3, &month, next);
        assert_eq!(error.code(), koprik_proto::tonic::Code::ResourceExhausted);
        let text = error.to_string();
        assert!(text.contains("monthly maximum of 3 requests"), "{text}");
        assert!(text.contains("resets at 2026-12-01T00:00:00+05:00 (2026-11-30T19:00:00Z)"), "{text}");
    }

    #[tokio::test]
    async fn the_count_stops_at_the_maximum_and_starts_again_next_month() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.expect("sqlite");
        <crate::migration::Migrator as sea_orm_migration::MigratorTrait>::up(&db, None).await.expect("migrated");
        let consumer: SubsystemId = "UZ/GOV/200935935/tax-inspection".parse().expect("id");
        let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id");
        let november = at("2026-11-15T10:00:00Z");
        for _ in 0..2 {
            take(&db, &consumer, &service, 2, november).await.expect("within the maximum");
        }
        let refused = take(&db, &consumer, &service, 2, november).await.expect_err("third");
        assert!(matches!(refused, GatewayError::QuotaExhausted(_)));
        take(&db, &consumer, &service, 2, at("2026-11-30T19:00:00Z")).await.expect("December");
        take(&db, &consumer, &service, 0, november).await.expect("no quota without a declared maximum");
    }
}
