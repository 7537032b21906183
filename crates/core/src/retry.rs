//! Pacing and retrying requests: a client-side token bucket, a shared pause after a 429, and
//! bounded retries of server errors and dropped connections. The loader and the apply engine
//! both go through it; the engine's module documentation states the rules and numbers.
//!
//! Everything here runs inside one task (the browser has no threads), so shared state is kept
//! in `Cell`s and every waiting future sleeps through the transport.

use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use web_time::Instant;

use crate::api::{ApiError, RateLimitSnapshot};
use crate::transport::Transport;

/// A cheap flag shared with the app: once set, no new request starts and waits end early.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Asks the running work to stop as soon as it can.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The numbers behind pacing and retries.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Requests per minute the client allows itself: the bucket's capacity, refilled at a
    /// sixtieth of it per second (Genesys' default per-token limit is 300).
    pub rate_per_minute: u32,
    /// Requests kept in reserve below the capacity, so that timing differences between this
    /// bucket and the server's never reach the limit.
    pub headroom: u32,
    /// The longest pause taken after a 429, whatever `Retry-After` says.
    pub max_pause: Duration,
    /// The first pause after a 429 without `Retry-After`; doubled on each further 429.
    pub rate_limit_backoff: Duration,
    /// 429s tolerated for one request before it is reported as failed.
    pub max_rate_limited: u32,
    /// Attempts in all for a request that meets server errors or dropped connections.
    pub server_attempts: u32,
    /// The pause before the second attempt after a server error; doubled after each.
    pub server_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            rate_per_minute: 300,
            headroom: 2,
            max_pause: Duration::from_secs(60),
            rate_limit_backoff: Duration::from_secs(2),
            max_rate_limited: 12,
            server_attempts: 3,
            server_backoff: Duration::from_millis(500),
        }
    }
}

/// Why a paced call ended without an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CallError {
    /// The last answer, after retries where the rules allow them.
    Api(ApiError),
    /// Cancelled or stopped before (or between) attempts.
    Interrupted,
}

/// The token bucket and the pause shared by every request of one load or apply.
pub(crate) struct Pacer {
    policy: RetryPolicy,
    capacity: f64,
    per_second: f64,
    available: Cell<f64>,
    /// When the bucket was last topped up, on the transport's clock (unset until first use).
    refilled_at: Cell<Option<Instant>>,
    paused_until: Cell<Option<Instant>>,
    rate_limited: Cell<u32>,
}

impl Pacer {
    /// A pacer whose bucket starts full, or as full as the last rate-limit headers said.
    pub(crate) fn new(policy: RetryPolicy, last_seen: Option<RateLimitSnapshot>) -> Pacer {
        let capacity = f64::from(
            policy
                .rate_per_minute
                .saturating_sub(policy.headroom)
                .max(1),
        );
        let per_second = f64::from(policy.rate_per_minute.max(1)) / 60.0;
        let now = Instant::now();
        let available = match last_seen {
            Some(seen) => {
                let left =
                    f64::from(seen.allowed.saturating_sub(seen.used)) - f64::from(policy.headroom);
                let refill = now.saturating_duration_since(seen.seen_at).as_secs_f64() * per_second;
                (left + refill).clamp(0.0, capacity)
            }
            None => capacity,
        };
        Pacer {
            policy,
            capacity,
            per_second,
            available: Cell::new(available),
            refilled_at: Cell::new(None),
            paused_until: Cell::new(None),
            rate_limited: Cell::new(0),
        }
    }

    /// How many 429s were received.
    pub(crate) fn rate_limited(&self) -> u32 {
        self.rate_limited.get()
    }

    fn refill(&self, now: Instant) {
        let elapsed = self
            .refilled_at
            .get()
            .map_or(0.0, |at| now.saturating_duration_since(at).as_secs_f64());
        let available = (self.available.get() + elapsed * self.per_second).min(self.capacity);
        self.available.set(available);
        self.refilled_at.set(Some(now));
    }

    /// How long until the bucket holds a whole token, rounded up to the next microsecond. A
    /// shortfall of a rounding error would otherwise come out as a zero-length wait, and a
    /// clock that a zero wait does not move would never refill the bucket.
    fn wait_for_token(&self) -> Duration {
        let seconds = (1.0 - self.available.get()) / self.per_second;
        let micros = (seconds * 1e6).ceil().max(1.0);
        Duration::from_micros(micros as u64)
    }

