//! `POST /api/v2/analytics/actions/aggregates/query`: the `tTotalExecution` statistics of
//! actions over an interval, computed from their seeded latency profiles (`latency.rs`).
//!
//! Supported: `interval` (required), `groupBy` (`actionId` or nothing), `filter` with
//! `and`/`or`, nested `clauses` and `dimension` predicates on `actionId`, `actionName`,
//! `actionCategory` or `integrationId`, and `metrics` (required; only `tTotalExecution`).
//! `granularity`, `timeZone`, `views` and the other fields are accepted and ignored: each
//! group has one `data` entry covering the whole interval.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::api::interval::Interval;
use crate::api::{Caller, VIEW_ACTIONS, json_object};
use crate::error::ApiError;
use crate::latency::{self, Stats};
use crate::model::{LatencyProfile, StoredAction};
use crate::quirks::Quirk;
use crate::state::AppState;

/// The only metric the emulator computes.
pub const METRIC: &str = "tTotalExecution";
/// The most `actionId` predicates one query may hold, clauses included. The real limit is
/// unconfirmed; this one keeps clients batching.
pub const MAX_ACTION_PREDICATES: usize = 100;

/// A dimension a predicate may test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dimension {
    ActionId,
    ActionName,
    ActionCategory,
    IntegrationId,
}

impl Dimension {
    fn parse(name: &str) -> Result<Self, ApiError> {
        match name {
            "actionId" => Ok(Dimension::ActionId),
            "actionName" => Ok(Dimension::ActionName),
            "actionCategory" => Ok(Dimension::ActionCategory),
            "integrationId" => Ok(Dimension::IntegrationId),
            other => Err(ApiError::invalid_value(
                "filter.predicates.dimension",
                format!("The dimension '{other}' is not supported."),
            )),
        }
    }

    fn value_of(self, action: &StoredAction) -> &str {
        match self {
            Dimension::ActionId => &action.id,
            Dimension::ActionName => &action.published.name,
            Dimension::ActionCategory => &action.published.category,
            Dimension::IntegrationId => &action.integration_id,
        }
    }
}

/// One predicate: `matches` a value, `exists` (always true here) or `notExists`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Predicate {
    Matches(Dimension, String),
    Exists(bool),
}

/// A filter: its predicates and clauses joined with `and` (all) or `or` (any).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Filter {
    any: bool,
    predicates: Vec<Predicate>,
    clauses: Vec<Filter>,
}

impl Filter {
    fn parse(value: &Value) -> Result<Self, ApiError> {
        let object = value
            .as_object()
            .ok_or_else(|| ApiError::invalid_value("filter", "The filter must be an object."))?;
        let any = match object.get("type").and_then(Value::as_str) {
            Some("and") => false,
            Some("or") => true,
            _ => {
                return Err(ApiError::invalid_value(
                    "filter.type",
                    "The filter type must be and or or.",
                ));
            }
        };
        let predicates = list(object, "predicates")?
            .iter()
            .map(parse_predicate)
            .collect::<Result<_, _>>()?;
        let clauses = list(object, "clauses")?
            .iter()
            .map(Filter::parse)
            .collect::<Result<_, _>>()?;
        Ok(Filter {
            any,
            predicates,
            clauses,
        })
    }

    /// An empty filter matches everything.
    fn matches(&self, action: &StoredAction) -> bool {
        let predicates = self.predicates.iter().map(|predicate| match predicate {
            Predicate::Matches(dimension, value) => dimension.value_of(action) == value,
            Predicate::Exists(exists) => *exists,
        });
        let clauses = self.clauses.iter().map(|clause| clause.matches(action));
        let mut results = predicates.chain(clauses).peekable();
        if results.peek().is_none() {
            return true;
        }
        if self.any {
            results.any(|matched| matched)
        } else {
            results.all(|matched| matched)
        }
    }

    fn action_predicates(&self) -> usize {
        let own = self
            .predicates
            .iter()
            .filter(|p| matches!(p, Predicate::Matches(Dimension::ActionId, _)))
            .count();
        own + self
            .clauses
            .iter()
            .map(Filter::action_predicates)
            .sum::<usize>()
    }
}

fn list<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a [Value], ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ApiError::invalid_value(
            &format!("filter.{field}"),
            format!("filter.{field} must be a list."),
        )),
    }
}

