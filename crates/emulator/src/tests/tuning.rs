//! Test runs of actions, dependency tracking and the organisation's limits.
//!
//! Tests of test runs start with tokio's clock paused, so the simulated waits (up to 3 s)
//! pass at once.

use axum::http::Method;
use serde_json::{Value, json};

use super::Harness;
use super::actions::demo_id;
use crate::seed::{NO_ACCESS_USER_ID, VIEWER_USER_ID, WILDCARD_USER_ID};

fn test_uri(id: &str) -> String {
    format!("/api/v2/integrations/actions/{id}/test")
}

async fn test_run(emulator: &Harness, token: &str, id: &str, input: Value) -> Value {
    let reply = emulator
        .call(Method::POST, token, &test_uri(id), Some(input))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

/// The admin's test run of demo action `n` when the call is forced to take `ms`.
async fn forced_test_run(emulator: &Harness, n: u64, ms: u64) -> Value {
    let id = demo_id(n);
    emulator.control().force_next_test_ms(&id, ms).unwrap();
    test_run(
        emulator,
        &emulator.admin_token(),
        &id,
        json!({"query": "q1"}),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn a_test_within_the_timeout_succeeds_with_its_operations() {
    let emulator = Harness::new();
    let result = forced_test_run(&emulator, 7, 2_900).await;
    assert_eq!(result["success"], true);
    assert!(result["finalResult"].is_object());
    assert!(result.get("error").is_none());
    let operations = result["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 3);
    assert!(operations.iter().all(|op| op["success"] == true));
    assert_eq!(operations[0]["step"], 1);
    assert_eq!(operations[0]["result"]["requestType"], "GET");
}

#[tokio::test(start_paused = true)]
async fn a_test_longer_than_the_timeout_fails_with_a_timeout_error_and_http_200() {
    let emulator = Harness::new();
    let result = forced_test_run(&emulator, 7, 3_001).await;
    assert_eq!(result["success"], false);
    assert_eq!(result["error"]["status"], 504);
    assert_eq!(result["error"]["code"], "request.timeout");
    assert!(
        result["error"]["message"]
            .as_str()
            .unwrap()
            .contains("3 seconds")
    );
    assert!(result.get("finalResult").is_none());
    let operations = result["operations"].as_array().unwrap();
    assert_eq!(operations.last().unwrap()["success"], false);
}

#[tokio::test(start_paused = true)]
async fn an_action_without_a_timeout_gets_the_sixty_second_default() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let id = demo_id(2);
    emulator.control().force_next_test_ms(&id, 59_000).unwrap();
    assert_eq!(
        test_run(&emulator, &token, &id, json!({"query": "x"})).await["success"],
        true
    );
    emulator.control().force_next_test_ms(&id, 60_001).unwrap();
    assert_eq!(
        test_run(&emulator, &token, &id, json!({"query": "x"})).await["success"],
        false
    );
}

#[tokio::test(start_paused = true)]
async fn the_forced_duration_applies_once_then_the_profile_draws_again() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    // Lookup warranty: 45 s timeout, p99 0.3 s, so only the forced run can time out.
    let id = demo_id(40);
    emulator.control().force_next_test_ms(&id, 50_000).unwrap();
    assert_eq!(
        test_run(&emulator, &token, &id, json!({"query": "x"})).await["success"],
        false
    );
    assert_eq!(
        test_run(&emulator, &token, &id, json!({"query": "x"})).await["success"],
        true
    );
    let record = emulator.control().stored_record(&id).unwrap();
    assert_eq!(record["testRuns"], 2);
}

#[tokio::test(start_paused = true)]
async fn drawn_durations_repeat_in_a_fresh_emulator() {
    let outcomes = |emulator: Harness| async move {
        let token = emulator.admin_token();
        let mut seen = Vec::new();
        // Escalate VIP ticket: 2 s timeout, p95 2.2 s, so some runs time out.
        for _ in 0..40 {
            let result = test_run(&emulator, &token, &demo_id(28), json!({"query": "x"})).await;
            seen.push(result["success"].as_bool().unwrap());
        }
        seen
    };
    let first = outcomes(Harness::new()).await;
    let second = outcomes(Harness::new()).await;
    assert_eq!(first, second);
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
}

#[tokio::test(start_paused = true)]
async fn missing_required_inputs_fail_the_first_step() {
    let emulator = Harness::new();
    let result = test_run(&emulator, &emulator.admin_token(), &demo_id(1), json!({})).await;
    assert_eq!(result["success"], false);
    assert_eq!(result["error"]["status"], 400);
    assert!(
        result["error"]["message"]
            .as_str()
            .unwrap()
            .contains("query")
    );
    assert_eq!(result["operations"][0]["success"], false);
}

#[tokio::test(start_paused = true)]
async fn static_and_custom_auth_actions_can_be_tested() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let custom_auth = "customAuth_-_17e60000-0000-4000-8000-000000000002";
    emulator
        .control()
        .force_next_test_ms(custom_auth, 45_000)
        .unwrap();
    let result = test_run(&emulator, &token, custom_auth, json!({"query": "x"})).await;
    assert_eq!(result["success"], true, "{result}");
    let static_id = "static_-_ac710000-0000-4000-8000-00000000000c";
    let result = test_run(&emulator, &token, static_id, json!({"query": "x"})).await;
    assert!(result["success"].is_boolean());
}

#[tokio::test(start_paused = true)]
async fn testing_needs_the_execute_permission_and_an_existing_action() {
    let emulator = Harness::new();
    let error = emulator
        .call(
            Method::POST,
            &emulator.token_for(VIEWER_USER_ID),
            &test_uri(&demo_id(1)),
            Some(json!({"query": "x"})),
        )
        .await
        .assert_error(403, "missing.any.permissions");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("integrations:action:execute")
            && message.contains("bridge:actions:execute")
    );

    let wildcard = emulator.token_for(WILDCARD_USER_ID);
    emulator
        .control()
        .force_next_test_ms(&demo_id(1), 10)
        .unwrap();
    assert_eq!(
        test_run(&emulator, &wildcard, &demo_id(1), json!({"query": "x"})).await["success"],
        true
    );
    emulator
        .call(
            Method::POST,
            &wildcard,
            &test_uri("ac710000-0000-4000-8000-0000000000ff"),
            Some(json!({})),
        )
        .await
        .assert_error(404, "not.found");
    emulator
        .send(super::request(
            Method::POST,
            &test_uri(&demo_id(1)),
            Some(&wildcard),
            Some(json!([1, 2])),
        ))
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test(start_paused = true)]
async fn the_next_test_duration_is_set_over_http_and_unknown_actions_refused() {
    let emulator = Harness::new();
    let id = demo_id(40);
    let set = emulator
        .send(super::request(
            Method::POST,
            &format!("/emulator/actions/{id}/next-test-ms"),
            None,
            Some(json!({"ms": 46_000})),
        ))
        .await;
    assert_eq!(set.status, 204, "{}", set.text);
    let result = test_run(
        &emulator,
        &emulator.admin_token(),
        &id,
        json!({"query": "x"}),
    )
    .await;
    assert_eq!(result["success"], false);

    let unknown = emulator
        .send(super::request(
            Method::POST,
            "/emulator/actions/nope/next-test-ms",
            None,
            Some(json!({"ms": 1})),
        ))
        .await;
    assert_eq!(unknown.status, 404);
    let bad = emulator
        .send(super::request(
            Method::POST,
            &format!("/emulator/actions/{id}/next-test-ms"),
            None,
            Some(json!({"ms": "soon"})),
        ))
        .await;
    assert_eq!(bad.status, 400);
}

