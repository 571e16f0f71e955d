//! The gateway's Prometheus metrics.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};

use koprik_runtime::metrics::Metrics;

/// Labels of a call: `outcome` as in the audit record (delivered, refused, invalid, provider_error, timed_out,
/// platform_error).
pub type CallLabels = Vec<(&'static str, &'static str)>;

/// What the gateway counts.
#[derive(Clone)]
pub struct GatewayMetrics {
    /// Calls by outcome.
    pub calls: Family<CallLabels, Counter>,
    /// Submits by outcome (delivered: forwarded).
    pub submits: Family<CallLabels, Counter>,
    /// Submitted requests whose legal deadline passed unanswered, by provider member (REG-2 p. 17).
    pub deadline_breaches: Family<Vec<(&'static str, String)>, Counter>,
    /// Call duration from receipt to response, in seconds.
    pub call_seconds: Histogram,
    /// Registry events applied to the cache.
    pub registry_events: Counter,
    /// Registry events that could not be applied.
    pub registry_events_rejected: Counter,
    /// Replies that arrived when nobody waited any more.
    pub unclaimed_replies: Counter,
    /// Audit records that could not be written (each failed its call).
    pub audit_failures: Counter,
    /// Usage records that could not be written (each failed its call).
    pub usage_failures: Counter,
    /// Cached services.
    pub cached_services: Gauge,
    /// Cached subsystems.
    pub cached_subsystems: Gauge,
    /// Cached grants.
    pub cached_grants: Gauge,
}

impl GatewayMetrics {
    /// The metrics, registered in `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let this = Self {
            calls: Family::default(),
            submits: Family::default(),
            deadline_breaches: Family::default(),
            call_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            registry_events: Counter::default(),
            registry_events_rejected: Counter::default(),
            unclaimed_replies: Counter::default(),
            audit_failures: Counter::default(),
            usage_failures: Counter::default(),
            cached_services: Gauge::default(),
            cached_subsystems: Gauge::default(),
            cached_grants: Gauge::default(),
        };
        metrics.register(|r| {
            r.register("calls", "Exchange calls by outcome", this.calls.clone());
            r.register("submits", "Submitted requests by outcome", this.submits.clone());
            r.register(
                "deadline_breaches",
                "Submitted requests escalated for passing their legal deadline",
                this.deadline_breaches.clone(),
            );
            r.register("call_seconds", "Exchange call duration", this.call_seconds.clone());
            r.register("registry_events", "Registry events applied", this.registry_events.clone());
            r.register(
                "registry_events_rejected",
                "Registry events not applied",
                this.registry_events_rejected.clone(),
            );
            r.register("unclaimed_replies", "Replies after their call ended", this.unclaimed_replies.clone());
            r.register("audit_failures", "Audit records not written", this.audit_failures.clone());
            r.register("usage_failures", "Usage records not written", this.usage_failures.clone());
            r.register("cached_services", "Services in the registry cache", this.cached_services.clone());
            r.register("cached_subsystems", "Subsystems in the registry cache", this.cached_subsystems.clone());
            r.register("cached_grants", "Grants in the registry cache", this.cached_grants.clone());
        });
        this
    }

    /// Records the cache sizes.
    pub fn cached_entries(&self, services: usize, subsystems: usize, grants: usize) {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.cached_services.set(gauge(services));
        self.cached_subsystems.set(gauge(subsystems));
        self.cached_grants.set(gauge(grants));
    }
}
