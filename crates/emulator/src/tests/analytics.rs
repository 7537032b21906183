//! Action analytics: statistics from the seeded profiles, the interval, filters, grouping,
//! the predicate cap, the `no-percentiles` quirk and permissions.

use axum::http::Method;
use serde_json::{Value, json};

use super::Harness;
use super::actions::demo_id;
use crate::quirks::Quirk;
use crate::seed::{NO_ACCESS_USER_ID, VIEWER_USER_ID, WILDCARD_USER_ID};

const QUERY: &str = "/api/v2/analytics/actions/aggregates/query";
const WEEK: &str = "2026-11-26T00:00:00Z/2026-12-03T00:00:00Z";

fn body(ids: &[String], interval: &str) -> Value {
    let predicates: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": "dimension", "dimension": "actionId", "operator": "matches", "value": id}))
        .collect();
    json!({
        "interval": interval,
        "groupBy": ["actionId"],
        "metrics": ["tTotalExecution"],
        "filter": {"type": "or", "predicates": predicates},
    })
}

async fn query(emulator: &Harness, token: &str, body: Value) -> super::Reply {
    emulator.call(Method::POST, token, QUERY, Some(body)).await
}

/// The stats of the one result for `id`, or `None` when the action has no group.
fn stats_of(response: &Value, id: &str) -> Option<Value> {
    response["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["group"]["actionId"] == id)
        .map(|result| {
            assert_eq!(result["data"][0]["metrics"][0]["metric"], "tTotalExecution");
            result["data"][0]["metrics"][0]["stats"].clone()
        })
}

#[tokio::test]
async fn a_week_of_get_queue_observations_has_its_seeded_percentiles_and_calls() {
    let emulator = Harness::new();
    let id = demo_id(7);
    let reply = query(
        &emulator,
        &emulator.admin_token(),
        body(std::slice::from_ref(&id), WEEK),
    )
    .await;
    let response = reply.json();
    assert_eq!(response["results"][0]["data"][0]["interval"], WEEK);
    let stats = stats_of(&response, &id).unwrap();
    assert_eq!(stats["count"], 30_000 * 7);
    assert_eq!(stats["p95"], 2_600);
    assert_eq!(stats["p99"], 4_200);
    let max = stats["max"].as_u64().unwrap();
    let min = stats["min"].as_u64().unwrap();
    assert!(max >= 4_200 && min <= 900, "{stats}");
    let mean = stats["sum"].as_f64().unwrap() / stats["count"].as_f64().unwrap();
    assert!(mean > 900.0 && mean < 2_600.0, "mean {mean}");
}

#[tokio::test]
async fn calls_follow_the_interval_and_the_few_call_actions_sit_on_the_edge() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let ids = [demo_id(6), demo_id(30), demo_id(1)];
    let week = query(&emulator, &token, body(&ids, WEEK)).await.json();
    assert_eq!(stats_of(&week, &ids[0]).unwrap()["count"], 19);
    assert_eq!(stats_of(&week, &ids[1]).unwrap()["count"], 20);

    let day = "2026-12-02T00:00:00Z/2026-12-03T00:00:00Z";
    let day = query(&emulator, &token, body(&ids, day)).await.json();
    assert_eq!(stats_of(&day, &ids[2]).unwrap()["count"], 5_000);
    assert_eq!(stats_of(&day, &ids[1]).unwrap()["count"], 3);
}

