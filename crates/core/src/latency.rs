//! Action latency from Genesys analytics: the batched aggregate queries and the reading of
//! their `tTotalExecution` statistics (milliseconds) into [`LatencyStats`] per action.
//!
//! Limits on how many actions one query may name are unconfirmed, so ids are sent in batches
//! of [`IDS_PER_QUERY`]; a large org still needs only a few requests.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::Api;
use crate::files::rfc3339;
use crate::load::LoadError;
use crate::retry::{CancelFlag, Pacer, RetryPolicy};
use crate::suggest::LatencyStats;
use crate::transport::Transport;

/// Action ids named in one analytics query.
pub const IDS_PER_QUERY: usize = 100;

/// The analytics metric of an action's whole execution time, in milliseconds.
pub const METRIC: &str = "tTotalExecution";

/// The period latency is measured over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LatencyWindow {
    Day,
    Week,
    Month,
}

impl LatencyWindow {
    pub fn duration(self) -> Duration {
        let days = match self {
            LatencyWindow::Day => 1,
            LatencyWindow::Week => 7,
            LatencyWindow::Month => 30,
        };
        Duration::from_secs(days * 86_400)
    }

    /// The ISO-8601 interval `start/end` ending at `now_unix` seconds.
    pub fn interval(self, now_unix: u64) -> String {
        let start = now_unix.saturating_sub(self.duration().as_secs());
        format!("{}/{}", rfc3339(start), rfc3339(now_unix))
    }

