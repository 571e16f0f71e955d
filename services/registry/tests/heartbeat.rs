//! The registry's heartbeat (`src/heartbeat.rs`) against a real database (SQLite, or PostgreSQL with
//! `DATABASE_URL`) and a real Tansu broker: a `RegistryHeartbeat` on `registry.events` about every second, written
//! through the outbox, which it leaves empty; none while the relay cannot publish (a wedged relay, a stopped broker),
//! and never ahead of a change committed before it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{start, stop, Harness, OPERATOR};
use koprik_kafka::topics::REGISTRY_EVENTS;
use koprik_kafka::KafkaConfig;
use koprik_proto::events::{registry_event::Entity, RegistryEvent};
use koprik_proto::prost::Name;
use koprik_proto::registry::{CredentialStatus, RevokeCertificateRequest};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

/// A record of `registry.events` as the test read it.
#[derive(Debug, Clone)]
struct Seen {
    key: String,
    offset: i64,
    event_type: Option<String>,
    event: RegistryEvent,
}

impl Seen {
    /// When the registry wrote it, if it is a heartbeat.
    fn heartbeat(&self) -> Option<DateTime<Utc>> {
        match &self.event.entity {
            Some(Entity::Heartbeat(beat)) => {
                Some(beat.at.as_ref().and_then(koprik_proto::time::datetime).expect("a heartbeat has its time"))
            }
            _ => None,
        }
    }
}

