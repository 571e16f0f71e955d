//! The gateway's Prometheus metrics.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};

use koprik_runtime::metrics::Metrics;

/// Labels of a call: the consumer's member, the provider's member, the service (each `unknown` until the request
/// named a valid one) and `outcome` as in the audit record (delivered, refused, invalid, provider_error, timed_out,
/// platform_error).
///
/// Members rather than subsystems keep the series count to what an operator reads: one per consumer organisation,
/// provider service and outcome.
pub type CallLabels = [(&'static str, String); 4];

/// Labels of a call's duration: the provider's member.
pub type ProviderLabels = [(&'static str, String); 1];

/// What the gateway counts.
#[derive(Clone)]
pub struct GatewayMetrics {
    /// Calls by consumer, provider, service and outcome.
    pub calls: Family<CallLabels, Counter>,
    /// Submits by consumer, provider, service and outcome (delivered: forwarded).
    pub submits: Family<CallLabels, Counter>,
    /// Submitted requests whose legal deadline passed unanswered, by provider member (REG-2 p. 17).
    pub deadline_breaches: Family<Vec<(&'static str, String)>, Counter>,
    /// Call duration from receipt to response, in seconds, by provider.
    pub call_seconds: Family<ProviderLabels, Histogram, fn() -> Histogram>,
    /// Calls and submits not delivered, by reason (the error's kind: refused, quota_exhausted, timed_out, …).
    pub not_delivered: Family<[(&'static str, &'static str); 1], Counter>,
    /// Requests counted this month against a declared monthly maximum, by consumer subsystem and service.
    pub quota_used: Family<[(&'static str, String); 2], Gauge>,
    /// The declared monthly maximum of those requests.
    pub quota_max: Family<[(&'static str, String); 2], Gauge>,
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
            not_delivered: Family::default(),
            quota_used: Family::default(),
            quota_max: Family::default(),
            call_seconds: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 16))),
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
            r.register("calls", "Exchange calls by consumer, provider, service and outcome", this.calls.clone());
            r.register("submits", "Submitted requests by outcome", this.submits.clone());
            r.register(
                "deadline_breaches",
                "Submitted requests escalated for passing their legal deadline",
                this.deadline_breaches.clone(),
            );
            r.register("quota_used", "Requests this month against a declared monthly maximum", this.quota_used.clone());
            r.register("quota_max", "Declared monthly maximum of requests", this.quota_max.clone());
            r.register("not_delivered", "Calls and submits not delivered, by reason", this.not_delivered.clone());
            r.register("call_seconds", "Exchange call duration by provider", this.call_seconds.clone());
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

    /// Makes each provider's deadline-breach counter exist, at zero until a breach: "no breaches" is a figure
    /// operators read, not an absence of data.
    pub fn known_providers(&self, providers: impl IntoIterator<Item = String>) {
        for provider in providers {
            drop(self.deadline_breaches.get_or_create(&vec![("provider", provider)]));
        }
    }

    /// Replaces the quota figures with this month's: (consumer, service, requests counted, declared maximum).
    /// Last month's series disappear with the month.
    pub fn quota_use(&self, rows: impl IntoIterator<Item = (String, String, i64, i64)>) {
        self.quota_used.clear();
        self.quota_max.clear();
        for (consumer, service, used, max) in rows {
            let labels = [("consumer", consumer), ("service", service)];
            self.quota_used.get_or_create(&labels).set(used);
            self.quota_max.get_or_create(&labels).set(max);
        }
    }

    /// Counts a call that was not delivered, by why.
    pub fn not_delivered(&self, reason: &'static str) {
        self.not_delivered.get_or_create(&[("reason", reason)]).inc();
    }

    /// Records the cache sizes.
    pub fn cached_entries(&self, services: usize, subsystems: usize, grants: usize) {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.cached_services.set(gauge(services));
        self.cached_subsystems.set(gauge(subsystems));
        self.cached_grants.set(gauge(grants));
    }
}
