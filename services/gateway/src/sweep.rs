//! The periodic sweep of the gateway database: escalates the submitted requests past their legal deadline (once
//! across all replicas), deletes the answers whose retention ended and the accepted signatures no replica needs any
//! more ([`crate::replay`]); it also refreshes the quota-use metrics. Every replica runs it; the conditional updates
//! make sure each request is escalated once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::exchange::Exchange;

/// Sweeps every `interval` until `shutdown`.
pub async fn run(exchange: Arc<Exchange>, interval: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now = Utc::now();
        match exchange.escalate_overdue(now).await {
            Ok(0) => {}
            Ok(escalated) => tracing::info!(escalated, "overdue submitted requests escalated"),
            Err(e) => tracing::warn!(error = %e, "cannot look for overdue submitted requests"),
        }
        if let Err(e) = exchange.report_quota_use(now).await {
            tracing::warn!(error = %e, "cannot read this month's request counts");
        }
        match exchange.purge_answers(now).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired answers deleted"),
            Err(e) => tracing::warn!(error = %e, "cannot delete expired answers"),
        }
        match crate::replay::purge(&exchange.db, now).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "accepted signatures past their window deleted"),
            Err(e) => tracing::warn!(error = %e, "cannot delete accepted signatures past their window"),
        }
    }
}
