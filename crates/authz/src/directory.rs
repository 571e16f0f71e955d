//! What a service knows of the certificates the registry has registered, and how current that knowledge is.
//!
//! The registry is the source: it reads its own table. Every other service keeps a [`MemoryDirectory`] fed from
//! `registry.events` ([`crate::feed`]) and knows how current it is ([`Freshness`]) on two counts: the last moment at
//! which it had applied everything the topic held, and the registry's latest heartbeat it applied (the registry
//! writes one every second through the same outbox as its changes, so a recent heartbeat proves that every
//! revocation committed before it has arrived). When either is older than `authz.max_staleness` (the broker is
//! unreachable, the feed is stuck, the registry's relay is wedged or the registry is down), a revocation might be
//! missed, so every call that needs a certificate is refused with UNAVAILABLE until both are recent again: the
//! services fail closed.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use koprik_pki::identity::{Identity, Role};
use koprik_proto::registry::{ClientCertificate, CredentialStatus};
use koprik_proto::time::datetime;
use koprik_proto::FieldError;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// A certificate as the registry recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredCertificate {
    /// Serial, lower-case hex without leading zeros.
    pub serial: String,
    /// Hex SHA-256 of the DER: a presented certificate with the same serial but other bytes is not this one.
    pub sha256_fingerprint: String,
    /// The role and principal it was registered with.
    pub identity: Identity,
    /// Active or revoked.
    pub status: CredentialStatus,
    /// Why it was revoked.
    pub revocation_reason: String,
    /// Valid until (the registry's record; the certificate's own is checked too).
    pub not_after: Option<DateTime<Utc>>,
    /// The registry revision this reflects.
    pub revision: i64,
}

impl TryFrom<&ClientCertificate> for RegisteredCertificate {
    type Error = FieldError;

    fn try_from(record: &ClientCertificate) -> Result<Self, FieldError> {
        if record.serial.is_empty() {
            return Err(FieldError::missing("serial"));
        }
        let role = Role::from_wire(record.role).ok_or_else(|| FieldError::missing("role"))?;
        let identity = Identity::new(role, &record.principal).map_err(|e| e.within("certificate"))?;
        Ok(Self {
            serial: record.serial.clone(),
            sha256_fingerprint: record.sha256_fingerprint.clone(),
            identity,
            status: record.status(),
            revocation_reason: record.revocation_reason.clone(),
            not_after: record.not_after.as_ref().and_then(datetime),
            revision: record.meta.as_ref().map_or(0, |m| m.revision),
        })
    }
}

/// Why a directory cannot answer now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// The directory has not yet read what `registry.events` held when the service started.
    #[error("the registry's certificates have not been read yet")]
    NotYetCurrent,
    /// The directory was last current too long ago.
    #[error("the registry's certificates were last known current {age:?} ago (the limit is {limit:?})")]
    Stale {
        /// How long ago it was current.
        age: Duration,
        /// `authz.max_staleness`.
        limit: Duration,
    },
    /// No heartbeat of the registry has arrived yet.
    #[error("no heartbeat of the registry has arrived yet")]
    NoHeartbeat,
    /// The registry's latest heartbeat is too old: changes it committed since may not have been published.
    #[error(
        "the registry's latest heartbeat is {age:?} old (the limit is {limit:?}); revocations since may be missing"
    )]
    RegistrySilent {
        /// How old the latest heartbeat is (by the registry's clock against this service's).
        age: Duration,
        /// `authz.max_staleness`.
        limit: Duration,
    },
    /// The source cannot be read (the registry's database).
    #[error("the registry's certificates cannot be read: {0}")]
    Unreadable(String),
}

/// Where the guard looks a presented certificate up.
#[async_trait::async_trait]
pub trait Directory: Send + Sync + 'static {
    /// The registry's record of the certificate with `serial`, as this service knows it now; `None` when it is
    /// not registered.
    async fn certificate(&self, serial: &str) -> Result<Option<RegisteredCertificate>, DirectoryError>;
}

/// A directory that knows no certificate: for a server whose methods are all open (the adapter).
pub struct NoCertificates;

