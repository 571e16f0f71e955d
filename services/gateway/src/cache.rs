//! The gateway's view of the registry, built from `registry.events` and nothing else: which services exist,
//! which consumer subsystems exist, which grants are in force, and which client certificates identify whom (the
//! authorization guard's directory). Events carry whole entity states with revisions, so applying one twice or out
//! of order never moves an entry backwards.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use koprik_authz::MemoryDirectory;
use koprik_calendar::{Calendar, CalendarYear};
use koprik_proto::events::registry_event::Entity;
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::{
    AccessGround, Announcement, AnnouncementKind, CredentialStatus, EntryStatus, Grant, GrantStatus, Platform,
    PublicServiceEntry, Service, ServiceStatus, SigningKey, SigningKeyPurpose, Subsystem,
};
use koprik_proto::time::datetime;
use koprik_proto::FieldError;

/// What the gateway knows of a web service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedService {
    /// Available, under maintenance or withdrawn.
    pub status: ServiceStatus,
    /// The codes of its data items.
    pub data_items: HashSet<String>,
    /// An archive service: its asynchronous answers have no legal deadline (REG-2 p. 17).
    pub archive: bool,
    /// The registry revision this reflects.
    pub revision: i64,
}

/// What the gateway knows of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedGrant {
    /// The grant's id.
    pub id: String,
    /// Active, suspended or revoked.
    pub status: GrantStatus,
    /// Why it is suspended or revoked.
    pub reason: String,
    /// The ground and the notice number of the suspension or termination, e.g.
    /// "SUSPEND_LATE_PAYMENT, notice billing/…"; empty when in force.
    pub ground: String,
    /// The data items the technological instruction permits.
    pub permitted_items: Vec<String>,
    /// IIP (free) or DDP (paid per request: each delivered exchange produces a usage record).
    pub platform: Platform,
    /// The DDP contract's reference, which usage records carry to billing; empty on the IIP.
    pub contract_reference: String,
    /// The monthly maximum of requests the consumer declared (A1 Ap2, A2 Ap2); 0 for none.
    pub max_requests_per_month: u32,
    /// The registry revision this reflects.
    pub revision: i64,
}

impl CachedGrant {
    /// Whether `self` should replace `existing` for the same consumer and service: a newer revision of the same
    /// grant, or a grant in force over a revoked one (a revoked grant stays on record when a new one is made).
    fn supersedes(&self, existing: &CachedGrant) -> bool {
        if self.id == existing.id {
            return self.revision > existing.revision;
        }
        let revoked = |g: &CachedGrant| g.status == GrantStatus::Revoked;
        match (revoked(existing), revoked(self)) {
            (true, false) => true,
            (false, true) => false,
            // Grant ids are UUIDv7: the later grant has the greater id.
            _ => self.id > existing.id,
        }
    }
}

/// What the gateway knows of a registered signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKey {
    /// The subsystem it was registered for.
    pub subsystem: SubsystemId,
    /// Officer or adapter.
    pub purpose: SigningKeyPurpose,
    /// The raw Ed25519 public key.
    pub public_key: Vec<u8>,
    /// The officer's full name and position.
    pub holder_name: String,
    /// The officer's position.
    pub holder_position: String,
    /// The validity period.
    pub valid_from: Option<DateTime<Utc>>,
    /// The end of validity, if any.
    pub valid_until: Option<DateTime<Utc>>,
    /// Revoked keys are kept so the refusal can say so.
    pub revoked: bool,
    /// The registry revision this reflects.
    pub revision: i64,
}

/// An announced technical-works window of a service (A1 §23, A2 §22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// When the works start.
    pub starts_at: DateTime<Utc>,
    /// When the service is back.
    pub ends_at: DateTime<Utc>,
    /// The written notice.
    pub letter_reference: String,
}

#[derive(Default)]
struct State {
    services: HashMap<ServiceId, CachedService>,
    subsystems: HashMap<SubsystemId, i64>,
    grants: HashMap<(SubsystemId, ServiceId), CachedGrant>,
    signing_keys: HashMap<String, CachedKey>,
    /// Registry number → (abolished, revision).
    public_services: HashMap<u64, (bool, i64)>,
    /// Technical works per service, by announcement id (announcements are never changed once made).
    maintenance: HashMap<ServiceId, HashMap<String, MaintenanceWindow>>,
    /// The working-day calendar: the built-in years, replaced or extended by `calendar_year` events.
    calendar: Calendar,
}

