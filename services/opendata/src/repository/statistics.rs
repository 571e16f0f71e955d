//! Exchange statistics (`exchange_statistics`, `exchange_statistic_consumers`) and how far `exchange.audit` has
//! been folded into them (`consumer_positions`), written in one transaction so that every audit record is counted
//! exactly once, however often Kafka delivers it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};

use super::Repository;
use crate::error::{OpendataError, Result};
use crate::platform_data::exchange_statistics::{DailyStatistic, Exchange, Tally};
use crate::store::{consumer_position, exchange_statistic, exchange_statistic_consumer};

/// One audit record of a batch: where it was read, and the exchange it describes when it is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionedExchange {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// None for a record that is not counted (it still moves the position).
    pub exchange: Option<Exchange>,
}

/// What folding a batch did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FoldOutcome {
    /// Exchanges added to the statistics.
    pub folded: u64,
    /// Records skipped because an earlier batch had folded them already.
    pub replayed: u64,
    /// The days the added exchanges belong to.
    pub days: BTreeSet<NaiveDate>,
}

/// Consumers inserted per statement (four parameters each, well under SQLite's limit).
const CONSUMER_CHUNK: usize = 200;

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

fn stored(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn tally(row: &exchange_statistic::Model) -> Result<Tally> {
    Ok(Tally {
        requests: count(row.requests),
        delivered: count(row.delivered),
        refused: count(row.refused),
        failed: count(row.failed),
        latency_sum_ms: count(row.latency_sum_ms),
        latency_max_ms: count(row.latency_max_ms),
        latency_buckets: serde_json::from_str(&row.latency_buckets)?,
    })
}

fn day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| OpendataError::Corrupt(format!("exchange statistics day {text:?}: {e}")))
}

/// The statistics of one day, provider and service, with the consumers seen.
type Delta = (Tally, BTreeSet<String>);

impl Repository {
    /// Folds a batch of audit records into the statistics, in one transaction: records at offsets below the
    /// stored position of their partition were folded before and are skipped; the rest are added and the
    /// positions move past the batch. A concurrent fold of the same partition (two replicas during a rebalance)
    /// makes this one fail with FAILED_PRECONDITION and change nothing; retried, it skips what the other folded.
    pub async fn fold_exchanges(&self, batch: &[PositionedExchange]) -> Result<FoldOutcome> {
        let mut outcome = FoldOutcome::default();
        if batch.is_empty() {
            return Ok(outcome);
        }
        let txn = self.db.begin().await?;
        let read: Vec<(String, i32, i64)> = batch.iter().map(|r| (r.topic.clone(), r.partition, r.offset)).collect();
        let positions = super::move_positions(&txn, &read).await?;
        let mut deltas: BTreeMap<(NaiveDate, String, String), Delta> = BTreeMap::new();
        for record in batch {
            if super::applied_before(&positions, &record.topic, record.partition, record.offset) {
                outcome.replayed += 1;
                continue;
            }
            let Some(exchange) = &record.exchange else { continue };
            let (tally, consumers) =
                deltas.entry((exchange.day, exchange.provider.clone(), exchange.service.clone())).or_default();
            tally.add(exchange);
            consumers.extend(exchange.consumer.clone());
            outcome.folded += 1;
            outcome.days.insert(exchange.day);
        }
        for ((day, provider, service), (delta, consumers)) in deltas {
            add_statistic(&txn, day, &provider, &service, &delta, &consumers).await?;
        }
        // No outbox event comes with the statistics: the relay is not woken.
        txn.commit().await?;
        Ok(outcome)
    }

    /// Where folding `topic`'s `partition` stands: the offset of the next record to fold (None: never folded).
    pub async fn statistics_position(&self, topic: &str, partition: i32) -> Result<Option<i64>> {
        Ok(consumer_position::Entity::find_by_id((topic.to_owned(), partition))
            .one(&self.db)
            .await?
            .map(|row| row.next_offset))
    }

