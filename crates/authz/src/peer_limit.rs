//! A budget of refused calls per peer address, spent before identification: a peer whose calls keep being refused
//! (no certificate, an unregistered or revoked one, a role that may not call, a method nobody may call) gets its
//! further calls refused with RESOURCE_EXHAUSTED at once, before any certificate is parsed or looked up, until its
//! budget refills. Callers whose calls succeed spend nothing, however many they make, so the platform's own load
//! is never throttled by it; a flood of refused calls costs the service a hash lookup per call and nothing else.
//!
//! The budget is a token bucket per IP address (`grpc.refused_calls`: `per_second` tokens refill each second, up to
//! `burst`). At most [`MAX_PEERS`] addresses are tracked; when that many are, peers whose budget has refilled are
//! forgotten first (a full bucket is the same as no bucket).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How many peer addresses are tracked at most.
pub const MAX_PEERS: usize = 65_536;

/// The refused-call budget of each peer address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PeerLimitConfig {
    /// Refused calls a peer may make per second, sustained.
    pub per_second: u32,
    /// Refused calls a peer may make in a burst (the bucket's size).
    pub burst: u32,
}

impl Default for PeerLimitConfig {
    /// Generous for a misconfigured client or a test suite probing every role (a few hundred refusals in a few
    /// seconds), tight for a flood (millions).
    fn default() -> Self {
        Self { per_second: 200, burst: 2_000 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every peer seen refused.
#[derive(Debug)]
pub struct PeerLimit {
    config: PeerLimitConfig,
    /// A `std::sync::Mutex`: each call holds it for one hash-map operation, never across an await.
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl PeerLimit {
    /// Budgets of `config`.
    pub fn new(config: PeerLimitConfig) -> Self {
        Self { config, buckets: Mutex::default() }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * f64::from(self.config.per_second);
        Bucket { tokens: (bucket.tokens + refill).min(f64::from(self.config.burst)), at: now }
    }

    /// Whether `peer` may still be heard; when not, how long until it may.
    pub fn admits(&self, peer: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(bucket) = buckets.get_mut(&peer) else {
            return Ok(());
        };
        *bucket = self.refilled(*bucket, now);
        if bucket.tokens >= 1.0 {
            return Ok(());
        }
        let per_second = f64::from(self.config.per_second.max(1));
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
    }

    /// Spends one refused call of `peer`'s budget.
    pub fn spend(&self, peer: IpAddr) {
        let now = Instant::now();
        let burst = f64::from(self.config.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(&peer) && buckets.len() >= MAX_PEERS {
            // Forget the peers whose budget has refilled: they are as if never seen.
            buckets.retain(|_, bucket| self.refilled(*bucket, now).tokens < burst);
            if buckets.len() >= MAX_PEERS {
                // Every tracked peer is spending: the newest is not tracked rather than memory grown.
                return;
            }
        }
        let bucket = buckets.entry(peer).or_insert(Bucket { tokens: burst, at: now });
        *bucket = self.refilled(*bucket, now);
        bucket.tokens = (bucket.tokens - 1.0).max(0.0);
    }

    /// How many peers are tracked (for tests).
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn a_peer_is_heard_until_its_refused_calls_exceed_the_burst() {
        let limit = PeerLimit::new(PeerLimitConfig { per_second: 1, burst: 3 });
        assert_eq!(limit.admits(ip(1)), Ok(()), "never refused: heard");
        for _ in 0..3 {
            assert_eq!(limit.admits(ip(1)), Ok(()));
            limit.spend(ip(1));
        }
        let wait = limit.admits(ip(1)).expect_err("budget spent");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(limit.admits(ip(2)), Ok(()), "another peer is not affected");
    }

    #[test]
    fn the_budget_refills_over_time() {
        let limit = PeerLimit::new(PeerLimitConfig { per_second: 100, burst: 1 });
        limit.spend(ip(1));
        assert!(limit.admits(ip(1)).is_err());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(limit.admits(ip(1)), Ok(()));
    }

    #[test]
    fn memory_stays_bounded_and_refilled_peers_are_forgotten_first() {
        let limit = PeerLimit::new(PeerLimitConfig { per_second: 1_000_000, burst: 10 });
        for n in 0..(MAX_PEERS as u32 + 10) {
            limit.spend(IpAddr::from(n.to_be_bytes()));
        }
        assert!(limit.tracked() <= MAX_PEERS, "{} tracked", limit.tracked());
    }
}
