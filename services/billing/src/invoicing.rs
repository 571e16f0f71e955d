//! The invoicing loop: every interval, issues the invoices of months that ended more than the grace period ago
//! and marks invoices past their due date overdue (which suspends the account's DDP access, A2 §25).

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::config::InvoicingConfig;
use crate::repository::Repository;

/// Runs until `shutdown`.
pub async fn run(
    repository: Repository,
    config: InvoicingConfig,
    figures: crate::figures::BillingFigures,
    shutdown: CancellationToken,
) {
    let mut ticks = tokio::time::interval(config.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        round(&repository, config.grace).await;
        figures.refresh(&repository).await;
    }
}

/// One round: issue, then look for overdue invoices.
pub async fn round(repository: &Repository, grace: Duration) {
    let now = Utc::now();
    match repository.issue_ended(now, grace).await {
        Ok(0) => {}
        Ok(issued) => tracing::info!(issued, "invoices issued"),
        Err(e) => tracing::warn!(error = %e, "issuing invoices failed; retrying at the next round"),
    }
    match repository.mark_overdue(now).await {
        Ok(0) => {}
        Ok(overdue) => tracing::info!(overdue, "invoices overdue"),
        Err(e) => tracing::warn!(error = %e, "looking for overdue invoices failed; retrying at the next round"),
    }
}
