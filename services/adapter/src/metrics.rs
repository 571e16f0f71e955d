//! The adapter's Prometheus metrics.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};

use koprik_runtime::metrics::Metrics;

/// Labels: `outcome` = answered, not_found, invalid_request, refused, unavailable, internal, unknown_service,
/// answer_refused (the backend's answer carried no or unasked data items: not delivered), expired, dead_lettered.
pub type OutcomeLabels = Vec<(&'static str, &'static str)>;

/// What the adapter counts.
#[derive(Clone)]
pub struct AdapterMetrics {
    /// Requests read from the request topic, by outcome.
    pub requests: Family<OutcomeLabels, Counter>,
    /// Time the backend took to answer, in seconds.
    pub backend_seconds: Histogram,
    /// Requests read and not yet finished (answered, skipped or dead-lettered).
    pub in_flight: Gauge,
}

impl AdapterMetrics {
    /// The metrics, registered in `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let this = Self {
            requests: Family::default(),
            backend_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            in_flight: Gauge::default(),
        };
        metrics.register(|registry| {
            registry.register("requests", "Requests read from the provider's request topic", this.requests.clone());
            registry.register("in_flight", "Requests read and not yet finished", this.in_flight.clone());
            registry.register(
                "backend_seconds",
                "Time the provider's backend took to answer",
                this.backend_seconds.clone(),
            );
        });
        this
    }

    /// Counts one request with `outcome`.
    pub fn count(&self, outcome: &'static str) {
        self.requests.get_or_create(&vec![("outcome", outcome)]).inc();
    }
}