    /// The statistics of the days from `from` up to (not including) `before`, ordered by day, provider and service,
    /// each with the number of distinct consumers.
    pub async fn exchange_statistics(&self, from: NaiveDate, before: NaiveDate) -> Result<Vec<DailyStatistic>> {
        let (from, before) = (from.to_string(), before.to_string());
        let rows = exchange_statistic::Entity::find()
            .filter(exchange_statistic::Column::Day.gte(from.as_str()))
            .filter(exchange_statistic::Column::Day.lt(before.as_str()))
            .all(&self.db)
            .await?;
        let consumers: Vec<(String, String, String, i64)> = exchange_statistic_consumer::Entity::find()
            .select_only()
            .column(exchange_statistic_consumer::Column::Day)
            .column(exchange_statistic_consumer::Column::Provider)
            .column(exchange_statistic_consumer::Column::Service)
            .column_as(Expr::col(exchange_statistic_consumer::Column::Consumer).count(), "consumers")
            .filter(exchange_statistic_consumer::Column::Day.gte(from.as_str()))
            .filter(exchange_statistic_consumer::Column::Day.lt(before.as_str()))
            .group_by(exchange_statistic_consumer::Column::Day)
            .group_by(exchange_statistic_consumer::Column::Provider)
            .group_by(exchange_statistic_consumer::Column::Service)
            .into_tuple()
            .all(&self.db)
            .await?;
        let consumers: HashMap<(String, String, String), i64> =
            consumers.into_iter().map(|(day, provider, service, n)| ((day, provider, service), n)).collect();
        let mut statistics = rows
            .iter()
            .map(|row| {
                let key = (row.day.clone(), row.provider.clone(), row.service.clone());
                Ok(DailyStatistic {
                    day: day(&row.day)?,
                    provider: row.provider.clone(),
                    service: row.service.clone(),
                    tally: tally(row)?,
                    consumers: count(consumers.get(&key).copied().unwrap_or_default()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Sorted here rather than by the database, whose collation may differ: the same statistics always make the
        // same CSV.
        statistics.sort_unstable_by(|a, b| (a.day, &a.provider, &a.service).cmp(&(b.day, &b.provider, &b.service)));
        Ok(statistics)
    }
}

/// Adds `delta` to the statistic of one day, provider and service, and records its consumers.
async fn add_statistic(
    txn: &DatabaseTransaction,
    day: NaiveDate,
    provider: &str,
    service: &str,
    delta: &Tally,
    consumers: &BTreeSet<String>,
) -> Result<()> {
    let day = day.to_string();
    let current =
        exchange_statistic::Entity::find_by_id((day.clone(), provider.to_owned(), service.to_owned())).one(txn).await?;
    let mut total = match &current {
        Some(row) => tally(row)?,
        None => Tally::default(),
    };
    total.merge(delta);
    if current.is_some() {
        exchange_statistic::Entity::update_many()
            .col_expr(exchange_statistic::Column::Requests, Expr::value(stored(total.requests)))
            .col_expr(exchange_statistic::Column::Delivered, Expr::value(stored(total.delivered)))
            .col_expr(exchange_statistic::Column::Refused, Expr::value(stored(total.refused)))
            .col_expr(exchange_statistic::Column::Failed, Expr::value(stored(total.failed)))
            .col_expr(exchange_statistic::Column::LatencySumMs, Expr::value(stored(total.latency_sum_ms)))
            .col_expr(exchange_statistic::Column::LatencyMaxMs, Expr::value(stored(total.latency_max_ms)))
            .col_expr(
                exchange_statistic::Column::LatencyBuckets,
                Expr::value(serde_json::to_string(&total.latency_buckets)?),
            )
            .filter(exchange_statistic::Column::Day.eq(day.as_str()))
            .filter(exchange_statistic::Column::Provider.eq(provider))
            .filter(exchange_statistic::Column::Service.eq(service))
            .exec(txn)
            .await?;
    } else {
        exchange_statistic::ActiveModel {
            day: Set(day.clone()),
            provider: Set(provider.to_owned()),
            service: Set(service.to_owned()),
            requests: Set(stored(total.requests)),
            delivered: Set(stored(total.delivered)),
            refused: Set(stored(total.refused)),
            failed: Set(stored(total.failed)),
            latency_sum_ms: Set(stored(total.latency_sum_ms)),
            latency_max_ms: Set(stored(total.latency_max_ms)),
            latency_buckets: Set(serde_json::to_string(&total.latency_buckets)?),
        }
        .insert(txn)
        .await?;
    }
    let consumers: Vec<&String> = consumers.iter().collect();
    for chunk in consumers.chunks(CONSUMER_CHUNK) {
        exchange_statistic_consumer::Entity::insert_many(chunk.iter().map(|consumer| {
            exchange_statistic_consumer::ActiveModel {
                day: Set(day.clone()),
                provider: Set(provider.to_owned()),
                service: Set(service.to_owned()),
                consumer: Set((*consumer).clone()),
            }
        }))
        .on_conflict(
            OnConflict::columns([
                exchange_statistic_consumer::Column::Day,
                exchange_statistic_consumer::Column::Provider,
                exchange_statistic_consumer::Column::Service,
                exchange_statistic_consumer::Column::Consumer,
            ])
            .do_nothing()
            .to_owned(),
        )
        .do_nothing()
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}