#[tokio::test]
async fn actions_without_calls_have_no_result() {
    let emulator = Harness::new();
    let suspend = demo_id(56);
    let response = query(
        &emulator,
        &emulator.admin_token(),
        body(&[suspend.clone(), demo_id(1)], WEEK),
    )
    .await
    .json();
    assert!(stats_of(&response, &suspend).is_none());
    assert_eq!(response["results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_no_percentiles_quirk_leaves_p95_and_p99_out() {
    let emulator = Harness::new();
    emulator.control().enable_quirk(Quirk::NoPercentiles);
    let id = demo_id(1);
    let response = query(
        &emulator,
        &emulator.admin_token(),
        body(std::slice::from_ref(&id), WEEK),
    )
    .await
    .json();
    let stats = stats_of(&response, &id).unwrap();
    assert!(stats.get("p95").is_none() && stats.get("p99").is_none());
    assert!(stats["max"].is_u64() && stats["sum"].is_u64() && stats["count"].is_u64());
}

#[tokio::test]
async fn nested_and_clauses_narrow_the_actions() {
    let emulator = Harness::new();
    let request = json!({
        "interval": WEEK,
        "groupBy": ["actionId"],
        "metrics": ["tTotalExecution"],
        "filter": {"type": "and", "clauses": [
            {"type": "or", "predicates": [
                {"type": "dimension", "dimension": "actionId", "operator": "matches", "value": demo_id(1)},
                {"type": "dimension", "dimension": "actionId", "operator": "matches", "value": demo_id(14)},
            ]},
            {"type": "or", "predicates": [
                {"dimension": "integrationId", "value": "17e60000-0000-4000-8000-000000000002"},
            ]},
        ]},
    });
    let response = query(&emulator, &emulator.admin_token(), request)
        .await
        .json();
    let groups: Vec<&Value> = response["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| &result["group"]["actionId"])
        .collect();
    assert_eq!(groups, vec![&json!(demo_id(14))]);
}

#[tokio::test]
async fn without_group_by_one_result_sums_every_matching_action() {
    let emulator = Harness::new();
    let mut request = body(&[demo_id(1), demo_id(2)], WEEK);
    request.as_object_mut().unwrap().remove("groupBy");
    let response = query(&emulator, &emulator.admin_token(), request)
        .await
        .json();
    let results = response["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["group"], json!({}));
    let stats = &results[0]["data"][0]["metrics"][0]["stats"];
    assert_eq!(stats["count"], (5_000 + 12_000) * 7);
    let p99 = stats["p99"].as_u64().unwrap();
    assert!((900..=1_200).contains(&p99), "{stats}");
}

#[tokio::test]
async fn a_missing_or_malformed_interval_is_400() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let mut missing = body(&[demo_id(1)], WEEK);
    missing.as_object_mut().unwrap().remove("interval");
    query(&emulator, &token, missing)
        .await
        .assert_error(400, "invalid.value");
    for interval in [
        "last week",
        "2026-11-26T00:00:00Z",
        "2026-12-03T00:00:00Z/2026-11-26T00:00:00Z",
    ] {
        query(&emulator, &token, body(&[demo_id(1)], interval))
            .await
            .assert_error(400, "invalid.value");
    }
}

#[tokio::test]
async fn metrics_are_required_and_only_t_total_execution_is_known() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    for metrics in [json!(null), json!([]), json!(["nError"])] {
        let mut request = body(&[demo_id(1)], WEEK);
        request["metrics"] = metrics;
        query(&emulator, &token, request)
            .await
            .assert_error(400, "invalid.value");
    }
}

#[tokio::test]
async fn bad_filters_and_groupings_are_400() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let mut bad_type = body(&[demo_id(1)], WEEK);
    bad_type["filter"]["type"] = json!("xor");
    let mut bad_dimension = body(&[demo_id(1)], WEEK);
    bad_dimension["filter"]["predicates"][0]["dimension"] = json!("colour");
    let mut bad_group = body(&[demo_id(1)], WEEK);
    bad_group["groupBy"] = json!(["integrationName"]);
    for request in [bad_type, bad_dimension, bad_group] {
        query(&emulator, &token, request)
            .await
            .assert_error(400, "invalid.value");
    }
    let reply = emulator
        .send(super::request(Method::POST, QUERY, Some(&token), None))
        .await;
    reply.assert_error(400, "bad.request");
}

#[tokio::test]
async fn a_hundred_action_predicates_pass_and_a_hundred_and_one_are_400() {
    let emulator = Harness::large(150);
    let token = emulator.admin_token();
    let ids: Vec<String> = (1..=101)
        .map(|n| crate::seed::uuid_like(0xac71_1000, n))
        .collect();
    let hundred = query(&emulator, &token, body(&ids[..100], WEEK)).await;
    assert_eq!(hundred.status, 200, "{}", hundred.text);
    let results = hundred.json()["results"].as_array().unwrap().len();
    assert!(results > 90 && results <= 100, "{results}");
    let error = query(&emulator, &token, body(&ids, WEEK))
        .await
        .assert_error(400, "invalid.value");
    assert!(error["message"].as_str().unwrap().contains("100"));
}

#[tokio::test]
async fn viewers_and_wildcard_admins_may_query_but_agents_may_not() {
    let emulator = Harness::new();
    for user in [VIEWER_USER_ID, WILDCARD_USER_ID] {
        let reply = query(
            &emulator,
            &emulator.token_for(user),
            body(&[demo_id(1)], WEEK),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let error = query(
        &emulator,
        &emulator.token_for(NO_ACCESS_USER_ID),
        body(&[demo_id(1)], WEEK),
    )
    .await
    .assert_error(403, "missing.any.permissions");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("bridge:actions:view")
    );
}