    /// Waits until a request may be sent: no pause in force and a token in the bucket.
    async fn admit<T: Transport>(
        &self,
        transport: &T,
        stop: &dyn Fn() -> bool,
    ) -> Result<(), CallError> {
        loop {
            if stop() {
                return Err(CallError::Interrupted);
            }
            let now = transport.now();
            if let Some(until) = self.paused_until.get().filter(|until| *until > now) {
                nap(transport, until - now, stop).await?;
                continue;
            }
            self.refill(now);
            if self.available.get() >= 1.0 {
                self.available.set(self.available.get() - 1.0);
                return Ok(());
            }
            nap(transport, self.wait_for_token(), stop).await?;
        }
    }

    /// Pauses every request after a 429 and returns how long for.
    fn pause(&self, now: Instant, retry_after: Option<Duration>, consecutive: u32) -> Duration {
        let backoff = || {
            let factor = 2u32.saturating_pow(consecutive.saturating_sub(1).min(16));
            self.policy.rate_limit_backoff.saturating_mul(factor)
        };
        let pause = retry_after
            .unwrap_or_else(backoff)
            .min(self.policy.max_pause);
        let until = now + pause;
        let later = self
            .paused_until
            .get()
            .map_or(until, |current| current.max(until));
        self.paused_until.set(Some(later));
        // The server says the budget is spent: start refilling from empty.
        self.available.set(0.0);
        self.rate_limited.set(self.rate_limited.get() + 1);
        pause
    }

    /// Runs `op` under the pacing and retry rules: 429 pauses everyone and retries; server
    /// errors and dropped connections retry with backoff a bounded number of times; anything
    /// else is returned at once. `on_pause` hears of every 429 pause.
    pub(crate) async fn call<T, R, F, Fut>(
        &self,
        transport: &T,
        stop: &dyn Fn() -> bool,
        on_pause: &dyn Fn(Duration),
        mut op: F,
    ) -> Result<R, CallError>
    where
        T: Transport,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<R, ApiError>>,
    {
        let mut rate_limited = 0;
        let mut server_failures = 0;
        loop {
            self.admit(transport, stop).await?;
            let error = match op().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };

            if error.is_rate_limited() && rate_limited < self.policy.max_rate_limited {
                rate_limited += 1;
                let pause = self.pause(transport.now(), error.retry_after(), rate_limited);
                tracing::debug!(?pause, "rate limited; pausing every request");
                on_pause(pause);
            } else if error.is_server_or_network()
                && server_failures + 1 < self.policy.server_attempts
            {
                server_failures += 1;
                let factor = 2u32.saturating_pow(server_failures - 1);
                let backoff = self.policy.server_backoff.saturating_mul(factor);
                tracing::debug!(%error, ?backoff, "retrying after a server error");
                nap(transport, backoff, stop).await?;
            } else {
                return Err(CallError::Api(error));
            }
        }
    }
}