/// The registry cache, read by every call and written by the registry feed.
///
/// A `std::sync::RwLock`: reads and writes are a few hash-map operations and never span an await.
pub struct RegistryCache {
    state: RwLock<State>,
    /// The registered client certificates: the directory the authorization guard checks every caller against,
    /// fed by the same reader as the rest of the cache.
    certificates: Arc<MemoryDirectory>,
}

impl Default for RegistryCache {
    fn default() -> Self {
        Self::new(koprik_authz::AuthzConfig::default().max_staleness)
    }
}

fn revision(meta: Option<&koprik_proto::registry::Meta>) -> i64 {
    meta.map_or(0, |m| m.revision)
}

/// Inserts `value` unless the entry already holds a newer or equal revision. True when it changed.
fn upsert<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
    rev: i64,
    current: impl Fn(&V) -> i64,
) -> bool {
    if map.get(&key).is_some_and(|existing| current(existing) >= rev) {
        return false;
    }
    map.insert(key, value);
    true
}

impl RegistryCache {
    /// An empty cache whose certificate directory refuses lookups once it was last current more than
    /// `max_staleness` ago.
    pub fn new(max_staleness: std::time::Duration) -> Self {
        Self { state: RwLock::default(), certificates: Arc::new(MemoryDirectory::new(max_staleness)) }
    }

    /// The registered client certificates, for the authorization guard and the feed's freshness probe.
    pub fn certificates(&self) -> Arc<MemoryDirectory> {
        Arc::clone(&self.certificates)
    }

    /// Applies one registry event. Returns whether the cache changed; an event the gateway cannot read is an error
    /// for the caller to log and count (the registry is its only producer, so it means a version mismatch).
    pub fn apply(&self, entity: &Entity) -> Result<bool, FieldError> {
        let mut state = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match entity {
            // Organisations matter to later rules (platform, roles); the first cut needs only their subsystems.
            Entity::Organization(_) => Ok(false),
            Entity::Subsystem(subsystem) => apply_subsystem(&mut state, subsystem),
            Entity::Service(service) => apply_service(&mut state, service),
            Entity::Grant(grant) => apply_grant(&mut state, grant),
            // Workflow records do not change what may be called; the grants they lead to do.
            Entity::Application(_) => Ok(false),
            // The years operators loaded replace the built-in ones, as in the registry's calendar in force.
            Entity::CalendarYear(year) => {
                let year = CalendarYear::try_from(year).map_err(|e| FieldError::new("calendar_year", e.to_string()))?;
                state.calendar.insert(year);
                Ok(true)
            }
            Entity::Announcement(announcement) => apply_announcement(&mut state, announcement),
            // A request names the public service it is made for: it must be registered and not abolished.
            Entity::PublicService(entry) => Ok(apply_public_service(&mut state, entry)),
            Entity::PublicServiceApplication(_) | Entity::PublicServiceInventory(_) => Ok(false),
            Entity::SigningKey(key) => apply_signing_key(&mut state, key),
            Entity::Certificate(certificate) => {
                drop(state);
                self.certificates.apply(certificate)
            }
            // How current the certificates are: every revocation committed before it has arrived.
            Entity::Heartbeat(heartbeat) => {
                drop(state);
                koprik_authz::feed::apply_heartbeat(&self.certificates, heartbeat);
                Ok(false)
            }
        }
    }

    /// The service, if the registry has it.
    pub fn service(&self, id: &ServiceId) -> Option<CachedService> {
        self.read().services.get(id).cloned()
    }

    /// True when the subsystem is registered.
    pub fn has_subsystem(&self, id: &SubsystemId) -> bool {
        self.read().subsystems.contains_key(id)
    }

    /// The grant of `consumer` on `service`, if any.
    pub fn grant(&self, consumer: &SubsystemId, service: &ServiceId) -> Option<CachedGrant> {
        self.read().grants.get(&(consumer.clone(), service.clone())).cloned()
    }

    /// The signing key `key_id`, if registered (revoked ones included).
    pub fn signing_key(&self, key_id: &str) -> Option<CachedKey> {
        self.read().signing_keys.get(key_id).cloned()
    }

    /// Whether the public service `number` is registered, and if so whether it was abolished.
    pub fn public_service_abolished(&self, number: u64) -> Option<bool> {
        self.read().public_services.get(&number).map(|(abolished, _)| *abolished)
    }

    /// The technical-works window of `service` in force at `at`, if any (the one ending last, when several overlap).
    pub fn maintenance_at(&self, service: &ServiceId, at: DateTime<Utc>) -> Option<MaintenanceWindow> {
        self.read()
            .maintenance
            .get(service)?
            .values()
            .filter(|w| w.starts_at <= at && at < w.ends_at)
            .max_by_key(|w| w.ends_at)
            .cloned()
    }

