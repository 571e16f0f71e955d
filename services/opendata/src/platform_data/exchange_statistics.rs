//! Daily anonymised exchange statistics as open data (OD Annex 3): per Tashkent day, provider and web service,
//! how many exchanges there were, how they ended and how long they took, and how many distinct consumers made
//! them, that number published only from `consumer_threshold` up so that one consumer's use cannot be read off
//! the table. No consumer is ever named.
//!
//! The `exchange.audit` records are folded exactly once: a batch is one database transaction that reads how far
//! each partition has been folded (`consumer_positions`), skips what was folded before, adds the rest to
//! `exchange_statistics` and `exchange_statistic_consumers`, and moves the positions; Kafka offsets are committed
//! afterwards, best effort. A day is published once it has closed (Tashkent midnight plus `republish_interval`,
//! so that records still in flight at midnight make it in): every closed day in one cumulative CSV, oldest first,
//! at least one version a day.
//!
//! What counts: records that describe a finished exchange, i.e. a synchronous call (step CALL), the answer or
//! failure of a submitted request (ANSWERED), a submission that was refused outright (SUBMITTED with any outcome
//! but DELIVERED, which only means "forwarded"), and records from before steps existed (UNSPECIFIED). An
//! exchange belongs to the Tashkent day it completed on, so that an answer arriving days after its request does
//! not change a day already published.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::OwnedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_proto::events::{AuditOutcome, AuditRecord, AuditStep};
use koprik_proto::ids::{ServiceId, SubsystemId};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::{field, platform_passport, Definition, EXCHANGE_STATISTICS};
use crate::config::PlatformConfig;
use crate::error::{OpendataError, Result};
use crate::multilingual::Multilingual;
use crate::passport::Passport;
use crate::publishing::Publisher;
use crate::repository::{PositionedExchange, Repository};
use crate::structure::{FieldType, Structure};
use crate::update_frequency::UpdateFrequency;

/// Upper bounds of the latency buckets, in milliseconds; one more bucket holds everything slower. From a fast
/// synchronous call up to a submitted request answered within a day.
pub const LATENCY_BUCKETS_MS: [u64; 18] = [
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 14_400_000,
    86_400_000,
];

/// The passport and structure of `exchange-statistics`; the consumer threshold is stated in the methodology.
pub fn definition(supplier: &str, consumer_threshold: u32) -> Definition {
    use FieldType::{Date, Integer, String as Text};
    let passport = Passport {
        title: Multilingual::new(
            "Ko'prik platformasida ma'lumot almashinuvi statistikasi",
            "Статистика обмена данными на платформе Ko'prik",
            "Data exchange statistics of the Ko'prik platform",
        ),
        description: Multilingual::new(
            "Har bir kun, ta'minotchi va veb-servis bo'yicha so'rovlar soni, ularning natijasi (yetkazilgan, rad \
             etilgan, muvaffaqiyatsiz) va javob vaqti. Iste'molchilar nomlanmaydi.",
            "По каждому дню, поставщику и веб-сервису: число запросов, их исход (доставлен, отклонён, ошибка) и \
             время ответа. Потребители не называются.",
            "Per day, provider and web service: the number of requests, how they ended (delivered, refused, failed) \
             and how long they took. Consumers are never named.",
        ),
        composition: Multilingual::new(
            "Bir qator: bir kun (Toshkent vaqti), bitta ta'minotchi va bitta veb-servis. Faqat tugagan kunlar.",
            "Одна строка: один день (по ташкентскому времени), один поставщик и один веб-сервис. Только \
             завершившиеся дни.",
            "One row per day (Tashkent time), provider and web service. Closed days only.",
        ),
        methodology: Multilingual::new(
            format!(
                "Platforma shlyuzining audit yozuvlaridan (exchange.audit) hisoblanadi; har bir almashinuv u \
                 tugagan kunga kiritiladi. Javob vaqti so'rov qabul qilinganidan almashinuv tugaguniga qadar, \
                 millisekundlarda; p95 qat'iy oraliqlar bo'yicha, oraliqning yuqori chegarasi sifatida beriladi. \
                 Turli iste'molchilar soni faqat {consumer_threshold} tadan boshlab ko'rsatiladi, aks holda katak \
                 bo'sh qoladi."
            ),
            format!(
                "Рассчитывается по записям аудита шлюза платформы (exchange.audit); обмен относится ко дню его \
                 завершения. Время ответа — от приёма запроса до завершения обмена, в миллисекундах; p95 — по \
                 фиксированным интервалам, как верхняя граница интервала. Число различных потребителей \
                 публикуется только начиная с {consumer_threshold}, иначе ячейка пуста."
            ),
            format!(
                "Computed from the platform gateway's audit records (exchange.audit); an exchange counts on the day it \
                 completed. Latency runs from the receipt of the request to the end of the exchange, in \
                 milliseconds; p95 is taken from fixed buckets and given as its bucket's upper bound (at most the \
                 maximum). The number of distinct consumers is published only from {consumer_threshold} up; below \
                 it the cell is empty."
            ),
        ),
        ..platform_passport(
            EXCHANGE_STATISTICS,
            supplier,
            UpdateFrequency::Daily,
            [
                &["statistika", "ma'lumot almashinuvi"],
                &["статистика", "обмен данными"],
                &["statistics", "data exchange"],
            ],
        )
    };
    let structure = Structure {
        fields: vec![
            field("day", Date, true, ["Kun", "День", "Day"], ""),
            field("provider", Text, true, ["Ta'minotchi", "Поставщик", "Provider member"], ""),
            field("service", Text, true, ["Veb-servis", "Веб-сервис", "Web service"], ""),
            field("requests", Integer, true, ["So'rovlar", "Запросы", "Requests"], ""),
            field("delivered", Integer, true, ["Yetkazilgan", "Доставлено", "Delivered"], ""),
            field("refused", Integer, true, ["Rad etilgan", "Отклонено", "Refused"], ""),
            field("failed", Integer, true, ["Muvaffaqiyatsiz", "Ошибки", "Failed"], ""),
            field("mean_latency_ms", Integer, false, ["O'rtacha vaqt", "Среднее время", "Mean latency"], "ms"),
            field("p95_latency_ms", Integer, false, ["95-persentil vaqt", "95-й перцентиль", "p95 latency"], "ms"),
            field("max_latency_ms", Integer, false, ["Eng uzoq vaqt", "Наибольшее время", "Max latency"], "ms"),
            field("consumers", Integer, false, ["Iste'molchilar", "Потребители", "Distinct consumers"], ""),
        ],
    };
    Definition { passport, structure }
}