fn parse_predicate(value: &Value) -> Result<Predicate, ApiError> {
    let field = |name: &str| value.get(name).and_then(Value::as_str);
    if field("type").is_some_and(|kind| kind != "dimension") {
        return Err(ApiError::invalid_value(
            "filter.predicates.type",
            "Only dimension predicates are supported.",
        ));
    }
    let dimension = Dimension::parse(field("dimension").unwrap_or_default())?;
    match field("operator").unwrap_or("matches") {
        "matches" => {
            let value = field("value").ok_or_else(|| {
                ApiError::invalid_value(
                    "filter.predicates.value",
                    "A matches predicate needs a value.",
                )
            })?;
            Ok(Predicate::Matches(dimension, value.to_owned()))
        }
        "exists" => Ok(Predicate::Exists(true)),
        "notExists" => Ok(Predicate::Exists(false)),
        other => Err(ApiError::invalid_value(
            "filter.predicates.operator",
            format!("The operator '{other}' is not valid."),
        )),
    }
}

/// A validated `ActionAggregationQuery`.
struct Query {
    interval: Interval,
    interval_text: String,
    by_action: bool,
    filter: Option<Filter>,
}

impl Query {
    fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let interval = Interval::required(body)?;
        let interval_text = body
            .get("interval")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        check_metrics(body.get("metrics"))?;
        let by_action = group_by_action(body.get("groupBy"))?;

        let filter = match body.get("filter") {
            None | Some(Value::Null) => None,
            Some(value) => Some(Filter::parse(value)?),
        };
        let predicates = filter.as_ref().map_or(0, Filter::action_predicates);
        if predicates > MAX_ACTION_PREDICATES {
            return Err(ApiError::invalid_value(
                "filter",
                format!(
                    "A query may name at most {MAX_ACTION_PREDICATES} actionId predicates, not {predicates}."
                ),
            ));
        }
        Ok(Query {
            interval,
            interval_text,
            by_action,
            filter,
        })
    }
}

fn check_metrics(metrics: Option<&Value>) -> Result<(), ApiError> {
    let names: Vec<&str> = match metrics {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if names.is_empty() {
        return Err(ApiError::invalid_value(
            "metrics",
            "At least one metric is required.",
        ));
    }
    match names.iter().find(|name| **name != METRIC) {
        Some(unknown) => Err(ApiError::invalid_value(
            "metrics",
            format!("The metric '{unknown}' is not valid for action aggregates."),
        )),
        None => Ok(()),
    }
}

fn group_by_action(group_by: Option<&Value>) -> Result<bool, ApiError> {
    let dimensions: Vec<&str> = match group_by {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(_) => {
            return Err(ApiError::invalid_value(
                "groupBy",
                "groupBy must be a list.",
            ));
        }
    };
    match dimensions.as_slice() {
        [] => Ok(false),
        ["actionId"] => Ok(true),
        _ => Err(ApiError::invalid_value(
            "groupBy",
            "Only grouping by actionId is supported.",
        )),
    }
}

fn render_stats(stats: &Stats, percentiles: bool) -> Value {
    let mut object = json!({
        "max": stats.max,
        "min": stats.min,
        "count": stats.count,
        "sum": stats.sum,
    });
    if percentiles && let Value::Object(map) = &mut object {
        map.insert("p95".into(), json!(stats.p95));
        map.insert("p99".into(), json!(stats.p99));
    }
    object
}

fn result(group: Value, interval: &str, stats: &Stats, percentiles: bool) -> Value {
    json!({
        "group": group,
        "data": [{
            "interval": interval,
            "metrics": [{ "metric": METRIC, "stats": render_stats(stats, percentiles) }],
        }],
    })
}

/// `POST /api/v2/analytics/actions/aggregates/query`
pub async fn query(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_ACTIONS)?;
    let query = Query::parse(&json_object(&body)?)?;

    let org = state.org();
    let percentiles = !org.has_quirk(Quirk::NoPercentiles);
    let seconds = query.interval.seconds();
    let measured: Vec<(&StoredAction, LatencyProfile, Stats)> = org
        .actions
        .iter()
        .filter(|action| query.filter.as_ref().is_none_or(|f| f.matches(action)))
        .filter_map(|action| {
            let calls = latency::calls_in(&action.latency, seconds);
            // Like real analytics, actions without calls in the interval have no group.
            (calls > 0).then(|| {
                (
                    action,
                    action.latency,
                    latency::stats(&action.latency, calls),
                )
            })
        })
        .collect();

    let results: Vec<Value> = if query.by_action {
        measured
            .iter()
            .map(|(action, _, stats)| {
                result(
                    json!({ "actionId": action.id }),
                    &query.interval_text,
                    stats,
                    percentiles,
                )
            })
            .collect()
    } else {
        let parts: Vec<(LatencyProfile, Stats)> = measured
            .iter()
            .map(|(_, profile, stats)| (*profile, *stats))
            .collect();
        latency::combined(&parts)
            .map(|stats| result(json!({}), &query.interval_text, &stats, percentiles))
            .into_iter()
            .collect()
    };
    Ok(Json(json!({ "results": results })))
}