const CONSUMERS: &str = "/api/v2/architect/dependencytracking/consumingresources";

fn names(listing: &Value) -> Vec<&str> {
    listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entity| entity["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_flows_using_an_action_are_listed_with_the_dependency_shape() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let uri = format!("{CONSUMERS}?id={}&objectType=DATAACTION", demo_id(18));
    let listing = emulator.get(&token, &uri).await.json();
    assert_eq!(
        names(&listing),
        vec!["Customer care bot", "Order status bot"]
    );
    assert_eq!(listing["total"], 2);
    assert_eq!(listing["pageNumber"], 1);
    assert!(listing["selfUri"].as_str().unwrap().starts_with(CONSUMERS));
    let flow = &listing["entities"][0];
    assert_eq!(flow["type"], "BOTFLOW");
    assert_eq!(flow["version"], "3.0");
    assert_eq!(flow["deleted"], false);
    assert_eq!(flow["updated"], false);
    assert_eq!(flow["stateUnknown"], false);
    assert_eq!(
        flow["selfUri"],
        format!("/api/v2/flows/{}", flow["id"].as_str().unwrap())
    );

    let published = emulator
        .get(&token, &format!("{uri}&flowFilter=published"))
        .await
        .json();
    assert_eq!(names(&published), vec!["Customer care bot"]);
}

#[tokio::test]
async fn paging_and_resource_types_narrow_the_flows() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let uri = format!("{CONSUMERS}?id={}&objectType=DATAACTION", demo_id(7));
    let page = emulator
        .get(&token, &format!("{uri}&pageSize=1&pageNumber=2"))
        .await
        .json();
    assert_eq!(names(&page), vec!["Queue hold experience"]);
    assert_eq!(page["pageCount"], 2);
    let inqueue = emulator
        .get(&token, &format!("{uri}&resourceType=INQUEUECALLFLOW"))
        .await
        .json();
    assert_eq!(names(&inqueue), vec!["Queue hold experience"]);
}