/// How an exchange ended, as the statistics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider's answer was delivered.
    Delivered,
    /// The platform refused the request, or it was malformed.
    Refused,
    /// The provider refused or failed, no answer came in time, or the platform failed.
    Failed,
    /// The record does not say (counted as a request only).
    Unclassified,
}

impl From<AuditOutcome> for Outcome {
    fn from(outcome: AuditOutcome) -> Self {
        match outcome {
            AuditOutcome::Delivered => Outcome::Delivered,
            AuditOutcome::Refused | AuditOutcome::Invalid => Outcome::Refused,
            AuditOutcome::ProviderError | AuditOutcome::TimedOut | AuditOutcome::PlatformError => Outcome::Failed,
            AuditOutcome::Unspecified => Outcome::Unclassified,
        }
    }
}

/// One finished exchange, as much of it as the statistics keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The Tashkent day it completed on.
    pub day: NaiveDate,
    /// The provider member id.
    pub provider: String,
    /// The service id.
    pub service: String,
    /// The consumer subsystem id, when the caller was identified (stored to count distinct consumers, never
    /// published).
    pub consumer: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// From receipt to completion, when both are recorded.
    pub latency_ms: Option<u64>,
}

/// Whether an audit record describes a finished exchange (see the module documentation).
fn is_finished(record: &AuditRecord) -> bool {
    match record.step() {
        AuditStep::Call | AuditStep::Answered | AuditStep::Unspecified => true,
        AuditStep::Submitted => record.outcome() != AuditOutcome::Delivered,
        AuditStep::Escalated => false,
    }
}

/// The exchange an audit record describes; None when it is not counted (not a finished exchange, or no valid
/// service, or no time at all).
pub fn exchange_of(record: &AuditRecord) -> Option<Exchange> {
    if !is_finished(record) {
        return None;
    }
    let service = ServiceId::try_from(record.service.as_ref()?).ok()?;
    let received = record.received_at.as_ref().and_then(koprik_proto::time::datetime);
    let completed = record.completed_at.as_ref().and_then(koprik_proto::time::datetime);
    let day = koprik_calendar::local_date(completed.or(received)?);
    let latency_ms = match (received, completed) {
        (Some(received), Some(completed)) => {
            Some(u64::try_from((completed - received).num_milliseconds()).unwrap_or(0))
        }
        _ => None,
    };
    let consumer =
        record.consumer.as_ref().and_then(|c| SubsystemId::try_from(c).ok()).map(|consumer| consumer.to_string());
    Some(Exchange {
        day,
        provider: service.provider().to_string(),
        service: service.to_string(),
        consumer,
        outcome: record.outcome().into(),
        latency_ms,
    })
}

