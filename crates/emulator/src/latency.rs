//! Execution times derived from an action's seeded [`LatencyProfile`]: how many calls fall
//! in an interval, the statistics analytics reports for them, and the duration of one
//! simulated test run. Everything here is a pure function of the profile, so the same query
//! always gets the same answer.
//!
//! The model is a quantile function that runs in straight lines through `(0, p50 / 4)`,
//! `(0.5, p50)`, `(0.95, p95)`, `(0.99, p99)` and `(1, 1.25 × p99)`: the seeded percentiles
//! come back exactly, and the tails stay plausible.

use sha2::{Digest, Sha256};

use crate::model::LatencyProfile;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// The points `(share of calls, milliseconds)` of a profile's quantile function.
fn points(profile: &LatencyProfile) -> [(f64, f64); 5] {
    let p50 = profile.p50_ms as f64;
    let p99 = profile.p99_ms as f64;
    [
        (0.0, (p50 / 4.0).max(1.0).min(p50)),
        (0.5, p50),
        (0.95, profile.p95_ms as f64),
        (0.99, p99),
        (1.0, p99 * 1.25),
    ]
}

/// The duration below which a share `u` (0 to 1) of the calls finish.
pub fn quantile(profile: &LatencyProfile, u: f64) -> f64 {
    let points = points(profile);
    let u = u.clamp(0.0, 1.0);
    for pair in points.windows(2) {
        let ((u0, q0), (u1, q1)) = (pair[0], pair[1]);
        if u <= u1 {
            return q0 + (q1 - q0) * (u - u0) / (u1 - u0);
        }
    }
    points[4].1
}

/// The share of calls that finish within `ms` (the inverse of [`quantile`]).
fn share_within(profile: &LatencyProfile, ms: f64) -> f64 {
    let points = points(profile);
    if ms < points[0].1 {
        return 0.0;
    }
    for pair in points.windows(2) {
        let ((u0, q0), (u1, q1)) = (pair[0], pair[1]);
        if ms <= q1 {
            return if q1 > q0 {
                u0 + (u1 - u0) * (ms - q0) / (q1 - q0)
            } else {
                u1
            };
        }
    }
    1.0
}

/// The mean duration: the area under the quantile function.
fn mean(profile: &LatencyProfile) -> f64 {
    points(profile)
        .windows(2)
        .map(|pair| (pair[1].0 - pair[0].0) * (pair[0].1 + pair[1].1) / 2.0)
        .sum()
}

/// The number of calls in an interval of `seconds`: the daily rate times the days, rounded.
pub fn calls_in(profile: &LatencyProfile, seconds: f64) -> u64 {
    (profile.calls_per_day * seconds / SECONDS_PER_DAY)
        .round()
        .max(0.0) as u64
}

/// The `StatisticalSummary` of `tTotalExecution` for some calls, in whole milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    pub count: u64,
    pub min: u64,
    pub max: u64,
    pub sum: u64,
    pub p95: u64,
    pub p99: u64,
}

/// The statistics of `count` calls (at least one) of one action. The calls are taken to be
/// spread evenly over the quantile function, so the fastest and slowest are the quantiles
/// at `1 / 2n` and `1 − 1 / 2n`; the reported p95 and p99 are the profile's own, and the
/// maximum is never below the p99.
pub fn stats(profile: &LatencyProfile, count: u64) -> Stats {
    let edge = 1.0 / (2.0 * count.max(1) as f64);
    Stats {
        count,
        min: (quantile(profile, edge).round() as u64).min(profile.p50_ms),
        max: (quantile(profile, 1.0 - edge).round() as u64).max(profile.p99_ms),
        sum: (count as f64 * mean(profile)).round() as u64,
        p95: profile.p95_ms,
        p99: profile.p99_ms,
    }
}

