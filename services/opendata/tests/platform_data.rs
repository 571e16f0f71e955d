//! The platform's own data as open data (OD Annex 3: the registries are open resources and belong on the portal),
//! against a real Tansu broker and a real database: registry changes become new versions of the registry data
//! sets, closed days of exchanges become the statistics data set, and no audit record is counted twice.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use koprik_kafka::topics::{EXCHANGE_AUDIT, REGISTRY_EVENTS};
use koprik_kafka::{Producer, RecordHeaders};
use koprik_opendata::config::{OpendataConfig, PlatformConfig};
use koprik_opendata::migration::Migrator;
use koprik_opendata::platform_data::exchange_statistics::{Exchange, Outcome};
use koprik_opendata::platform_data::{self, EXCHANGE_STATISTICS, PUBLIC_SERVICES_REGISTRY, WEB_SERVICES_CATALOGUE};
use koprik_opendata::publishing::Publisher;
use koprik_opendata::repository::{PositionedExchange, Repository};
use koprik_opendata::version_store::VersionStore;
use koprik_proto::events::registry_event::Entity;
use koprik_proto::events::{AuditOutcome, AuditRecord, AuditStep, RegistryEvent};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::registry::{DataItem, EntryStatus, LocalizedText, PublicServiceContent, PublicServiceEntry, Service};
use koprik_proto::time::timestamp;
use koprik_testkit::{Broker, RegistryHeartbeats, TestDatabase};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
const PROVIDER: &str = "UZ/GOV/201122919";
const WAIT: Duration = Duration::from_secs(30);

/// The portal's platform data loops over a fresh database and broker. Fields drop in order: the broker last,
/// after every rdkafka client (a client outliving its broker hangs for 45 s).
struct Harness {
    task: Option<JoinHandle<anyhow::Result<()>>>,
    shutdown: CancellationToken,
    repository: Repository,
    publisher: Publisher,
    producer: Producer,
    _store: tempfile::TempDir,
    _db: TestDatabase,
    _broker: Broker,
}

fn platform_config() -> PlatformConfig {
    PlatformConfig { republish_interval: Duration::from_millis(200), ..OpendataConfig::default().platform }
}

async fn repository(db: &TestDatabase) -> Repository {
    let connection = koprik_runtime::db::connect_and_migrate::<Migrator>(&db.config()).await.expect("database");
    Repository::new(connection, Arc::new(tokio::sync::Notify::new()))
}

async fn start() -> Harness {
    koprik_testkit::init_logs();
    let broker = Broker::start().await;
    let db = TestDatabase::create().await;
    let repository = repository(&db).await;
    let store = tempfile::tempdir().expect("a directory for the version store");
    let publisher = Publisher::new(repository.clone(), VersionStore::open(store.path()).expect("version store"));
    let producer = Producer::new(&broker.kafka_config(), "platform-data-test").expect("producer");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(platform_data::run(
        repository.clone(),
        publisher.clone(),
        broker.kafka_config(),
        platform_config(),
        shutdown.clone(),
    ));
    Harness { task: Some(task), shutdown, repository, publisher, producer, _store: store, _db: db, _broker: broker }
}

impl Harness {
    async fn registry_event(&self, key: &str, entity: Entity) {
        let event_id = uuid::Uuid::now_v7().to_string();
        let event = RegistryEvent {
            event_id: event_id.clone(),
            occurred_at: Some(timestamp(Utc::now())),
            entity: Some(entity),
        };
        self.producer.publish(REGISTRY_EVENTS, key, &event, &event_id, None).await.expect("registry event produced");
    }

    async fn tombstone(&self, key: &str) {
        self.producer
            .publish_encoded(REGISTRY_EVENTS, key, &[], RecordHeaders::default())
            .await
            .expect("tombstone produced");
    }

    async fn audit(&self, records: &[AuditRecord]) {
        for record in records {
            self.producer
                .publish(EXCHANGE_AUDIT, &record.request_id, record, &record.event_id, None)
                .await
                .expect("audit record produced");
        }
    }