/// The bucket a latency falls in: the first whose upper bound it does not exceed, or the last (overflow) one.
pub fn bucket_of(latency_ms: u64) -> usize {
    LATENCY_BUCKETS_MS.iter().position(|&bound| latency_ms <= bound).unwrap_or(LATENCY_BUCKETS_MS.len())
}

/// The counts and latencies of one day, provider and service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// Exchanges.
    pub requests: u64,
    /// Delivered.
    pub delivered: u64,
    /// Refused by the platform or malformed.
    pub refused: u64,
    /// Provider errors, time-outs and platform failures.
    pub failed: u64,
    /// The sum of latencies, for the mean.
    pub latency_sum_ms: u64,
    /// The longest latency.
    pub latency_max_ms: u64,
    /// Exchanges per latency bucket ([`LATENCY_BUCKETS_MS`] plus overflow); their sum is the number of latencies.
    pub latency_buckets: Vec<u64>,
}

impl Tally {
    /// Counts one exchange.
    pub fn add(&mut self, exchange: &Exchange) {
        self.requests += 1;
        match exchange.outcome {
            Outcome::Delivered => self.delivered += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Unclassified => {}
        }
        if let Some(latency) = exchange.latency_ms {
            self.latency_sum_ms = self.latency_sum_ms.saturating_add(latency);
            self.latency_max_ms = self.latency_max_ms.max(latency);
            let bucket = bucket_of(latency);
            if self.latency_buckets.len() <= bucket {
                self.latency_buckets.resize(LATENCY_BUCKETS_MS.len() + 1, 0);
            }
            self.latency_buckets[bucket] += 1;
        }
    }

    /// Adds another tally of the same day, provider and service.
    pub fn merge(&mut self, other: &Tally) {
        self.requests += other.requests;
        self.delivered += other.delivered;
        self.refused += other.refused;
        self.failed += other.failed;
        self.latency_sum_ms = self.latency_sum_ms.saturating_add(other.latency_sum_ms);
        self.latency_max_ms = self.latency_max_ms.max(other.latency_max_ms);
        if self.latency_buckets.len() < other.latency_buckets.len() {
            self.latency_buckets.resize(other.latency_buckets.len(), 0);
        }
        for (mine, theirs) in self.latency_buckets.iter_mut().zip(&other.latency_buckets) {
            *mine += theirs;
        }
    }

    /// How many exchanges have a latency.
    pub fn latencies(&self) -> u64 {
        self.latency_buckets.iter().sum()
    }

    /// The mean latency, rounded to the millisecond; None without latencies.
    pub fn mean_latency_ms(&self) -> Option<u64> {
        let count = self.latencies();
        (count > 0).then(|| (self.latency_sum_ms + count / 2) / count)
    }

    /// The 95th percentile latency as the upper bound of the bucket it falls in (the maximum when that is lower,
    /// or when it falls in the overflow bucket); None without latencies.
    pub fn p95_latency_ms(&self) -> Option<u64> {
        let count = self.latencies();
        if count == 0 {
            return None;
        }
        // The smallest rank r with r >= 0.95 * count.
        let rank = (count * 95).div_ceil(100);
        let mut seen = 0;
        for (bucket, &n) in self.latency_buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let bound = LATENCY_BUCKETS_MS.get(bucket).copied().unwrap_or(u64::MAX);
                return Some(bound.min(self.latency_max_ms));
            }
        }
        Some(self.latency_max_ms)
    }
}

/// One row of the published statistics, before the consumer threshold is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyStatistic {
    /// The Tashkent day.
    pub day: NaiveDate,
    /// The provider member id.
    pub provider: String,
    /// The service id.
    pub service: String,
    /// The counts and latencies.
    pub tally: Tally,
    /// Distinct consumer subsystems.
    pub consumers: u64,
}