#[async_trait::async_trait]
impl Directory for NoCertificates {
    async fn certificate(&self, _serial: &str) -> Result<Option<RegisteredCertificate>, DirectoryError> {
        Ok(None)
    }
}

/// Certificates learned from `registry.events`, with how current they are.
pub struct MemoryDirectory {
    /// A `std::sync::RwLock`: lookups and updates take microseconds and never hold it across an await.
    certificates: RwLock<HashMap<String, Held>>,
    freshness: Freshness,
}

/// What the directory holds under a serial.
enum Held {
    /// The registry's record.
    Known(RegisteredCertificate),
    /// A record of this revision arrived that this service cannot read (a newer registry's, say): the certificate
    /// counts as not registered until a readable record of a later revision arrives, so an unreadable revocation
    /// never leaves the earlier active record in force.
    Unreadable(i64),
}

impl Held {
    fn revision(&self) -> i64 {
        match self {
            Held::Known(record) => record.revision,
            Held::Unreadable(revision) => *revision,
        }
    }
}

impl MemoryDirectory {
    /// An empty directory that counts as current for `max_staleness` after each moment it was current.
    pub fn new(max_staleness: Duration) -> Self {
        Self { certificates: RwLock::default(), freshness: Freshness::new(max_staleness) }
    }

    /// Applies the registry's record of a certificate; a record older than the one held is ignored (events carry
    /// whole states with revisions, so order and repetition do not matter). True when it changed something. A
    /// record that names its serial but cannot be read withdraws the certificate, and is reported as an error.
    pub fn apply(&self, record: &ClientCertificate) -> Result<bool, FieldError> {
        let revision = record.meta.as_ref().map_or(0, |m| m.revision);
        let read = RegisteredCertificate::try_from(record).map_err(|e| e.within("certificate"));
        let mut certificates = self.certificates.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if record.serial.is_empty() || certificates.get(&record.serial).is_some_and(|held| held.revision() >= revision)
        {
            return read.map(|_| false);
        }
        match read {
            Ok(registered) => {
                certificates.insert(registered.serial.clone(), Held::Known(registered));
                Ok(true)
            }
            Err(e) => {
                certificates.insert(record.serial.clone(), Held::Unreadable(revision));
                Err(e)
            }
        }
    }

    /// How current the directory is.
    pub fn freshness(&self) -> &Freshness {
        &self.freshness
    }

    /// The record of `serial`, whatever the freshness (for the gateway's own checks after the guard's).
    pub fn get(&self, serial: &str) -> Option<RegisteredCertificate> {
        match self.certificates.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(serial) {
            Some(Held::Known(record)) => Some(record.clone()),
            Some(Held::Unreadable(_)) | None => None,
        }
    }

    /// How many certificates it holds.
    pub fn len(&self) -> usize {
        self.certificates.read().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl Directory for MemoryDirectory {
    async fn certificate(&self, serial: &str) -> Result<Option<RegisteredCertificate>, DirectoryError> {
        self.freshness.check()?;
        Ok(self.get(serial))
    }
}

/// How current a directory fed from a topic is: the offsets it has applied, and the last moment at which they
/// reached every partition's high watermark.
pub struct Freshness {
    max_staleness: Duration,
    state: Mutex<FreshnessState>,
    current: tokio::sync::Notify,
    /// `authz_certificates_age_seconds`: how long ago the directory was last current (+Inf before the first time),
    /// set at every probe, so an alert fires on a quiet service too.
    age_seconds: Gauge<f64, AtomicU64>,
}

#[derive(Default)]
struct FreshnessState {
    /// Per partition, the offset after the last record applied.
    applied: HashMap<i32, i64>,
    /// The start of the last probe that found every partition applied up to its high watermark.
    current_at: Option<Instant>,
    /// The latest registry heartbeat applied, by the registry's clock.
    heartbeat: Option<DateTime<Utc>>,
}

impl Freshness {
    /// Nothing applied, never current.
    pub fn new(max_staleness: Duration) -> Self {
        Self {
            max_staleness,
            state: Mutex::default(),
            current: tokio::sync::Notify::new(),
            age_seconds: Gauge::default(),
        }
    }

    /// Registers `authz_certificates_age_seconds` in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "authz_certificates_age_seconds",
            "How long ago this service's view of the registry's certificates was last known current (+Inf: never)",
            self.age_seconds.clone(),
        );
        self.publish_age();
    }

