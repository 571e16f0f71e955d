//! The `outbox` configuration section.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the relay publishes: changes are published right after their transaction commits; polling is the safety
/// net for events left by a crash or written by another replica.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// How often the relay looks for unpublished events when nothing woke it.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// How many events it reads per round.
    pub batch_size: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self { poll_interval: Duration::from_secs(1), batch_size: 100 }
    }
}