    /// Waits until the latest version of `dataset` satisfies `matches`; returns its number and CSV.
    async fn wait_for_version(&self, dataset: &str, matches: impl Fn(u32, &str) -> bool) -> (u32, String) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = String::new();
        loop {
            if let Ok(record) = self.repository.dataset(dataset).await {
                if record.version > 0 {
                    let version = self.repository.version(&record, record.version).await.expect("latest version");
                    let mut csv = String::new();
                    self.publisher
                        .store()
                        .open_version(&version.sha256)
                        .expect("the version's file")
                        .read_to_string(&mut csv)
                        .expect("UTF-8 CSV");
                    if matches(version.number, &csv) {
                        return (version.number, csv);
                    }
                    last = format!("version {}:\n{csv}", version.number);
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "{dataset} never matched; last seen {last}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task).await.expect("stops promptly").expect("no panic").expect("no error");
        }
    }
}

fn service(name: &str) -> Service {
    let id: ServiceId = SERVICE.parse().expect("service id");
    Service {
        id: Some((&id).into()),
        name: name.into(),
        description: "Fuqaroning asosiy ma'lumotlari".into(),
        data_items: vec![
            DataItem { code: "full_name".into(), name: "F.I.Sh.".into(), classification: 2 },
            DataItem { code: "birth_date".into(), name: "Tug'ilgan sana".into(), classification: 2 },
        ],
        status: 1,
        meta: None,
        archive: false,
    }
}

#[tokio::test]
async fn registry_changes_are_republished_as_new_versions_of_the_registry_data_sets() {
    let h = start().await;
    h.registry_event(&format!("service/{SERVICE}"), Entity::Service(service("Shaxs ma'lumotlari"))).await;
    let (first, csv) = h.wait_for_version(WEB_SERVICES_CATALOGUE, |_, csv| csv.contains("Shaxs ma'lumotlari")).await;
    assert!(
        csv.contains(&format!(
            "{SERVICE},{PROVIDER},civil-registry,person-by-pinfl,v1,Shaxs ma'lumotlari,Fuqaroning asosiy ma'lumotlari,\
             available,false,full_name;birth_date,,\n"
        )),
        "{csv}"
    );
    let dataset = h.repository.dataset(WEB_SERVICES_CATALOGUE).await.expect("data set");
    assert!(dataset.platform);
    assert_eq!(dataset.passport.supplier, platform_config().supplier.name);

    // The provider renames the service: a later version carries the new name, and only it.
    h.registry_event(&format!("service/{SERVICE}"), Entity::Service(service("Fuqaro ma'lumotlari"))).await;
    let (second, csv) = h.wait_for_version(WEB_SERVICES_CATALOGUE, |_, csv| csv.contains("Fuqaro ma'lumotlari")).await;
    assert!(second > first);
    assert!(!csv.contains("Shaxs ma'lumotlari"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");

    // A second service comes and goes (a tombstone on the compacted topic).
    let other: ServiceId = "UZ/GOV/201122919/civil-registry/birth-record/v2".parse().expect("id");
    let mut second_service = service("Tug'ilganlik yozuvi");
    second_service.id = Some((&other).into());
    h.registry_event(&format!("service/{other}"), Entity::Service(second_service)).await;
    h.wait_for_version(WEB_SERVICES_CATALOGUE, |_, csv| csv.contains("birth-record")).await;
    h.tombstone(&format!("service/{other}")).await;
    let (_, csv) = h.wait_for_version(WEB_SERVICES_CATALOGUE, |_, csv| !csv.contains("birth-record")).await;
    assert!(csv.contains("Fuqaro ma'lumotlari"), "{csv}");

    // An entry of the public-services registry: public columns only, never the applicant's documents.
    let body: MemberId = PROVIDER.parse().expect("member");
    let entry = PublicServiceEntry {
        number: 12,
        status: EntryStatus::Live as i32,
        content: Some(PublicServiceContent {
            name: Some(LocalizedText {
                uz: "Tug'ilganlik haqida guvohnoma".into(),
                ru: "Свидетельство о рождении".into(),
                en: String::new(),
            }),
            competent_body: Some((&body).into()),
            permanent_link: "https://my.gov.uz/oz/service/12".into(),
            ..Default::default()
        }),
        content_version: 1,
        ..Default::default()
    };
    h.registry_event("public-service/12", Entity::PublicService(entry)).await;
    let (_, csv) = h.wait_for_version(PUBLIC_SERVICES_REGISTRY, |_, csv| csv.contains("Tug'ilganlik")).await;
    let row = csv.lines().nth(1).expect("one row");
    assert!(
        row.starts_with(&format!("12,Tug'ilganlik haqida guvohnoma,Свидетельство о рождении,,{PROVIDER},live,")),
        "{row}"
    );
    h.stop().await;
}

#[tokio::test]
async fn the_registrys_heartbeats_on_registry_events_are_ignored() {
    let h = start().await;
    // The registry beats every 300 ms on the topic the registry data sets are read from, before and after a change.
    let heartbeats = RegistryHeartbeats::start(&h._broker.kafka_config()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    h.registry_event(&format!("service/{SERVICE}"), Entity::Service(service("Shaxs ma'lumotlari"))).await;
    let (version, csv) = h.wait_for_version(WEB_SERVICES_CATALOGUE, |_, csv| csv.contains("Shaxs ma'lumotlari")).await;
    assert_eq!(csv.lines().count(), 2, "the header and the service, no heartbeat: {csv}");
    // More beats, several republish intervals: no row, no new version of either registry data set.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    drop(heartbeats);
    let rows = h.repository.platform_rows(WEB_SERVICES_CATALOGUE).await.expect("rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(h.repository.platform_rows(PUBLIC_SERVICES_REGISTRY).await.expect("rows").is_empty());
    assert_eq!(h.repository.dataset(WEB_SERVICES_CATALOGUE).await.expect("data set").version, version);
    assert_eq!(h.repository.dataset(PUBLIC_SERVICES_REGISTRY).await.expect("data set").version, 0);
    h.stop().await;
}

fn audit_record(
    request: &str,
    consumer: &str,
    step: AuditStep,
    outcome: AuditOutcome,
    received: chrono::DateTime<Utc>,
    latency_ms: i64,
) -> AuditRecord {
    let service: ServiceId = SERVICE.parse().expect("service id");
    let consumer: SubsystemId = consumer.parse().expect("subsystem id");
    AuditRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: request.into(),
        gateway: "gateway-1".into(),
        consumer: Some((&consumer).into()),
        service: Some((&service).into()),
        outcome: outcome as i32,
        step: step as i32,
        received_at: Some(timestamp(received)),
        completed_at: Some(timestamp(received + chrono::Duration::milliseconds(latency_ms))),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_closed_day_of_exchanges_is_published_without_naming_few_consumers() {
    let h = start().await;
    let today = koprik_calendar::local_date(Utc::now());
    let yesterday = today.pred_opt().expect("a day before");
    // Noon in Tashkent, yesterday.
    let noon = koprik_calendar::end_of(yesterday) - chrono::Duration::hours(12);
    let (a, b) = ("UZ/COM/207028220/kyc", "UZ/GOV/200935935/tax-portal");
    h.audit(&[
        audit_record("r-1", a, AuditStep::Call, AuditOutcome::Delivered, noon, 100),
        audit_record("r-2", b, AuditStep::Call, AuditOutcome::Delivered, noon, 200),
        audit_record("r-3", a, AuditStep::Call, AuditOutcome::Refused, noon, 50),
        // Forwarded, not finished: its answer (ANSWERED) is what counts.
        audit_record("r-4", b, AuditStep::Submitted, AuditOutcome::Delivered, noon, 5),
        // Today is not closed: not published.
        audit_record("r-5", a, AuditStep::Call, AuditOutcome::Delivered, Utc::now(), 10),
    ])
    .await;
    let expected = format!("{yesterday},{PROVIDER},{SERVICE},3,2,1,0,117,200,200,\n");
    let (_, csv) = h.wait_for_version(EXCHANGE_STATISTICS, |_, csv| csv.contains(&expected)).await;
    assert_eq!(
        csv,
        format!(
            "day,provider,service,requests,delivered,refused,failed,mean_latency_ms,p95_latency_ms,max_latency_ms,\
             consumers\n{expected}"
        )
    );
    assert!(!csv.contains(&today.to_string()), "{csv}");
    h.stop().await;
}

fn exchange(day: NaiveDate, consumer: &str) -> Option<Exchange> {
    Some(Exchange {
        day,
        provider: PROVIDER.into(),
        service: SERVICE.into(),
        consumer: Some(consumer.into()),
        outcome: Outcome::Delivered,
        latency_ms: Some(40),
    })
}

fn at(offset: i64, exchange: Option<Exchange>) -> PositionedExchange {
    PositionedExchange { topic: EXCHANGE_AUDIT.into(), partition: 0, offset, exchange }
}

#[tokio::test]
async fn an_audit_record_read_again_is_not_counted_again() {
    let db = TestDatabase::create().await;
    let repository = repository(&db).await;
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    let batch = vec![
        at(0, exchange(day, "UZ/COM/207028220/kyc")),
        at(1, None),
        at(2, exchange(day, "UZ/COM/207028220/kyc")),
        at(3, exchange(day, "UZ/GOV/200935935/tax-portal")),
    ];
    let first = repository.fold_exchanges(&batch).await.expect("folded");
    assert_eq!((first.folded, first.replayed), (3, 0));
    assert_eq!(repository.statistics_position(EXCHANGE_AUDIT, 0).await.expect("position"), Some(4));

    // The same batch again (the offsets were not committed before a crash): nothing is added.
    let replay = repository.fold_exchanges(&batch).await.expect("folded");
    assert_eq!((replay.folded, replay.replayed), (0, 4));
    // A batch that overlaps: only the new record counts.
    let overlap = vec![at(3, exchange(day, "UZ/GOV/200935935/tax-portal")), at(4, exchange(day, "UZ/GOV/1/x"))];
    let overlapping = repository.fold_exchanges(&overlap).await.expect("folded");
    assert_eq!((overlapping.folded, overlapping.replayed), (1, 1));
    assert_eq!(repository.statistics_position(EXCHANGE_AUDIT, 0).await.expect("position"), Some(5));

    let statistics = repository.exchange_statistics(day, day.succ_opt().expect("next day")).await.expect("statistics");
    assert_eq!(statistics.len(), 1);
    let statistic = &statistics[0];
    assert_eq!((statistic.tally.requests, statistic.tally.delivered, statistic.consumers), (4, 4, 3));
    assert_eq!(statistic.tally.latency_sum_ms, 160);
    // The day itself is not before itself: nothing to publish yet.
    assert!(repository
        .exchange_statistics(day.pred_opt().expect("day before"), day)
        .await
        .expect("statistics")
        .is_empty());
}

#[tokio::test]
async fn setting_up_the_platform_data_sets_twice_changes_nothing() {
    let db = TestDatabase::create().await;
    let repository = repository(&db).await;
    let config = platform_config();
    platform_data::ensure(&repository, &config).await.expect("first set-up");
    platform_data::ensure(&repository, &config).await.expect("second set-up");
    let datasets = repository.datasets(Some(&config.supplier.name)).await.expect("data sets");
    let names: Vec<&str> = datasets.iter().map(|d| d.passport.name.as_str()).collect();
    assert_eq!(names, [EXCHANGE_STATISTICS, PUBLIC_SERVICES_REGISTRY, WEB_SERVICES_CATALOGUE]);
    for dataset in &datasets {
        assert!(dataset.platform);
        assert_eq!(dataset.structure_version, 1, "{}", dataset.passport.name);
        assert_eq!(dataset.version, 0);
    }
    assert_eq!(
        repository.supplier(&config.supplier.name).await.expect("supplier").supplier.member,
        config.supplier.member
    );
}