    /// The interval ending now.
    pub fn interval_to_now(self) -> String {
        let now = web_time::SystemTime::now()
            .duration_since(web_time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.interval(now)
    }
}

/// The body of `POST /api/v2/analytics/actions/aggregates/query` for up to
/// [`IDS_PER_QUERY`] actions, grouped by action id.
pub fn query_body(action_ids: &[String], interval: &str) -> Value {
    let predicates: Vec<Value> = action_ids
        .iter()
        .take(IDS_PER_QUERY)
        .map(|id| json!({"type": "dimension", "dimension": "actionId", "operator": "matches", "value": id}))
        .collect();
    json!({
        "interval": interval,
        "groupBy": ["actionId"],
        "metrics": [METRIC],
        "filter": {"type": "or", "predicates": predicates},
    })
}

/// Reads an aggregate query response into statistics per action id. Several data intervals
/// of one action are combined: counts and sums add up, the maximum and percentiles take the
/// largest (a percentile cannot be combined exactly; the largest errs on the safe side).
pub fn parse_response(body: &Value) -> HashMap<String, LatencyStats> {
    let mut stats: HashMap<String, LatencyStats> = HashMap::new();
    let mut sums: HashMap<String, f64> = HashMap::new();
    let results = body
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for result in results {
        let Some(id) = result.pointer("/group/actionId").and_then(Value::as_str) else {
            continue;
        };
        let metrics = result
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|data| {
                data.get("metrics")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .filter(|m| m.get("metric").and_then(Value::as_str) == Some(METRIC))
            .filter_map(|m| m.get("stats"));
        for figures in metrics {
            let entry = stats.entry(id.to_string()).or_default();
            let number = |name: &str| figures.get(name).and_then(Value::as_f64);
            entry.calls += number("count").unwrap_or(0.0).max(0.0) as u64;
            *sums.entry(id.to_string()).or_default() += number("sum").unwrap_or(0.0);
            entry.max_ms = larger(entry.max_ms, number("max"));
            entry.p95_ms = larger(entry.p95_ms, number("p95"));
            entry.p99_ms = larger(entry.p99_ms, number("p99"));
        }
    }
    for (id, entry) in &mut stats {
        let sum = sums.get(id).copied().unwrap_or(0.0);
        entry.mean_ms = (entry.calls > 0).then(|| sum / entry.calls as f64);
    }
    stats
}

fn larger(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Queries the latency of the given actions over the window, in batches, paced and retried
/// like every other read. Actions without calls are absent from the result.
pub async fn load_latency<T: Transport>(
    api: &Api<T>,
    action_ids: &[String],
    window: LatencyWindow,
    cancel: &CancelFlag,
) -> Result<HashMap<String, LatencyStats>, LoadError> {
    let pacer = Pacer::new(RetryPolicy::default(), api.rate_limit());
    let interval = window.interval_to_now();
    let stop = || cancel.is_cancelled();
    let mut all = HashMap::new();
    for batch in action_ids.chunks(IDS_PER_QUERY) {
        let body = query_body(batch, &interval);
        let response = pacer
            .call(api.transport(), &stop, &|_| {}, || {
                api.action_aggregates(&body)
            })
            .await?;
        all.extend(parse_response(&response));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_name_at_most_a_hundred_actions_each() {
        let ids: Vec<String> = (0..250).map(|i| format!("a{i}")).collect();
        let batches: Vec<Value> = ids
            .chunks(IDS_PER_QUERY)
            .map(|b| query_body(b, "x/y"))
            .collect();
        assert_eq!(batches.len(), 3);
        assert_eq!(
            batches[0]["filter"]["predicates"].as_array().unwrap().len(),
            100
        );
        assert_eq!(
            batches[2]["filter"]["predicates"].as_array().unwrap().len(),
            50
        );
        assert_eq!(
            batches[0]["filter"]["predicates"][0],
            json!({"type": "dimension", "dimension": "actionId", "operator": "matches", "value": "a0"})
        );
        assert_eq!(batches[0]["groupBy"], json!(["actionId"]));
        assert_eq!(batches[0]["metrics"], json!(["tTotalExecution"]));
        assert_eq!(batches[0]["interval"], json!("x/y"));
    }

    #[test]
    fn windows_end_now_and_reach_back_their_length() {
        assert_eq!(
            LatencyWindow::Week.interval(1_796_290_867),
            "2026-11-26T09:41:07Z/2026-12-03T09:41:07Z"
        );
        assert_eq!(
            LatencyWindow::Day.interval(86_400),
            "1970-01-01T00:00:00Z/1970-01-02T00:00:00Z"
        );
    }

    #[test]
    fn statistics_are_read_in_milliseconds_per_action() {
        let body = json!({"results": [
            {"group": {"actionId": "a"}, "data": [{"interval": "x", "metrics": [
                {"metric": "tTotalExecution", "stats": {"count": 120, "sum": 60000, "max": 2400, "p95": 900, "p99": 1800}}
            ]}]},
            {"group": {"actionId": "b"}, "data": [
                {"interval": "1", "metrics": [{"metric": "tTotalExecution", "stats": {"count": 10, "sum": 1000, "max": 300}}]},
                {"interval": "2", "metrics": [{"metric": "tTotalExecution", "stats": {"count": 15, "sum": 4000, "max": 700}}]}
            ]},
            {"group": {"actionId": "c"}, "data": [{"metrics": [{"metric": "somethingElse", "stats": {"count": 5}}]}]}
        ]});
        let stats = parse_response(&body);
        let a = &stats["a"];
        assert_eq!(a.calls, 120);
        assert_eq!(a.p99_ms, Some(1800.0));
        assert_eq!(a.p95_ms, Some(900.0));
        assert_eq!(a.mean_ms, Some(500.0));
        assert_eq!(
            crate::suggest::suggest(a).unwrap().timeout,
            crate::timeout::Timeout::Explicit(4)
        );

        let b = &stats["b"];
        assert_eq!(b.calls, 25);
        assert_eq!(b.p99_ms, None);
        assert_eq!(b.max_ms, Some(700.0));
        assert_eq!(b.mean_ms, Some(200.0));
        assert!(!stats.contains_key("c"));
    }

    #[test]
    fn an_empty_or_odd_response_gives_no_statistics() {
        assert!(parse_response(&json!({})).is_empty());
        assert!(parse_response(&json!({"results": [{"data": []}]})).is_empty());
        assert!(parse_response(&json!("nonsense")).is_empty());
    }
}
