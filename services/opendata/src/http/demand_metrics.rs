//! Demand as Prometheus counters: data-set views and downloads by format, for the operators' dashboards. The
//! published demand statistics (OD Annex 3) are the database's daily counts; these counters are their live view.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use koprik_runtime::metrics::Metrics;

/// The counters.
#[derive(Clone, Default)]
pub struct DemandMetrics {
    views: Family<[(&'static str, String); 1], Counter>,
    downloads: Family<[(&'static str, String); 2], Counter>,
}

impl DemandMetrics {
    /// The counters, registered in `metrics` as `dataset_views_total{dataset}` and
    /// `dataset_downloads_total{dataset, format}`.
    pub fn register(metrics: &Metrics) -> Self {
        let this = Self::default();
        metrics.register(|r| {
            r.register("dataset_views", "Data set pages and package_show calls", this.views.clone());
            r.register("dataset_downloads", "Data set downloads by format", this.downloads.clone());
        });
        this
    }

    /// Counts a view of data set `name`.
    pub fn viewed(&self, name: &str) {
        self.views.get_or_create(&[("dataset", name.to_owned())]).inc();
    }

    /// Counts a download of data set `name` as `format`.
    pub fn downloaded(&self, name: &str, format: &str) {
        self.downloads.get_or_create(&[("dataset", name.to_owned()), ("format", format.to_owned())]).inc();
    }
}