/// The CSV row of one statistic (the columns of [`definition`]): the consumers cell stays empty below
/// `consumer_threshold`.
pub fn statistics_row(statistic: &DailyStatistic, consumer_threshold: u32) -> Vec<String> {
    let optional = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
    let tally = &statistic.tally;
    let latencies = tally.latencies() > 0;
    vec![
        statistic.day.to_string(),
        statistic.provider.clone(),
        statistic.service.clone(),
        tally.requests.to_string(),
        tally.delivered.to_string(),
        tally.refused.to_string(),
        tally.failed.to_string(),
        optional(tally.mean_latency_ms()),
        optional(tally.p95_latency_ms()),
        optional(latencies.then_some(tally.latency_max_ms)),
        optional((statistic.consumers >= u64::from(consumer_threshold)).then_some(statistic.consumers)),
    ]
}

/// When the statistics of `day` may be published: `grace` after the Tashkent midnight that ends it.
pub fn closes_at(day: NaiveDate, grace: Duration) -> DateTime<Utc> {
    koprik_calendar::end_of(day)
        + chrono::Duration::milliseconds(1)
        + chrono::Duration::from_std(grace).unwrap_or_default()
}

/// The first day not yet closed at `now`: every earlier day is published.
pub fn first_open_day(now: DateTime<Utc>, grace: Duration) -> NaiveDate {
    koprik_calendar::local_date(now - chrono::Duration::from_std(grace).unwrap_or_default())
}

/// What the loop keeps between batches.
struct State {
    /// The statistics may differ from the published version.
    dirty: bool,
    /// The last publication attempt: the next waits `republish_interval` after it.
    last_attempt: Option<Instant>,
    /// [`first_open_day`] at the last look: a new one means a day closed.
    open_day: NaiveDate,
}

/// Consumes `exchange.audit` batches until `shutdown`, folding them into the statistics and publishing closed
/// days.
pub(super) async fn run(
    consumer: Arc<StreamConsumer>,
    mut batches: mpsc::Receiver<Vec<OwnedMessage>>,
    repository: Repository,
    publisher: Publisher,
    config: PlatformConfig,
    shutdown: CancellationToken,
) {
    let grace = config.republish_interval;
    // Looked at once at start: a day may have closed while the portal was down.
    let mut state = State { dirty: true, last_attempt: None, open_day: first_open_day(Utc::now(), grace) };
    let mut tick = tokio::time::interval(super::tick_period(config.republish_interval));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Biased, and the tick before the batches: a steady stream of batches must not starve publishing.
            biased;
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                let open = first_open_day(Utc::now(), grace);
                if open != state.open_day {
                    state.open_day = open;
                    state.dirty = true;
                }
                if !state.dirty || state.last_attempt.is_some_and(|at| at.elapsed() < config.republish_interval) {
                    continue;
                }
                state.last_attempt = Some(Instant::now());
                match publish(&repository, &publisher, &config).await {
                    Ok(()) => state.dirty = false,
                    Err(e @ (OpendataError::Database(_) | OpendataError::Storage(_))) => {
                        tracing::warn!(error = %e, "cannot publish exchange statistics; retrying");
                    }
                    Err(e) => {
                        state.dirty = false;
                        tracing::error!(error = %e, "exchange statistics refused publication");
                    }
                }
            }
            batch = batches.recv() => {
                let Some(batch) = batch else { return };
                let exchanges = positioned(&batch);
                let Some(outcome) =
                    super::retry("fold exchange statistics", &shutdown, || repository.fold_exchanges(&exchanges)).await
                else {
                    return;
                };
                super::commit_batch(&consumer, &batch);
                let open = first_open_day(Utc::now(), grace);
                if outcome.days.iter().any(|day| *day < open) {
                    state.dirty = true;
                }
                tracing::debug!(folded = outcome.folded, replayed = outcome.replayed, "audit records folded");
            }
        }
    }
}

/// Every record of a batch with where it was read, and the exchange it describes when it is counted. Records
/// that cannot be read are logged and only move the position.
fn positioned(batch: &[OwnedMessage]) -> Vec<PositionedExchange> {
    batch
        .iter()
        .map(|record| {
            let exchange = match koprik_kafka::decode::<AuditRecord>(record) {
                Ok(received) => exchange_of(&received.value),
                Err(e) => {
                    tracing::warn!(error = %e, "audit record skipped");
                    None
                }
            };
            PositionedExchange {
                topic: record.topic().to_owned(),
                partition: record.partition(),
                offset: record.offset(),
                exchange,
            }
        })
        .collect()
}

/// How many closed days a version covers. Earlier days stay in the earlier versions, which are immutable and stay
/// available, so each version stays a year's size however long the platform runs.
pub const WINDOW_DAYS: u64 = 366;

