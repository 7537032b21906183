//! A suggested timeout from an action's measured latency, and the flags that compare a
//! timeout with it.
//!
//! Genesys' advice is "a little above the p99 of the action's real duration". The rule used
//! here is `clamp(ceil(1.5 × p99 in seconds) + 1, 1, 60)`: half as much again as the p99 plus a
//! second, so a p99 of 1,000 ms suggests 3 s. Fewer than [`MIN_CALLS`] calls give no
//! suggestion: a p99 of a handful of calls is noise.

use serde::{Deserialize, Serialize};

use crate::timeout::{MAX_SECONDS, MIN_SECONDS, Timeout};

/// The fewest calls a suggestion is based on.
pub const MIN_CALLS: u64 = 20;

/// Latency figures of one action over a window, in milliseconds as analytics reports them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyStats {
    pub calls: u64,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

/// Which figure a suggestion is based on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Basis {
    /// The p99, as intended.
    P99,
    /// The maximum, because analytics returned no p99 (say so to the person).
    Max,
}

/// A suggested timeout and what it rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub timeout: Timeout,
    pub basis: Basis,
}

/// Why there is no suggestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoSuggestion {
    #[error("too few calls to suggest a timeout ({calls} of at least 20)")]
    TooFewCalls { calls: u64 },
    #[error("no latency figures to suggest a timeout from")]
    NoLatency,
}

/// The latency-based flags shown and filtered on in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LatencyFlag {
    /// The timeout is below the p99: calls are likely to time out.
    BelowP99,
    /// The timeout is far above what the latency needs (at least three times the suggestion
    /// and ten seconds more): a slow endpoint holds concurrency longer than needed.
    FarAboveP99,
}

/// The timeout, in whole seconds 1 to 60, that covers a duration of `ms` with the margin.
pub fn seconds_covering(ms: f64) -> u8 {
    let seconds = (1.5 * ms.max(0.0) / 1000.0).ceil() + 1.0;
    seconds.clamp(f64::from(MIN_SECONDS), f64::from(MAX_SECONDS)) as u8
}

/// The suggested timeout for the figures, or why there is none.
pub fn suggest(stats: &LatencyStats) -> Result<Suggestion, NoSuggestion> {
    if stats.calls < MIN_CALLS {
        return Err(NoSuggestion::TooFewCalls { calls: stats.calls });
    }
    let (ms, basis) = match (stats.p99_ms, stats.max_ms) {
        (Some(p99), _) => (p99, Basis::P99),
        (None, Some(max)) => (max, Basis::Max),
        (None, None) => return Err(NoSuggestion::NoLatency),
    };
    Ok(Suggestion {
        timeout: Timeout::Explicit(seconds_covering(ms)),
        basis,
    })
}

/// True when the timeout is shorter than the p99 (or the maximum, when p99 is missing).
pub fn is_below_p99(timeout: Timeout, stats: &LatencyStats) -> bool {
    stats
        .p99_ms
        .or(stats.max_ms)
        .is_some_and(|ms| f64::from(timeout.effective_seconds()) * 1000.0 < ms)
}

/// The flag for a timeout given the figures, if any.
pub fn flag(timeout: Timeout, stats: &LatencyStats) -> Option<LatencyFlag> {
    if stats.calls == 0 {
        return None;
    }
    if is_below_p99(timeout, stats) {
        return Some(LatencyFlag::BelowP99);
    }
    let suggested = suggest(stats).ok()?.timeout.effective_seconds();
    let effective = timeout.effective_seconds();
    (effective >= suggested.saturating_mul(3) && effective - suggested >= 10)
        .then_some(LatencyFlag::FarAboveP99)
}

/// A duration in milliseconds as seconds for people, to the hundredth and without trailing
/// zeros: "0.45 s", "4.2 s", "70 s".
///
/// Integer arithmetic keeps the float-formatting machinery out of the browser build.
pub fn seconds_text(ms: f64) -> String {
    let hundredths = (ms.max(0.0) / 10.0).round() as u64;
    let (whole, fraction) = (hundredths / 100, hundredths % 100);
    match fraction {
        0 => format!("{whole} s"),
        f if f % 10 == 0 => format!("{whole}.{} s", f / 10),
        f => format!("{whole}.{f:02} s"),
    }
}