/// Reads `registry.events` from its beginning, in the background, for as long as it lives.
struct Reader {
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Reader {
    async fn start(config: &KafkaConfig) -> Self {
        let began = Instant::now();
        // The registry creates the topic as it starts.
        let tail = loop {
            match koprik_kafka::consumer::tail(config, "koprik-test-heartbeats", REGISTRY_EVENTS).await {
                Ok(tail) => break tail,
                Err(e) => {
                    assert!(began.elapsed() < Duration::from_secs(10), "cannot read {REGISTRY_EVENTS}: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            loop {
                match tail.consumer.recv().await {
                    Ok(record) => {
                        let received = koprik_kafka::decode::<RegistryEvent>(&record).expect("a RegistryEvent");
                        let seen = Seen {
                            key: received.key,
                            offset: received.offset,
                            event_type: received.headers.event_type,
                            event: received.value,
                        };
                        sink.lock().expect("not poisoned").push(seen);
                    }
                    // The broker is stopped on purpose in one test; the consumer reconnects.
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Self { seen, task }
    }

    /// Everything read so far, in order.
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// The heartbeats read so far: offset and time, in order.
    fn heartbeats(&self) -> Vec<(i64, DateTime<Utc>)> {
        self.seen().iter().filter_map(|s| s.heartbeat().map(|at| (s.offset, at))).collect()
    }

    /// Waits until a record read satisfies `found`; panics naming `what` after `timeout`.
    async fn wait_for(&self, what: &str, timeout: Duration, found: impl Fn(&Seen) -> bool) -> Seen {
        let began = Instant::now();
        loop {
            if let Some(seen) = self.seen().into_iter().find(&found) {
                return seen;
            }
            assert!(began.elapsed() < timeout, "no {what} on {REGISTRY_EVENTS} within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The registry's database, as the test looks into it.
async fn database(h: &Harness) -> DatabaseConnection {
    sea_orm::Database::connect(h.db.url()).await.expect("the registry's database")
}

/// How many heartbeats wait in the outbox, and how many rows in all.
async fn outbox(db: &DatabaseConnection) -> (u64, u64) {
    use koprik_outbox::store::{Column, Entity as Outbox};
    let heartbeats =
        Outbox::find().filter(Column::Key.eq("heartbeat/registry")).count(db).await.expect("outbox readable");
    (heartbeats, Outbox::find().count(db).await.expect("outbox readable"))
}

/// Heartbeat times strictly increase.
fn assert_increasing(beats: &[(i64, DateTime<Utc>)]) {
    for pair in beats.windows(2) {
        assert!(pair[0].1 < pair[1].1 && pair[0].0 < pair[1].0, "heartbeats out of order: {beats:?}");
    }
}

#[tokio::test]
async fn a_heartbeat_is_published_about_every_second_and_leaves_nothing_in_the_outbox() {
    let h = start().await;
    let reader = Reader::start(&h.broker.kafka_config()).await;
    let db = database(&h).await;
    // Watch the outbox while the heartbeats go out: each one is deleted once published.
    let mut most = (0, 0);
    for _ in 0..45 {
        let (heartbeats, rows) = outbox(&db).await;
        most = (most.0.max(heartbeats), most.1.max(rows));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (heartbeats, rows) = outbox(&db).await;
    assert!(most.0 <= 1 && heartbeats <= 1 && rows <= 1, "the outbox grows: at most {most:?}, now {rows} rows");

    let beats = reader.heartbeats();
    assert!((3..=7).contains(&beats.len()), "{} heartbeats in 4.5 s: {beats:?}", beats.len());
    assert_increasing(&beats);
    for pair in beats.windows(2) {
        let gap = (pair[1].1 - pair[0].1).to_std().expect("increasing");
        assert!(gap >= Duration::from_millis(700) && gap <= Duration::from_secs(3), "{gap:?} apart: {beats:?}");
    }
    let last = beats.last().expect("a heartbeat").1;
    assert!(Utc::now() - last < chrono::Duration::seconds(3), "the latest heartbeat is recent: {last}");
    let seen = reader.seen().into_iter().find(|s| s.heartbeat().is_some()).expect("a heartbeat");
    assert_eq!(seen.key, "heartbeat/registry");
    assert_eq!(seen.event_type.as_deref(), Some(RegistryEvent::full_name().as_str()));
    stop(h).await;
}

/// A topic the relay can never publish to: Kafka allows only letters, digits, '.', '_' and '-' in topic names.
const UNPUBLISHABLE: &str = "koprik test: no such topic!";

#[tokio::test]
async fn while_the_relay_is_wedged_no_heartbeat_is_published_and_none_overtakes_a_revocation() {
    let h = start().await;
    let reader = Reader::start(&h.broker.kafka_config()).await;
    let db = database(&h).await;
    let auditor = h.register("auditor:s.rahimova").await;
    reader.wait_for("heartbeat", Duration::from_secs(10), |s| s.heartbeat().is_some()).await;

    // A row the relay cannot publish: the relay publishes oldest first, so it retries that row and nothing after
    // it goes out.
    let wedge = RegistryEvent { event_id: "wedge".into(), ..Default::default() };
    koprik_outbox::enqueue(&db, UNPUBLISHABLE, "wedge", "wedge", &wedge, None).await.expect("wedged");
    let wedged_at = Utc::now();
    // The operator revokes a certificate meanwhile: committed, but stuck behind the wedge.
    let revoke = RevokeCertificateRequest { serial: auditor.serial.clone(), reason: "key lost".into() };
    h.certificates_as(OPERATOR).await.revoke_certificate(revoke).await.expect("revoked");
    let revoked_at = Utc::now();

    tokio::time::sleep(Duration::from_secs(4)).await;
    let beats = reader.heartbeats();
    assert!(beats.iter().all(|(_, at)| *at < wedged_at), "a heartbeat got past the wedge: {beats:?} ({wedged_at})");
    let revocation = |s: &Seen| {
        matches!(&s.event.entity, Some(Entity::Certificate(c))
            if c.serial == auditor.serial && c.status() == CredentialStatus::Revoked)
    };
    assert!(!reader.seen().iter().any(revocation), "the revocation got past the wedge");
    let (heartbeats, rows) = outbox(&db).await;
    assert_eq!(heartbeats, 1, "four heartbeats written meanwhile, one waiting: the newest");
    assert_eq!(rows, 3, "the wedge, the revocation and one heartbeat");

    // Unwedged: the revocation goes out first, then heartbeats again, each behind it.
    use koprik_outbox::store::{Column, Entity as Outbox};
    Outbox::delete_many().filter(Column::Key.eq("wedge")).exec(&db).await.expect("unwedged");
    let unwedged_at = Utc::now();
    let fresh = reader
        .wait_for("heartbeat after the wedge", Duration::from_secs(30), |s| {
            s.heartbeat().is_some_and(|at| at > unwedged_at)
        })
        .await;
    let revoked = reader.seen().into_iter().find(revocation).expect("the revocation is published");
    for (offset, at) in reader.heartbeats().into_iter().filter(|(_, at)| *at > revoked_at) {
        assert!(offset > revoked.offset, "a heartbeat of {at} before the revocation committed at {revoked_at}");
    }
    assert!(fresh.offset > revoked.offset);
    assert_increasing(&reader.heartbeats());
    stop(h).await;
}

/// The process id of the Tansu broker this test started for `h` (found by its listener address among this
/// process's children), to stop and resume it.
fn broker_pid(h: &Harness) -> String {
    let listener = format!("tcp://{}", h.broker.bootstrap());
    let parent = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|pid| pid.chars().all(|c| c.is_ascii_digit()))
        .find(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // stat: "pid (name) state ppid ..."
            let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1));
            String::from_utf8_lossy(&cmdline).split('\0').any(|arg| arg == listener) && ppid == Some(&parent)
        })
        .expect("the test's Tansu broker")
}

fn signal(pid: &str, signal: &str) {
    let status = std::process::Command::new("kill").args([signal, pid]).status().expect("kill runs");
    assert!(status.success(), "kill {signal} {pid}");
}

#[tokio::test]
async fn while_the_broker_is_stopped_heartbeats_wait_one_at_a_time_and_resume_when_it_is_back() {
    let h = start().await;
    let reader = Reader::start(&h.broker.kafka_config()).await;
    let db = database(&h).await;
    reader.wait_for("heartbeat", Duration::from_secs(10), |s| s.heartbeat().is_some()).await;

    let pid = broker_pid(&h);
    signal(&pid, "-STOP");
    let stopped_at = Utc::now();
    let mut most = 0;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        most = most.max(outbox(&db).await.0);
    }
    let during: Vec<_> = reader.heartbeats().into_iter().filter(|(_, at)| *at > stopped_at).collect();
    signal(&pid, "-CONT");
    let resumed_at = Utc::now();
    assert!(during.is_empty(), "heartbeats published while the broker was stopped: {during:?}");
    assert_eq!(most, 1, "six heartbeats written while the broker was stopped, one waiting at a time");

    reader
        .wait_for("heartbeat after the broker is back", Duration::from_secs(40), |s| {
            s.heartbeat().is_some_and(|at| at > resumed_at)
        })
        .await;
    assert_increasing(&reader.heartbeats());
    // And they keep coming, the outbox emptied behind them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let recent = reader.heartbeats().into_iter().filter(|(_, at)| *at > resumed_at).count();
    assert!(recent >= 2, "{recent} heartbeats since the broker is back");
    assert!(outbox(&db).await.1 <= 1, "the outbox is emptied once the broker is back");
    stop(h).await;
}