/// Publishes the closed days of the window, when that differs from the latest version or no version covers the last closed
/// day yet (the data set is daily: a day without exchanges still gets its version).
async fn publish(repository: &Repository, publisher: &Publisher, config: &PlatformConfig) -> Result<()> {
    let now = Utc::now();
    let open = first_open_day(now, config.republish_interval);
    let from = open.checked_sub_days(chrono::Days::new(WINDOW_DAYS)).unwrap_or(open);
    let statistics = repository.exchange_statistics(from, open).await?;
    if statistics.is_empty() {
        return Ok(());
    }
    let definition = definition(&config.supplier.name, config.consumer_threshold);
    let rows: Vec<Vec<String>> =
        statistics.iter().map(|statistic| statistics_row(statistic, config.consumer_threshold)).collect();
    let csv = super::csv_bytes(&definition.structure, &rows)?;
    let last_closed = open.pred_opt().unwrap_or(open);
    let dataset = repository.dataset(EXCHANGE_STATISTICS).await?;
    let day_not_covered =
        dataset.last_changed_at.is_none_or(|at| at < closes_at(last_closed, config.republish_interval));
    let note = format!("Exchange statistics for the Tashkent days through {last_closed}");
    super::publish_csv(repository, publisher, EXCHANGE_STATISTICS, csv, &note, day_not_covered, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use koprik_proto::time::timestamp;

    const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";

    fn record(step: AuditStep, outcome: AuditOutcome, received: DateTime<Utc>, latency_ms: i64) -> AuditRecord {
        let service: ServiceId = SERVICE.parse().expect("id");
        let consumer: SubsystemId = "UZ/COM/207028220/kyc".parse().expect("id");
        AuditRecord {
            service: Some((&service).into()),
            consumer: Some((&consumer).into()),
            outcome: outcome as i32,
            step: step as i32,
            received_at: Some(timestamp(received)),
            completed_at: Some(timestamp(received + chrono::Duration::milliseconds(latency_ms))),
            ..Default::default()
        }
    }

    fn exchange(latency_ms: u64) -> Exchange {
        Exchange {
            day: NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"),
            provider: "UZ/GOV/201122919".into(),
            service: SERVICE.into(),
            consumer: None,
            outcome: Outcome::Delivered,
            latency_ms: Some(latency_ms),
        }
    }

    fn tally(latencies: &[u64]) -> Tally {
        let mut tally = Tally::default();
        for &latency in latencies {
            tally.add(&exchange(latency));
        }
        tally
    }

    #[test]
    fn a_day_ends_at_tashkent_midnight() {
        // 19:00 UTC is midnight in Tashkent (UTC+5).
        let before = Utc.with_ymd_and_hms(2026, 11, 24, 18, 59, 59).single().expect("time");
        let after = Utc.with_ymd_and_hms(2026, 11, 24, 19, 0, 0).single().expect("time");
        let day = |at| exchange_of(&record(AuditStep::Call, AuditOutcome::Delivered, at, 0)).expect("counted").day;
        assert_eq!(day(before), NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"));
        assert_eq!(day(after), NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"));
        // An exchange belongs to the day it completed on.
        let straddling = record(AuditStep::Call, AuditOutcome::Delivered, before, 2_000);
        assert_eq!(
            exchange_of(&straddling).expect("counted").day,
            NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
        );
        assert_eq!(exchange_of(&straddling).expect("counted").latency_ms, Some(2_000));
    }

    #[test]
    fn a_day_closes_after_the_grace_following_its_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        let grace = Duration::from_secs(60);
        let midnight = Utc.with_ymd_and_hms(2026, 11, 24, 19, 0, 0).single().expect("time");
        assert_eq!(closes_at(day, grace), midnight + chrono::Duration::seconds(60));
        assert_eq!(first_open_day(midnight + chrono::Duration::seconds(59), grace), day);
        assert_eq!(first_open_day(midnight + chrono::Duration::seconds(60), grace), day.succ_opt().expect("date"));
    }

    #[test]
    fn only_finished_exchanges_with_a_service_count() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).single().expect("time");
        let counted = |step, outcome| exchange_of(&record(step, outcome, at, 10)).is_some();
        assert!(counted(AuditStep::Call, AuditOutcome::Refused));
        assert!(counted(AuditStep::Answered, AuditOutcome::ProviderError));
        assert!(counted(AuditStep::Unspecified, AuditOutcome::Delivered));
        assert!(counted(AuditStep::Submitted, AuditOutcome::Refused));
        assert!(!counted(AuditStep::Submitted, AuditOutcome::Delivered));
        assert!(!counted(AuditStep::Escalated, AuditOutcome::TimedOut));
        let mut no_service = record(AuditStep::Call, AuditOutcome::Invalid, at, 10);
        no_service.service = None;
        assert_eq!(exchange_of(&no_service), None);
        let mut anonymous = record(AuditStep::Call, AuditOutcome::Refused, at, 10);
        anonymous.consumer = None;
        assert_eq!(exchange_of(&anonymous).expect("counted").consumer, None);
    }

    #[test]
    fn outcomes_are_counted_in_three_classes() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).single().expect("time");
        let mut tally = Tally::default();
        for outcome in [
            AuditOutcome::Delivered,
            AuditOutcome::Refused,
            AuditOutcome::Invalid,
            AuditOutcome::ProviderError,
            AuditOutcome::TimedOut,
            AuditOutcome::PlatformError,
            AuditOutcome::Unspecified,
        ] {
            tally.add(&exchange_of(&record(AuditStep::Call, outcome, at, 10)).expect("counted"));
        }
        assert_eq!((tally.requests, tally.delivered, tally.refused, tally.failed), (7, 1, 2, 3));
    }

    #[test]
    fn the_p95_is_the_upper_bound_of_its_bucket() {
        // 96 fast calls and 4 slow ones: the 95th of 100 is fast, in the bucket up to 25 ms.
        let mut latencies = vec![20; 96];
        latencies.extend([3_000; 4]);
        let t = tally(&latencies);
        assert_eq!(t.p95_latency_ms(), Some(25));
        assert_eq!(t.latency_max_ms, 3_000);
        // 94 fast and 6 slow: the 95th is slow, in the bucket up to 5000 ms, which the maximum caps.
        let mut latencies = vec![20; 94];
        latencies.extend([3_000; 6]);
        assert_eq!(tally(&latencies).p95_latency_ms(), Some(3_000));
        let mut latencies = vec![20; 94];
        latencies.extend([3_000, 3_000, 3_000, 3_000, 3_000, 4_900]);
        assert_eq!(tally(&latencies).p95_latency_ms(), Some(4_900));
        latencies.push(4_999);
        assert_eq!(tally(&latencies).p95_latency_ms(), Some(4_999));
        // Beyond the last bound: the maximum.
        assert_eq!(tally(&[100_000_000]).p95_latency_ms(), Some(100_000_000));
        assert_eq!(bucket_of(5), 0);
        assert_eq!(bucket_of(6), 1);
        assert_eq!(bucket_of(86_400_001), LATENCY_BUCKETS_MS.len());
        assert_eq!(Tally::default().p95_latency_ms(), None);
    }

    #[test]
    fn the_mean_is_rounded_and_merging_equals_adding() {
        let t = tally(&[100, 200, 50]);
        assert_eq!(t.mean_latency_ms(), Some(117));
        let mut merged = tally(&[100]);
        merged.merge(&tally(&[200, 50]));
        assert_eq!(merged, t);
        let mut from_empty = Tally::default();
        from_empty.merge(&t);
        assert_eq!(from_empty, t);
    }

    #[test]
    fn the_consumer_count_is_published_only_from_the_threshold() {
        let statistic = |consumers| DailyStatistic {
            day: NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"),
            provider: "UZ/GOV/201122919".into(),
            service: SERVICE.into(),
            tally: tally(&[100, 200, 50]),
            consumers,
        };
        assert_eq!(
            statistics_row(&statistic(4), 5),
            ["2026-11-24", "UZ/GOV/201122919", SERVICE, "3", "3", "0", "0", "117", "200", "200", ""]
        );
        assert_eq!(statistics_row(&statistic(5), 5)[10], "5");
        assert_eq!(statistics_row(&statistic(0), 0)[10], "0");
        // No latencies at all: the latency cells are empty, not zero.
        let mut no_latency = statistic(1);
        no_latency.tally = Tally { requests: 1, failed: 1, ..Tally::default() };
        let row = statistics_row(&no_latency, 5);
        assert_eq!(&row[7..], ["", "", "", ""]);
        let definition = definition("egov-operator", 5);
        let csv = super::super::csv_bytes(&definition.structure, &[row]).expect("in memory");
        crate::publication_check::check_and_canonicalise(&definition.structure, csv.as_slice(), &mut Vec::new())
            .expect("passes the checks");
    }
}