    /// The working-day calendar in force.
    pub fn calendar(&self) -> Calendar {
        self.read().calendar.clone()
    }

    /// Entry counts (services, subsystems, grants), for metrics.
    pub fn sizes(&self) -> (usize, usize, usize) {
        let state = self.read();
        (state.services.len(), state.subsystems.len(), state.grants.len())
    }

    /// The providers of the cached services, for per-provider metrics that must read zero before anything happens.
    pub fn providers(&self) -> std::collections::BTreeSet<String> {
        self.read().services.keys().map(|id| id.provider().to_string()).collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn apply_subsystem(state: &mut State, subsystem: &Subsystem) -> Result<bool, FieldError> {
    let id: SubsystemId = koprik_proto::field::required(subsystem.id.as_ref(), "subsystem.id")?;
    let rev = revision(subsystem.meta.as_ref());
    Ok(upsert(&mut state.subsystems, id, rev, rev, |r| *r))
}

fn apply_service(state: &mut State, service: &Service) -> Result<bool, FieldError> {
    let id: ServiceId = koprik_proto::field::required(service.id.as_ref(), "service.id")?;
    let rev = revision(service.meta.as_ref());
    let cached = CachedService {
        status: service.status(),
        data_items: service.data_items.iter().map(|d| d.code.clone()).collect(),
        archive: service.archive,
        revision: rev,
    };
    Ok(upsert(&mut state.services, id, cached, rev, |s| s.revision))
}

fn apply_grant(state: &mut State, grant: &Grant) -> Result<bool, FieldError> {
    let consumer: SubsystemId = koprik_proto::field::required(grant.consumer.as_ref(), "grant.consumer")?;
    let service: ServiceId = koprik_proto::field::required(grant.service.as_ref(), "grant.service")?;
    let rev = revision(grant.meta.as_ref());
    let cached = CachedGrant {
        id: grant.id.clone(),
        status: grant.status(),
        reason: grant.reason.clone(),
        ground: match (grant.ground(), &grant.notice) {
            (AccessGround::Unspecified, _) => String::new(),
            (ground, Some(notice)) => {
                format!("{}, notice {}", ground.as_str_name().trim_start_matches("ACCESS_GROUND_"), notice.number)
            }
            (ground, None) => ground.as_str_name().trim_start_matches("ACCESS_GROUND_").to_owned(),
        },
        permitted_items: grant.permitted_items.clone(),
        platform: grant.platform(),
        contract_reference: grant.contract.as_ref().map(|c| c.reference.clone()).unwrap_or_default(),
        max_requests_per_month: grant.max_requests_per_month,
        revision: rev,
    };
    let key = (consumer, service);
    if state.grants.get(&key).is_some_and(|existing| !cached.supersedes(existing)) {
        return Ok(false);
    }
    state.grants.insert(key, cached);
    Ok(true)
}

fn apply_signing_key(state: &mut State, key: &SigningKey) -> Result<bool, FieldError> {
    let subsystem: SubsystemId = koprik_proto::field::required(key.subsystem.as_ref(), "signing_key.subsystem")?;
    let rev = revision(key.meta.as_ref());
    let cached = CachedKey {
        subsystem,
        purpose: key.purpose(),
        public_key: key.public_key.clone(),
        holder_name: key.holder_name.clone(),
        holder_position: key.holder_position.clone(),
        valid_from: key.valid_from.as_ref().and_then(datetime),
        valid_until: key.valid_until.as_ref().and_then(datetime),
        revoked: key.status() == CredentialStatus::Revoked,
        revision: rev,
    };
    Ok(upsert(&mut state.signing_keys, key.key_id.clone(), cached, rev, |k| k.revision))
}

fn apply_public_service(state: &mut State, entry: &PublicServiceEntry) -> bool {
    let rev = revision(entry.meta.as_ref());
    let abolished = entry.status() == EntryStatus::Abolished;
    upsert(&mut state.public_services, entry.number, (abolished, rev), rev, |(_, r)| *r)
}

fn apply_announcement(state: &mut State, announcement: &Announcement) -> Result<bool, FieldError> {
    if announcement.kind() != AnnouncementKind::TechnicalWorks {
        return Ok(false);
    }
    let service: ServiceId = koprik_proto::field::required(announcement.service.as_ref(), "announcement.service")?;
    let (Some(starts_at), Some(ends_at)) =
        (announcement.starts_at.as_ref().and_then(datetime), announcement.ends_at.as_ref().and_then(datetime))
    else {
        return Err(FieldError::new("announcement.ends_at", "technical works need a start and an end"));
    };
    let window = MaintenanceWindow { starts_at, ends_at, letter_reference: announcement.letter_reference.clone() };
    let windows = state.maintenance.entry(service).or_default();
    Ok(windows.insert(announcement.id.clone(), window.clone()).as_ref() != Some(&window))
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::registry::Meta;

    fn ids() -> (SubsystemId, ServiceId) {
        (
            "UZ/GOV/200935935/tax-inspection".parse().expect("consumer"),
            "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("service"),
        )
    }

    fn grant(status: GrantStatus, revision: i64) -> Entity {
        grant_with_id("g-1", status, revision)
    }

    fn grant_with_id(id: &str, status: GrantStatus, revision: i64) -> Entity {
        let (consumer, service) = ids();
        Entity::Grant(Grant {
            id: id.into(),
            consumer: Some((&consumer).into()),
            service: Some((&service).into()),
            status: status as i32,
            meta: Some(Meta { revision, ..Meta::default() }),
            ..Grant::default()
        })
    }

    #[test]
    fn a_new_grant_replaces_a_revoked_one_whatever_the_order() {
        let (consumer, service) = ids();
        let old = grant_with_id("0190-a", GrantStatus::Revoked, 3);
        let new = grant_with_id("0190-b", GrantStatus::Active, 1);
        for events in [[&old, &new], [&new, &old]] {
            let cache = RegistryCache::default();
            events.iter().for_each(|e| {
                cache.apply(e).expect("valid");
            });
            assert_eq!(cache.grant(&consumer, &service).map(|g| g.id), Some("0190-b".to_owned()));
        }
    }

    #[test]
    fn newer_revisions_replace_older_ones() {
        let cache = RegistryCache::default();
        let (consumer, service) = ids();
        assert!(cache.apply(&grant(GrantStatus::Active, 1)).expect("valid"));
        assert!(cache.apply(&grant(GrantStatus::Revoked, 2)).expect("valid"));
        assert_eq!(cache.grant(&consumer, &service).map(|g| g.status), Some(GrantStatus::Revoked));
    }

    #[test]
    fn replays_and_stale_events_are_ignored() {
        let cache = RegistryCache::default();
        let (consumer, service) = ids();
        cache.apply(&grant(GrantStatus::Revoked, 2)).expect("valid");
        assert!(!cache.apply(&grant(GrantStatus::Active, 1)).expect("valid"));
        assert!(!cache.apply(&grant(GrantStatus::Revoked, 2)).expect("valid"));
        assert_eq!(cache.grant(&consumer, &service).map(|g| g.status), Some(GrantStatus::Revoked));
    }

    #[test]
    fn grants_keep_their_platform_and_contract_reference_for_usage_records() {
        let cache = RegistryCache::default();
        let (consumer, service) = ids();
        let Entity::Grant(mut grant) = grant(GrantStatus::Active, 1) else { unreachable!("a grant") };
        grant.platform = Platform::Ddp as i32;
        grant.contract =
            Some(koprik_proto::registry::Contract { reference: "DDP-2026/17".into(), ..Default::default() });
        cache.apply(&Entity::Grant(grant)).expect("valid");
        let cached = cache.grant(&consumer, &service).expect("cached");
        assert_eq!((cached.platform, cached.contract_reference.as_str()), (Platform::Ddp, "DDP-2026/17"));
    }

    #[test]
    fn loaded_calendar_years_replace_the_built_in_ones() {
        use koprik_proto::registry::{CalendarDay, CalendarYear as Year};
        let cache = RegistryCache::default();
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        assert_eq!(cache.calendar().is_working_day(monday), Ok(true));
        let year = Year {
            year: 2026,
            days_off: vec![CalendarDay { date: "2026-11-23".into(), name: "declared day off".into() }],
            ..Year::default()
        };
        assert!(cache.apply(&Entity::CalendarYear(year)).expect("valid"));
        assert_eq!(cache.calendar().is_working_day(monday), Ok(false));
        let bad =
            Year { year: 2026, days_off: vec![CalendarDay { date: "x".into(), name: "y".into() }], ..Year::default() };
        assert_eq!(cache.apply(&Entity::CalendarYear(bad)).expect_err("bad").field, "calendar_year");
    }

    #[test]
    fn unreadable_events_are_reported() {
        let cache = RegistryCache::default();
        let err = cache.apply(&Entity::Grant(Grant::default())).expect_err("no consumer");
        assert_eq!(err.field, "grant.consumer");
    }
}
