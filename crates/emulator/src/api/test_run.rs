//! `POST /api/v2/integrations/actions/{actionId}/test`: a simulated execution of an action.
//!
//! The simulated duration of the k-th test of an action (counted since the start or the
//! last reset) is drawn from its latency profile (`latency::test_duration_ms`), unless the
//! control API forced the next one. A duration above the action's effective timeout (its
//! `timeoutSeconds`, or 60 s when unset) fails the test with a 504 `request.timeout` error in
//! the result; the HTTP status is 200 either way, as for any failed test. The emulator
//! really waits `min(duration, timeout) / 20`, so never more than 3 s.
//!
//! Every kind of action can be tested: static actions like the others, custom-auth actions
//! with the 60 s default (they take no timeout of their own).

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::api::actions::find;
use crate::api::{Caller, EXECUTE_ACTIONS, QueryParams, json_object};
use crate::error::ApiError;
use crate::latency;
use crate::model::StoredAction;
use crate::state::{AppState, Org};

/// How much faster than simulated time a test really runs.
pub const TEST_TIME_SCALE: u64 = 20;
/// The timeout of an action without `timeoutSeconds`.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 60;

/// What one test run will do, decided under the lock and played out after it.
#[derive(Clone, Debug)]
struct Plan {
    request_url: String,
    request_type: String,
    action_name: String,
    missing_inputs: Vec<String>,
    duration_ms: u64,
    timeout_ms: u64,
}

impl Plan {
    fn timed_out(&self) -> bool {
        self.duration_ms > self.timeout_ms
    }

    /// How long the emulator really waits.
    fn real_wait(&self) -> Duration {
        if !self.missing_inputs.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_millis(self.duration_ms.min(self.timeout_ms) / TEST_TIME_SCALE)
    }
}

/// The inputs the action's contract requires that the body lacks.
fn missing_inputs(action: &StoredAction, inputs: &Map<String, Value>) -> Vec<String> {
    action.published.contract["input"]["inputSchema"]["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|name| inputs.get(*name).is_none_or(Value::is_null))
        .map(str::to_owned)
        .collect()
}

/// Fills `${input.name}` placeholders of the URL template with the inputs.
fn resolve_url(template: &str, inputs: &Map<String, Value>) -> String {
    inputs
        .iter()
        .fold(template.to_owned(), |url, (name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            url.replace(&format!("${{input.{name}}}"), &text)
        })
}

fn plan(org: &mut Org, action_id: &str, inputs: &Map<String, Value>) -> Result<Plan, ApiError> {
    let action = find(org, action_id)?;
    let request = action.published.config.request.clone().unwrap_or_default();
    let timeout_seconds = action
        .published
        .config
        .timeout_seconds
        .map_or(DEFAULT_TIMEOUT_SECONDS, u64::from);
    let missing = missing_inputs(action, inputs);
    let profile = action.latency;
    let action_name = action.published.name.clone();

    let run = org.test_runs.entry(action_id.to_owned()).or_default();
    *run += 1;
    let run = *run;
    let duration_ms = org
        .forced_test_ms
        .remove(action_id)
        .unwrap_or_else(|| latency::test_duration_ms(&profile, action_id, run));

    Ok(Plan {
        request_url: resolve_url(
            request.request_url_template.as_deref().unwrap_or_default(),
            inputs,
        ),
        request_type: request.request_type.unwrap_or_else(|| "GET".into()),
        action_name,
        missing_inputs: missing,
        duration_ms,
        timeout_ms: timeout_seconds * 1000,
    })
}

fn error_body(status: StatusCode, code: &str, message: String) -> Value {
    ApiError::new(status, code, message).body(&crate::error::current_correlation_id())
}

/// The `TestExecutionResult` of a plan.
fn outcome(plan: &Plan) -> Value {
    let resolve = json!({
        "step": 1,
        "name": "Resolve request",
        "success": true,
        "result": { "requestUrl": plan.request_url, "requestType": plan.request_type },
    });

    if !plan.missing_inputs.is_empty() {
        let error = error_body(
            StatusCode::BAD_REQUEST,
            "invalid.value",
            format!(
                "Missing required inputs: {}.",
                plan.missing_inputs.join(", ")
            ),
        );
        let step =
            json!({ "step": 1, "name": "Resolve request", "success": false, "error": error });
        return json!({ "operations": [step], "error": error, "success": false });
    }

    if plan.timed_out() {
        let error = error_body(
            StatusCode::GATEWAY_TIMEOUT,
            "request.timeout",
            format!(
                "The request timed out after {} seconds.",
                plan.timeout_ms / 1000
            ),
        );
        let execute =
            json!({ "step": 2, "name": "Execute request", "success": false, "error": error });
        return json!({ "operations": [resolve, execute], "error": error, "success": false });
    }

    let final_result = json!({ "result": format!("Simulated response of {}", plan.action_name) });
    json!({
        "operations": [
            resolve,
            { "step": 2, "name": "Execute request", "success": true, "result": { "statusCode": 200 } },
            { "step": 3, "name": "Apply response translation", "success": true, "result": final_result },
        ],
        "finalResult": final_result,
        "success": true,
    })
}

/// `POST /api/v2/integrations/actions/{actionId}/test`
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(EXECUTE_ACTIONS)?;
    QueryParams::parse(raw.as_deref()).flag("flatten")?;
    let inputs = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        json_object(&body)?
    };

    let plan = plan(&mut state.org(), &action_id, &inputs)?;
    tokio::time::sleep(plan.real_wait()).await;
    tracing::debug!(action = %action_id, ms = plan.duration_ms, timed_out = plan.timed_out(), "test run");
    Ok(Json(outcome(&plan)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(duration_ms: u64, timeout_ms: u64) -> Plan {
        Plan {
            request_url: "https://x.example/1".into(),
            request_type: "GET".into(),
            action_name: "Lookup".into(),
            missing_inputs: Vec::new(),
            duration_ms,
            timeout_ms,
        }
    }

    #[test]
    fn the_real_wait_is_a_twentieth_of_the_duration_and_stops_at_the_timeout() {
        assert_eq!(plan(2_000, 10_000).real_wait(), Duration::from_millis(100));
        assert_eq!(plan(90_000, 60_000).real_wait(), Duration::from_secs(3));
        assert_eq!(plan(10_001, 10_000).real_wait(), Duration::from_millis(500));
    }

    #[test]
    fn a_duration_above_the_timeout_fails_with_a_504_error() {
        let result = outcome(&plan(10_001, 10_000));
        assert_eq!(result["success"], false);
        assert_eq!(result["error"]["status"], 504);
        assert_eq!(result["operations"][1]["success"], false);
        let exact = outcome(&plan(10_000, 10_000));
        assert_eq!(exact["success"], true);
        assert!(exact["finalResult"].is_object());
    }

    #[test]
    fn placeholders_take_the_input_values() {
        let inputs = json!({"query": "555 1234", "n": 3});
        let url = resolve_url(
            "https://x.example/?q=${input.query}&n=${input.n}",
            inputs.as_object().unwrap(),
        );
        assert_eq!(url, "https://x.example/?q=555 1234&n=3");
    }
}
