//! The per-token rate limit.
//!
//! The rule, which the README repeats and clients' benchmarks rely on: each access token has
//! a bucket of `PER_MINUTE` requests that starts full and refills continuously at
//! `PER_MINUTE / 60` requests per second, never above `PER_MINUTE`. Every `/api/v2` request
//! takes one request out; a request that finds less than one in the bucket is refused with
//! 429 and takes nothing. `Retry-After` is the whole number of seconds (rounded up, at least
//! 1) until the bucket holds one request again.

use std::collections::HashMap;
use std::time::Instant;

/// The outcome of charging one request to a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Served; the figures feed the `inin-ratelimit-*` headers.
    Allowed {
        allowed: u32,
        /// Requests used out of `allowed` (whole requests not yet refilled).
        count: u32,
        /// Whole seconds until the bucket is full again.
        reset_seconds: u64,
    },
    /// Refused; retry after this many whole seconds.
    Limited { retry_after_seconds: u64 },
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    available: f64,
    refilled_at: Instant,
}

/// Buckets per token, plus bursts of forced 429s injected by tests.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: HashMap<String, Bucket>,
    forced: Option<ForcedBurst>,
}

#[derive(Clone, Copy, Debug)]
struct ForcedBurst {
    remaining: u32,
    retry_after_seconds: u64,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute: per_minute.max(1),
            buckets: HashMap::new(),
            forced: None,
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Makes the next `count` API requests fail with 429 and this `Retry-After`.
    pub fn force_burst(&mut self, count: u32, retry_after_seconds: u64) {
        self.forced = (count > 0).then_some(ForcedBurst {
            remaining: count,
            retry_after_seconds: retry_after_seconds.max(1),
        });
    }

    /// Consumes one request of a forced burst, if one is pending.
    pub fn take_forced(&mut self) -> Option<u64> {
        let burst = self.forced.as_mut()?;
        let retry_after = burst.retry_after_seconds;
        burst.remaining -= 1;
        if burst.remaining == 0 {
            self.forced = None;
        }
        Some(retry_after)
    }

    /// Charges one request to `token` at time `now`.
    pub fn admit(&mut self, token: &str, now: Instant) -> Admission {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let bucket = self.buckets.entry(token.to_owned()).or_insert(Bucket {
            available: capacity,
            refilled_at: now,
        });

        let elapsed = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64();
        bucket.available = (bucket.available + elapsed * per_second).min(capacity);
        bucket.refilled_at = now;

        if bucket.available < 1.0 {
            let wait = (1.0 - bucket.available) / per_second;
            return Admission::Limited {
                retry_after_seconds: whole_seconds(wait),
            };
        }

        bucket.available -= 1.0;
        let used = capacity - bucket.available;
        Admission::Allowed {
            allowed: self.per_minute,
            count: used.ceil() as u32,
            reset_seconds: if used <= 0.0 {
                0
            } else {
                whole_seconds(used / per_second)
            },
        }
    }
}

/// Rounds a wait up to whole seconds, never below one.
fn whole_seconds(seconds: f64) -> u64 {
    // A tiny epsilon keeps exact values (2.0000000001 after float drift) from rounding up
    // to an extra second.
    ((seconds - 1e-9).ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_fresh_bucket_serves_exactly_per_minute_requests_at_once() {
        let mut limiter = RateLimiter::new(300);
        let now = Instant::now();
        for _ in 0..300 {
            assert!(matches!(limiter.admit("t", now), Admission::Allowed { .. }));
        }
        assert_eq!(
            limiter.admit("t", now),
            Admission::Limited {
                retry_after_seconds: 1
            }
        );
    }

    #[test]
    fn retry_after_is_the_time_until_one_request_refills() {
        // 6 per minute refills one request every 10 seconds.
        let mut limiter = RateLimiter::new(6);
        let start = Instant::now();
        for _ in 0..6 {
            limiter.admit("t", start);
        }
        assert_eq!(
            limiter.admit("t", start),
            Admission::Limited {
                retry_after_seconds: 10
            }
        );

        let later = start + Duration::from_secs(4);
        assert_eq!(
            limiter.admit("t", later),
            Admission::Limited {
                retry_after_seconds: 6
            }
        );

        let refilled = start + Duration::from_secs(10);
        assert!(matches!(
            limiter.admit("t", refilled),
            Admission::Allowed { .. }
        ));
    }

    #[test]
    fn a_refused_request_costs_nothing() {
        let mut limiter = RateLimiter::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            limiter.admit("t", start);
        }
        for _ in 0..5 {
            assert!(matches!(
                limiter.admit("t", start),
                Admission::Limited { .. }
            ));
        }
        let one_second_later = start + Duration::from_secs(1);
        assert!(matches!(
            limiter.admit("t", one_second_later),
            Admission::Allowed { .. }
        ));
    }

    #[test]
    fn tokens_have_separate_buckets() {
        let mut limiter = RateLimiter::new(1);
        let now = Instant::now();
        assert!(matches!(limiter.admit("a", now), Admission::Allowed { .. }));
        assert!(matches!(limiter.admit("b", now), Admission::Allowed { .. }));
        assert!(matches!(limiter.admit("a", now), Admission::Limited { .. }));
    }

    #[test]
    fn allowed_requests_report_usage_and_reset() {
        let mut limiter = RateLimiter::new(60);
        let now = Instant::now();
        limiter.admit("t", now);
        assert_eq!(
            limiter.admit("t", now),
            Admission::Allowed {
                allowed: 60,
                count: 2,
                reset_seconds: 2
            }
        );
    }

    #[test]
    fn a_forced_burst_runs_out_after_its_count() {
        let mut limiter = RateLimiter::new(60);
        limiter.force_burst(2, 3);
        assert_eq!(limiter.take_forced(), Some(3));
        assert_eq!(limiter.take_forced(), Some(3));
        assert_eq!(limiter.take_forced(), None);
    }
}
