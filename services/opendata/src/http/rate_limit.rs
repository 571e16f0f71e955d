//! The anonymous rate limit (OD §8, §21: viewing and downloading is free, heavy use of the API is under
//! contract): a token bucket per client address holding `per_minute` tokens, refilled evenly over a minute, in
//! this replica's memory (each replica limits on its own; behind N replicas a client gets up to N times the
//! limit, which is acceptable for a fairness limit and needs no shared store).
//!
//! The table cannot grow without bound: a bucket that has refilled completely is the same as no bucket, so when
//! the table reaches its capacity such buckets are dropped; if every bucket is still in use (a flood from more
//! addresses than the table holds), a new address is refused until some refill. Refusing the newcomer rather than
//! evicting an active client keeps the limit honest for everyone already counted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// How many client addresses are tracked at most (about 50 bytes each).
pub const MAX_CLIENTS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets per client address.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    max_clients: usize,
    /// A std mutex: it is held for a few arithmetic operations, never across an await.
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// `per_minute` requests per client per minute (0: unlimited), tracking at most `max_clients` clients.
    pub fn new(per_minute: u32, max_clients: usize) -> Self {
        Self { per_minute, max_clients: max_clients.max(1), buckets: Mutex::new(HashMap::new()) }
    }

    /// The limit per minute.
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    fn per_second(&self) -> f64 {
        f64::from(self.per_minute) / 60.0
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second()).min(f64::from(self.per_minute))
    }

    /// Takes a token for `client` at `now`: `Ok` when the request may go ahead, else the whole seconds until it
    /// may be retried.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !buckets.contains_key(&client) && buckets.len() >= self.max_clients {
            buckets.retain(|_, bucket| self.refilled(*bucket, now) < capacity);
            if buckets.len() >= self.max_clients {
                return Err(self.seconds_for(1.0));
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket { tokens: capacity, at: now });
        let tokens = self.refilled(*bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, at: now };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(self.seconds_for(1.0 - tokens))
        }
    }

    /// Whole seconds (at least 1) until `missing` tokens have been refilled.
    fn seconds_for(&self, missing: f64) -> u64 {
        ((missing / self.per_second()).ceil() as u64).max(1)
    }

    /// How many clients are tracked.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn a_burst_up_to_the_limit_passes_then_waits_for_a_refill() {
        let limiter = RateLimiter::new(3, 10);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip(1), start), Ok(()));
        }
        assert_eq!(limiter.check(ip(1), start), Err(20), "one token refills in 60/3 s");
        assert_eq!(limiter.check(ip(1), start + Duration::from_secs(19)), Err(1));
        assert_eq!(limiter.check(ip(1), start + Duration::from_secs(21)), Ok(()));
    }

    #[test]
    fn clients_have_their_own_buckets() {
        let limiter = RateLimiter::new(1, 10);
        let now = Instant::now();
        assert_eq!(limiter.check(ip(1), now), Ok(()));
        assert!(limiter.check(ip(1), now).is_err());
        assert_eq!(limiter.check(ip(2), now), Ok(()));
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::new(0, 1);
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(limiter.check(ip(1), now), Ok(()));
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn the_table_is_bounded_and_refilled_buckets_are_pruned() {
        let limiter = RateLimiter::new(60, 3);
        let start = Instant::now();
        for client in 1..=3 {
            assert_eq!(limiter.check(ip(client), start), Ok(()));
        }
        // Three active clients fill the table: a fourth waits rather than evicting one of them.
        assert_eq!(limiter.check(ip(4), start), Err(1));
        assert_eq!(limiter.tracked(), 3);
        // A second later every bucket has refilled its one token: they are pruned and the newcomer admitted.
        assert_eq!(limiter.check(ip(4), start + Duration::from_secs(1)), Ok(()));
        assert_eq!(limiter.tracked(), 1);
    }
}