/// The statistics of several actions' calls taken together (a query without `groupBy`):
/// counts, sums and extremes add up, and the percentiles are those of the mixture of the
/// actions' distributions, weighted by their calls.
pub fn combined(parts: &[(LatencyProfile, Stats)]) -> Option<Stats> {
    let count: u64 = parts.iter().map(|(_, stats)| stats.count).sum();
    if count == 0 {
        return None;
    }
    let min = parts.iter().map(|(_, stats)| stats.min).min()?;
    let max = parts.iter().map(|(_, stats)| stats.max).max()?;
    let share_within_all = |ms: f64| {
        parts
            .iter()
            .map(|(profile, stats)| stats.count as f64 * share_within(profile, ms))
            .sum::<f64>()
            / count as f64
    };
    let percentile = |share: f64| {
        let (mut low, mut high) = (min as f64, max as f64);
        for _ in 0..64 {
            let middle = (low + high) / 2.0;
            if share_within_all(middle) < share {
                low = middle;
            } else {
                high = middle;
            }
        }
        high.round() as u64
    };
    Some(Stats {
        count,
        min,
        max,
        sum: parts.iter().map(|(_, stats)| stats.sum).sum(),
        p95: percentile(0.95),
        p99: percentile(0.99),
    })
}

/// The simulated duration of the `run`-th test of an action, in milliseconds: the quantile
/// at a share drawn from SHA-256 of `"{action_id}:{run}"`, so it is the same in every run of
/// the emulator.
pub fn test_duration_ms(profile: &LatencyProfile, action_id: &str, run: u64) -> u64 {
    let digest = Sha256::digest(format!("{action_id}:{run}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    let share = u64::from_be_bytes(bytes) as f64 / u64::MAX as f64;
    quantile(profile, share).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(calls_per_day: f64) -> LatencyProfile {
        LatencyProfile {
            p50_ms: 400,
            p95_ms: 1_200,
            p99_ms: 1_800,
            calls_per_day,
        }
    }

    #[test]
    fn the_quantile_function_returns_the_seeded_percentiles() {
        let profile = profile(10.0);
        assert_eq!(quantile(&profile, 0.5), 400.0);
        assert_eq!(quantile(&profile, 0.95), 1_200.0);
        assert_eq!(quantile(&profile, 0.99), 1_800.0);
        assert_eq!(quantile(&profile, 1.0), 2_250.0);
        assert_eq!(quantile(&profile, 0.0), 100.0);
        assert!((share_within(&profile, 1_200.0) - 0.95).abs() < 1e-9);
    }

    #[test]
    fn calls_scale_with_the_interval_and_round() {
        assert_eq!(calls_in(&profile(20.0 / 7.0), 7.0 * SECONDS_PER_DAY), 20);
        assert_eq!(calls_in(&profile(19.0 / 7.0), 7.0 * SECONDS_PER_DAY), 19);
        assert_eq!(calls_in(&profile(12.0), SECONDS_PER_DAY / 2.0), 6);
        assert_eq!(calls_in(&profile(0.0), 30.0 * SECONDS_PER_DAY), 0);
    }

    #[test]
    fn stats_report_the_profile_percentiles_and_a_consistent_sum() {
        let stats = stats(&profile(1_000.0), 1_000);
        assert_eq!((stats.count, stats.p95, stats.p99), (1_000, 1_200, 1_800));
        assert!(stats.min < 400 && stats.max > 1_800);
        let mean = stats.sum as f64 / stats.count as f64;
        assert!(mean > 400.0 && mean < 1_200.0, "mean {mean}");
    }

    #[test]
    fn one_call_has_the_median_as_minimum_and_the_p99_as_maximum() {
        let stats = stats(&profile(1.0), 1);
        assert_eq!((stats.min, stats.max), (400, 1_800));
    }

    #[test]
    fn combining_one_action_keeps_its_percentiles() {
        let profile = profile(100.0);
        let one = stats(&profile, 700);
        let together = combined(&[(profile, one)]).unwrap();
        assert_eq!(together.p95, 1_200);
        assert_eq!(together.p99, 1_800);
        assert!(combined(&[]).is_none());
    }

    #[test]
    fn test_durations_are_deterministic_and_within_the_profile() {
        let profile = profile(1.0);
        let first: Vec<u64> = (1..50)
            .map(|run| test_duration_ms(&profile, "a", run))
            .collect();
        let again: Vec<u64> = (1..50)
            .map(|run| test_duration_ms(&profile, "a", run))
            .collect();
        assert_eq!(first, again);
        assert!(first.iter().all(|&ms| (100..=2_250).contains(&ms)));
        assert!(first.iter().any(|&ms| ms != first[0]));
    }
}
