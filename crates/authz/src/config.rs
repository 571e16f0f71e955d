//! The `authz` section of every service's configuration: how current a service's knowledge of revoked
//! certificates must be for it to accept calls.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a service keeps its view of the registry's certificates current.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthzConfig {
    /// How long after its view of the registry's certificates was last known current a service still accepts
    /// calls: the view must have read `registry.events` to its end, and hold a registry heartbeat (written every
    /// second through the registry's outbox, behind every revocation committed before it), both within this.
    /// Beyond it (the broker is unreachable, the feed is stuck, the registry's relay is wedged, the registry is
    /// down) every call needing a certificate is refused with UNAVAILABLE: a revocation could have been missed.
    /// This bounds how late a revocation can take effect when things fail; when they do not, revocations take
    /// effect in well under a second. It also bounds how long a registry restart may take before the platform
    /// stops answering, so keep it above the registry's restart time.
    #[serde(with = "humantime_serde")]
    pub max_staleness: Duration,
    /// How often the service compares what it has read of `registry.events` with the topic's end.
    #[serde(with = "humantime_serde")]
    pub probe_interval: Duration,
    /// How long a starting service waits for its first complete read of the registry's certificates before it
    /// serves anyway (refusing calls as unavailable until the read completes).
    #[serde(with = "humantime_serde")]
    pub startup_wait: Duration,
    /// Each peer address's budget of refused calls (`[authz.refused_calls]`): a peer that spent it is refused
    /// RESOURCE_EXHAUSTED before its certificate is even read, until the budget refills.
    pub refused_calls: crate::PeerLimitConfig,
}

impl Default for AuthzConfig {
    fn default() -> Self {
        Self {
            max_staleness: Duration::from_secs(10),
            probe_interval: Duration::from_millis(500),
            startup_wait: Duration::from_secs(30),
            refused_calls: crate::PeerLimitConfig::default(),
        }
    }
}
