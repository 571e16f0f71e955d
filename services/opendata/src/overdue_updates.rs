//! Overdue updates (OD Annex 3: the operator notifies suppliers whose updates are overdue against their declared
//! frequency). A loop looks every `feedback.check_interval`: each data set past its due date is flagged (gRPC
//! `ListOverdueDatasets`, CKAN extra `overdue`) and its supplier notified once per due date on
//! `opendata.notifications`; it also keeps the overdue gauges current.

use std::time::Duration;

use chrono::Utc;
use prometheus_client::metrics::gauge::Gauge;
use tokio_util::sync::CancellationToken;

use crate::repository::Repository;

/// The gauges the loop keeps.
#[derive(Clone, Default)]
pub struct OverdueGauges {
    /// Data sets whose update is overdue.
    pub datasets: Gauge,
    /// Proposals not forwarded within one day.
    pub proposals: Gauge,
}

/// Runs until `shutdown`.
pub async fn run(repository: Repository, interval: Duration, gauges: OverdueGauges, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now = Utc::now();
        match repository.notify_overdue_updates(now).await {
            Ok(notified) => {
                for dataset in notified {
                    tracing::info!(dataset = %dataset.passport.name, supplier = %dataset.passport.supplier, "update overdue; supplier notified");
                }
            }
            Err(error) => tracing::warn!(%error, "looking for overdue updates failed; retrying next interval"),
        }
        match repository.overdue_counts(now).await {
            Ok((datasets, proposals)) => {
                gauges.datasets.set(i64::try_from(datasets).unwrap_or(i64::MAX));
                gauges.proposals.set(i64::try_from(proposals).unwrap_or(i64::MAX));
            }
            Err(error) => tracing::warn!(%error, "counting overdue items failed"),
        }
    }
}