/// A whole number with thousands separators, as the page shows counts: "210,000".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(calls: u64, p99_ms: Option<f64>) -> LatencyStats {
        LatencyStats {
            calls,
            p95_ms: None,
            p99_ms,
            max_ms: Some(90_000.0),
            mean_ms: Some(100.0),
        }
    }

    #[test]
    fn the_rule_gives_one_and_a_half_p99_plus_a_second() {
        let cases: [(f64, u8); 8] = [
            (1000.0, 3),
            (0.0, 1),
            (1.0, 2),
            (5.0, 2),
            (666.0, 2),
            (667.0, 3),
            (20_000.0, 31),
            (39_400.0, 60),
        ];
        for (ms, seconds) in cases {
            assert_eq!(seconds_covering(ms), seconds, "{ms} ms");
        }
    }

    #[test]
    fn a_p99_above_sixty_seconds_is_capped_at_sixty() {
        let suggestion = suggest(&stats(500, Some(75_000.0))).unwrap();
        assert_eq!(suggestion.timeout, Timeout::Explicit(60));
        assert!(is_below_p99(
            Timeout::Explicit(60),
            &stats(500, Some(75_000.0))
        ));
        assert!(is_below_p99(Timeout::Default, &stats(500, Some(75_000.0))));
    }

    #[test]
    fn a_tiny_p99_still_suggests_at_least_one_second_above_zero() {
        assert_eq!(
            suggest(&stats(100, Some(3.0))).unwrap().timeout,
            Timeout::Explicit(2)
        );
        assert_eq!(
            suggest(&stats(100, Some(0.0))).unwrap().timeout,
            Timeout::Explicit(1)
        );
    }

    #[test]
    fn fewer_than_twenty_calls_give_no_suggestion() {
        assert_eq!(
            suggest(&stats(0, Some(1000.0))),
            Err(NoSuggestion::TooFewCalls { calls: 0 })
        );
        assert_eq!(
            suggest(&stats(19, Some(1000.0))),
            Err(NoSuggestion::TooFewCalls { calls: 19 })
        );
        assert_eq!(
            suggest(&stats(20, Some(1000.0))),
            Ok(Suggestion {
                timeout: Timeout::Explicit(3),
                basis: Basis::P99
            })
        );
    }

    #[test]
    fn without_a_p99_the_maximum_is_used_and_said() {
        let suggestion = suggest(&stats(50, None)).unwrap();
        assert_eq!(suggestion.basis, Basis::Max);
        assert_eq!(suggestion.timeout, Timeout::Explicit(60));
        let empty = LatencyStats {
            calls: 50,
            ..LatencyStats::default()
        };
        assert_eq!(suggest(&empty), Err(NoSuggestion::NoLatency));
    }

    #[test]
    fn flags_mark_timeouts_below_or_far_above_the_need() {
        let quick = stats(100, Some(1000.0));
        assert_eq!(
            flag(Timeout::Default, &quick),
            Some(LatencyFlag::FarAboveP99)
        );
        assert_eq!(flag(Timeout::Explicit(3), &quick), None);
        assert_eq!(flag(Timeout::Explicit(8), &quick), None);
        assert_eq!(
            flag(Timeout::Explicit(13), &quick),
            Some(LatencyFlag::FarAboveP99)
        );

        let slow = stats(100, Some(12_000.0));
        assert_eq!(
            flag(Timeout::Explicit(10), &slow),
            Some(LatencyFlag::BelowP99)
        );
        assert_eq!(flag(Timeout::Explicit(12), &slow), None);
        assert_eq!(flag(Timeout::Default, &stats(0, None)), None);
    }

    #[test]
    fn seconds_text_rounds_to_hundredths_and_drops_trailing_zeros() {
        let cases = [
            (450.0, "0.45 s"),
            (4_200.0, "4.2 s"),
            (70_000.0, "70 s"),
            (1_234.0, "1.23 s"),
            (1_235.6, "1.24 s"),
            (9_999.0, "10 s"),
            (5.0, "0.01 s"),
            (0.0, "0 s"),
            (-3.0, "0 s"),
        ];
        for (ms, text) in cases {
            assert_eq!(seconds_text(ms), text, "{ms} ms");
        }
    }

    #[test]
    fn grouped_puts_a_comma_between_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (210_000, "210,000"),
            (1_234_567, "1,234,567"),
        ];
        for (n, text) in cases {
            assert_eq!(grouped(n), text);
        }
    }
}
