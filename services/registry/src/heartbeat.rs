//! The registry's heartbeat on `registry.events`: every `heartbeat_interval` (1 s by default) a
//! `RegistryHeartbeat { at }` under the key `heartbeat/registry`, written through the same outbox as every change.
//!
//! Every other service refuses calls (UNAVAILABLE) once the latest heartbeat it applied is older than its
//! `authz.max_staleness` (`koprik_authz::directory::Freshness`). The relay publishes the outbox oldest first, so a
//! heartbeat reaches the topic only after every change committed before it, a certificate's revocation included:
//! a recent heartbeat proves that no revocation is stuck behind a wedged relay, a broker the registry cannot reach,
//! or a registry that crashed after committing. When any of those happens the heartbeats stop too, and the other
//! services fail closed instead of trusting certificates that may have been revoked.

use std::time::Duration;

use koprik_runtime::CancellationToken;
use tokio::time::MissedTickBehavior;

use crate::repository::Repository;

/// Writes a heartbeat every `interval` until `shutdown`; the first one at once. A heartbeat that cannot be written
/// (the database is down) is logged and the next one tried on time: the other services refuse calls meanwhile,
/// which is what they should do while the registry cannot vouch for its revocations.
pub async fn beat(repository: Repository, interval: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => break,
        }
        if let Err(e) = repository.heartbeat().await {
            tracing::warn!(error = %e, "registry heartbeat not written; other services refuse calls once it is late");
        }
    }
    tracing::debug!("registry heartbeats stopped");
}