/// Sleeps in slices of at most 250 ms so that cancellation is noticed quickly. The slices are
/// counted rather than timed, so a transport with a virtual clock never spins.
async fn nap<T: Transport>(
    transport: &T,
    duration: Duration,
    stop: &dyn Fn() -> bool,
) -> Result<(), CallError> {
    const SLICE: Duration = Duration::from_millis(250);
    let mut left = duration;
    while !left.is_zero() {
        if stop() {
            return Err(CallError::Interrupted);
        }
        let slice = left.min(SLICE);
        transport.sleep(slice).await;
        left -= slice;
    }
    if stop() {
        return Err(CallError::Interrupted);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::transport::{HttpRequest, HttpResponse, TransportError};
    use futures::executor::block_on;

    /// A virtual clock: sleeping moves it forward at once.
    struct Clock {
        now: Cell<Instant>,
        slept: Cell<Duration>,
    }

    impl Clock {
        fn new() -> Clock {
            Clock {
                now: Cell::new(Instant::now()),
                slept: Cell::new(Duration::ZERO),
            }
        }
    }

    impl Transport for Clock {
        async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
            Err(TransportError::Network("not used".into()))
        }

        async fn sleep(&self, duration: Duration) {
            self.now.set(self.now.get() + duration);
            self.slept.set(self.slept.get() + duration);
        }

        fn now(&self) -> Instant {
            self.now.get()
        }
    }

    fn policy(rate_per_minute: u32, headroom: u32) -> RetryPolicy {
        RetryPolicy {
            rate_per_minute,
            headroom,
            ..RetryPolicy::default()
        }
    }

    fn close(a: Duration, b: Duration) -> bool {
        a.abs_diff(b) < Duration::from_millis(2)
    }

    #[test]
    fn the_bucket_spends_its_capacity_then_waits_for_each_refill() {
        // 120 per minute refills 2 per second; a headroom of 118 leaves a capacity of 2.
        let clock = Clock::new();
        let pacer = Pacer::new(policy(120, 118), None);
        let never = || false;
        for _ in 0..5 {
            block_on(pacer.admit(&clock, &never)).unwrap();
        }
        assert!(
            close(clock.slept.get(), Duration::from_millis(1500)),
            "{:?}",
            clock.slept.get()
        );
    }

    #[test]
    fn the_last_rate_limit_headers_set_the_starting_budget() {
        let clock = Clock::new();
        let seen = RateLimitSnapshot {
            allowed: 300,
            used: 296,
            seen_at: Instant::now(),
        };
        let pacer = Pacer::new(policy(300, 2), Some(seen));
        let never = || false;
        block_on(pacer.admit(&clock, &never)).unwrap();
        block_on(pacer.admit(&clock, &never)).unwrap();
        assert!(clock.slept.get() < Duration::from_millis(2));
        block_on(pacer.admit(&clock, &never)).unwrap();
        assert!(
            clock.slept.get() >= Duration::from_millis(150),
            "{:?}",
            clock.slept.get()
        );
    }

    #[test]
    fn a_429_pauses_for_retry_after_and_empties_the_bucket() {
        let clock = Clock::new();
        let pacer = Pacer::new(policy(60_000, 0), None);
        let never = || false;
        let answers = RefCell::new(vec![
            Ok(()),
            Err(ApiError::from_response(
                &HttpResponse::new(429, "").with_header("Retry-After", "4"),
            )),
        ]);
        let pauses = RefCell::new(Vec::new());
        let on_pause = |pause| pauses.borrow_mut().push(pause);
        let result = block_on(pacer.call(&clock, &never, &on_pause, || {
            let answer = answers.borrow_mut().pop().unwrap();
            async move { answer }
        }));
        assert_eq!(result, Ok(()));
        assert_eq!(*pauses.borrow(), vec![Duration::from_secs(4)]);
        assert!(clock.slept.get() >= Duration::from_secs(4));
        assert_eq!(pacer.rate_limited(), 1);
    }

    #[test]
    fn a_missing_retry_after_backs_off_doubling_up_to_the_cap() {
        let clock = Clock::new();
        let mut capped = policy(60_000, 0);
        capped.max_pause = Duration::from_secs(5);
        let pacer = Pacer::new(capped, None);
        let never = || false;
        let limited = || ApiError::from_response(&HttpResponse::new(429, ""));
        let answers = RefCell::new(vec![Ok(()), Err(limited()), Err(limited()), Err(limited())]);
        let pauses = RefCell::new(Vec::new());
        let on_pause = |pause| pauses.borrow_mut().push(pause);
        block_on(pacer.call(&clock, &never, &on_pause, || {
            let answer = answers.borrow_mut().pop().unwrap();
            async move { answer }
        }))
        .unwrap();
        let secs = |s| Duration::from_secs(s);
        assert_eq!(*pauses.borrow(), vec![secs(2), secs(4), secs(5)]);
    }

    #[test]
    fn cancelling_ends_a_wait() {
        let clock = Clock::new();
        let pacer = Pacer::new(policy(60, 59), None);
        let cancel = CancelFlag::new();
        let stop = || cancel.is_cancelled();
        block_on(pacer.admit(&clock, &stop)).unwrap();
        cancel.cancel();
        assert_eq!(
            block_on(pacer.admit(&clock, &stop)),
            Err(CallError::Interrupted)
        );
        assert!(clock.slept.get() < Duration::from_secs(1));
    }

    #[test]
    fn a_bucket_short_by_a_rounding_error_still_waits_and_admits() {
        let clock = Clock::new();
        let pacer = Pacer::new(policy(300, 0), None);
        pacer.available.set(1.0 - 1e-15);
        pacer.refilled_at.set(Some(clock.now()));

        // A pacer that waits zero time on a clock that does not move would spin for ever;
        // give up after many turns so that the failure is an error, not a hang.
        let turns = Cell::new(0u32);
        let spinning = || {
            turns.set(turns.get() + 1);
            turns.get() > 1_000
        };
        block_on(pacer.admit(&clock, &spinning)).unwrap();
        assert!(clock.slept.get() > Duration::ZERO);
    }
}