#[tokio::test]
async fn an_unused_action_has_an_empty_listing() {
    let emulator = Harness::new();
    let uri = format!("{CONSUMERS}?id={}&objectType=DATAACTION", demo_id(40));
    let listing = emulator.get(&emulator.admin_token(), &uri).await.json();
    assert_eq!(listing["total"], 0);
    assert_eq!(listing["entities"], json!([]));
}

#[tokio::test]
async fn secure_actions_are_also_tracked_as_secure_actions() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let pin = format!("{CONSUMERS}?id={}&objectType=SECUREACTION", demo_id(23));
    assert_eq!(emulator.get(&token, &pin).await.json()["total"], 2);
    let not_secure = format!("{CONSUMERS}?id={}&objectType=SECUREACTION", demo_id(1));
    assert_eq!(emulator.get(&token, &not_secure).await.json()["total"], 0);
}

#[tokio::test]
async fn a_bad_object_type_or_missing_id_is_400() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    for query in [
        format!("id={}&objectType=QUEUE", demo_id(1)),
        format!("id={}", demo_id(1)),
        "objectType=DATAACTION".to_owned(),
        format!("id={}&objectType=DATAACTION&flowFilter=drafts", demo_id(1)),
    ] {
        emulator
            .get(&token, &format!("{CONSUMERS}?{query}"))
            .await
            .assert_error(400, "invalid.value");
    }
}

#[tokio::test]
async fn dependency_tracking_needs_its_permission() {
    let emulator = Harness::new();
    let uri = format!("{CONSUMERS}?id={}&objectType=DATAACTION", demo_id(1));
    let error = emulator
        .get(&emulator.token_for(VIEWER_USER_ID), &uri)
        .await
        .assert_error(403, "missing.any.permissions");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("architect:dependencyTracking:view")
    );
    let wildcard = emulator
        .get(&emulator.token_for(WILDCARD_USER_ID), &uri)
        .await;
    assert_eq!(wildcard.status, 200);
}

#[tokio::test]
async fn the_integrations_limits_are_readable_with_any_token() {
    let emulator = Harness::new();
    let token = emulator.token_for(NO_ACCESS_USER_ID);
    let listing = emulator
        .get(
            &token,
            "/api/v2/organizations/limits/namespaces/integrations",
        )
        .await
        .json();
    let limits = listing["entities"].as_array().unwrap();
    let value_of = |key: &str| {
        limits
            .iter()
            .find(|limit| limit["key"] == key)
            .map(|limit| limit["value"].clone())
    };
    assert_eq!(
        value_of("actions.concurrent.executions.max"),
        Some(json!(50))
    );
    assert_eq!(value_of("requests.volume.max"), Some(json!(2_500)));
    assert!(
        limits
            .iter()
            .all(|limit| limit["namespace"] == "integrations")
    );
    assert_eq!(listing["total"], limits.len());
}

#[tokio::test]
async fn namespaces_are_listed_and_an_unknown_one_is_404() {
    let emulator = Harness::new();
    let token = emulator.token_for(NO_ACCESS_USER_ID);
    let listing = emulator
        .get(&token, "/api/v2/organizations/limits/namespaces")
        .await
        .json();
    assert!(
        listing["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|namespace| namespace["name"] == "integrations")
    );
    emulator
        .get(&token, "/api/v2/organizations/limits/namespaces/nonsense")
        .await
        .assert_error(404, "not.found");
    emulator
        .send(super::request(
            Method::GET,
            "/api/v2/organizations/limits/namespaces/integrations",
            None,
            None,
        ))
        .await
        .assert_error(401, "authentication.required");
}