    /// Sets the age gauge from [`Freshness::age`].
    pub fn publish_age(&self) {
        self.age_seconds.set(self.age().map_or(f64::INFINITY, |age| age.as_secs_f64()));
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FreshnessState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that the record at `offset` of `partition` has been applied.
    pub fn applied(&self, partition: i32, offset: i64) {
        let mut state = self.state();
        let next = state.applied.entry(partition).or_insert(0);
        *next = (*next).max(offset + 1);
    }

    /// Records a registry heartbeat written at `at` (by the registry's clock).
    pub fn heartbeat(&self, at: DateTime<Utc>) {
        let mut state = self.state();
        if state.heartbeat.is_none_or(|held| held < at) {
            state.heartbeat = Some(at);
            drop(state);
            self.current.notify_waiters();
        }
    }

    /// Compares the applied offsets with the topic's `(partition, low, high)` watermarks read at `probed_at`: when
    /// every record that existed then has been applied, the directory was current at `probed_at`. True if so.
    pub fn observe(&self, watermarks: &[(i32, i64, i64)], probed_at: Instant) -> bool {
        let mut state = self.state();
        let caught_up = watermarks.iter().all(|&(partition, low, high)| {
            high <= low || state.applied.get(&partition).is_some_and(|&next| next >= high)
        });
        if caught_up && state.current_at.is_none_or(|at| at < probed_at) {
            state.current_at = Some(probed_at);
            drop(state);
            self.current.notify_waiters();
        }
        caught_up
    }

    /// How old the directory's knowledge is: the later of how long ago it last read the topic to its end and how
    /// old the registry's latest heartbeat is; `None` until it has done both once.
    pub fn age(&self) -> Option<Duration> {
        let state = self.state();
        let read = state.current_at?.elapsed();
        let heartbeat = (Utc::now() - state.heartbeat?).to_std().unwrap_or_default();
        Some(read.max(heartbeat))
    }

    /// Whether lookups may be answered now.
    pub fn check(&self) -> Result<(), DirectoryError> {
        let (current_at, heartbeat) = {
            let state = self.state();
            (state.current_at, state.heartbeat)
        };
        let limit = self.max_staleness;
        let age = current_at.ok_or(DirectoryError::NotYetCurrent)?.elapsed();
        if age > limit {
            return Err(DirectoryError::Stale { age, limit });
        }
        let age = (Utc::now() - heartbeat.ok_or(DirectoryError::NoHeartbeat)?).to_std().unwrap_or_default();
        if age > limit {
            return Err(DirectoryError::RegistrySilent { age, limit });
        }
        Ok(())
    }

    /// Waits until lookups may be answered (the topic read to its end and a recent heartbeat), at most `timeout`;
    /// true if they may.
    pub async fn wait_current(&self, timeout: Duration) -> bool {
        let waiting = async {
            loop {
                let notified = self.current.notified();
                if self.check().is_ok() {
                    return;
                }
                // Woken by a probe or a heartbeat; polled as well, in case both arrived before the wait began.
                let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
            }
        };
        tokio::time::timeout(timeout, waiting).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::registry::Meta;

    fn record(serial: &str, status: CredentialStatus, revision: i64) -> ClientCertificate {
        ClientCertificate {
            serial: serial.into(),
            role: Role::Operator.wire() as i32,
            principal: "a.karimov".into(),
            sha256_fingerprint: "ab".into(),
            status: status as i32,
            meta: Some(Meta { revision, ..Meta::default() }),
            ..ClientCertificate::default()
        }
    }

    #[test]
    fn a_revocation_replaces_the_active_record_and_not_the_reverse() {
        let directory = MemoryDirectory::new(Duration::from_secs(5));
        assert!(directory.apply(&record("7f01", CredentialStatus::Active, 1)).expect("valid"));
        assert!(directory.apply(&record("7f01", CredentialStatus::Revoked, 2)).expect("valid"));
        assert!(!directory.apply(&record("7f01", CredentialStatus::Active, 1)).expect("valid"));
        assert_eq!(directory.get("7f01").expect("held").status, CredentialStatus::Revoked);
        let no_role = ClientCertificate { role: 0, ..record("7f02", CredentialStatus::Active, 1) };
        assert_eq!(directory.apply(&no_role).expect_err("no role").field, "certificate.role");
    }

    #[test]
    fn an_unreadable_later_record_withdraws_the_certificate_until_a_readable_one_follows() {
        let directory = MemoryDirectory::new(Duration::from_secs(5));
        assert!(directory.apply(&record("7f01", CredentialStatus::Active, 1)).expect("valid"));
        // A revocation from a newer registry, with a role this service does not know.
        let unknown = ClientCertificate { role: 99, ..record("7f01", CredentialStatus::Revoked, 2) };
        assert!(directory.apply(&unknown).is_err());
        assert!(directory.get("7f01").is_none(), "the earlier active record must not stay in force");
        // The old record replayed changes nothing; a later readable one is taken.
        assert!(!directory.apply(&record("7f01", CredentialStatus::Active, 1)).expect("valid"));
        assert!(directory.get("7f01").is_none());
        assert!(directory.apply(&record("7f01", CredentialStatus::Revoked, 3)).expect("valid"));
        assert_eq!(directory.get("7f01").expect("held").status, CredentialStatus::Revoked);
    }

    #[test]
    fn lookups_wait_for_the_first_catch_up_and_stop_when_stale() {
        let freshness = Freshness::new(Duration::from_millis(50));
        freshness.heartbeat(Utc::now() + chrono::Duration::hours(1));
        assert_eq!(freshness.check(), Err(DirectoryError::NotYetCurrent));
        // Partition 0 holds offsets 0..3; partition 1 is empty.
        let marks = [(0, 0, 3), (1, 0, 0)];
        freshness.applied(0, 1);
        assert!(!freshness.observe(&marks, Instant::now()));
        assert_eq!(freshness.check(), Err(DirectoryError::NotYetCurrent));
        freshness.applied(0, 2);
        assert!(freshness.observe(&marks, Instant::now()));
        assert!(freshness.check().is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert!(matches!(freshness.check(), Err(DirectoryError::Stale { .. })));
        // A probe that finds new records not yet applied does not make it current again.
        assert!(!freshness.observe(&[(0, 0, 4)], Instant::now()));
        assert!(freshness.check().is_err());
    }

    #[test]
    fn compacted_away_partitions_count_as_read() {
        let freshness = Freshness::new(Duration::from_secs(5));
        freshness.heartbeat(Utc::now());
        assert!(freshness.observe(&[(0, 7, 7)], Instant::now()));
        assert!(freshness.check().is_ok());
    }

    #[test]
    fn a_silent_registry_makes_lookups_fail_however_current_the_topic_is() {
        let freshness = Freshness::new(Duration::from_secs(5));
        assert!(freshness.observe(&[], Instant::now()));
        assert_eq!(freshness.check(), Err(DirectoryError::NoHeartbeat));
        // The relay is wedged: the last heartbeat on the topic is a minute old, though everything was read.
        freshness.heartbeat(Utc::now() - chrono::Duration::minutes(1));
        assert!(matches!(freshness.check(), Err(DirectoryError::RegistrySilent { .. })));
        assert!(freshness.age().expect("both known") >= Duration::from_secs(59));
        // An older heartbeat replayed does not move it back; a fresh one makes it current.
        freshness.heartbeat(Utc::now() - chrono::Duration::minutes(2));
        assert!(freshness.check().is_err());
        freshness.heartbeat(Utc::now());
        assert!(freshness.check().is_ok());
    }

    #[tokio::test]
    async fn waiting_ends_once_the_topic_is_read_and_a_heartbeat_arrived() {
        let freshness = std::sync::Arc::new(Freshness::new(Duration::from_secs(5)));
        assert!(!freshness.wait_current(Duration::from_millis(20)).await);
        let later = std::sync::Arc::clone(&freshness);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.observe(&[], Instant::now());
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.heartbeat(Utc::now());
        });
        assert!(freshness.wait_current(Duration::from_secs(5)).await);
    }
}
