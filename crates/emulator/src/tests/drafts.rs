//! The draft lifecycle: listing, create, read, PATCH with its own version, validation,
//! publish and delete.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::Harness;
use super::actions::demo_id;
use crate::seed::VIEWER_USER_ID;

fn draft_uri(n: u64) -> String {
    format!("/api/v2/integrations/actions/{}/draft", demo_id(n))
}

#[tokio::test]
async fn the_drafts_listing_shows_the_seeded_drafts_with_their_config() {
    let emulator = Harness::new();
    let body = emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/integrations/actions/drafts?includeConfig=true",
        )
        .await
        .json();
    assert_eq!(body["total"], 5);
    let open_orders = body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|draft| draft["name"] == "Get open orders")
        .unwrap();
    assert_eq!(open_orders["config"]["timeoutSeconds"], 25);
    assert_eq!(open_orders["version"], 1);
    assert_eq!(
        open_orders["selfUri"],
        format!("/api/v2/integrations/actions/{}/draft", demo_id(18))
    );
}

#[tokio::test]
async fn a_draft_is_read_by_action_id_and_a_missing_one_is_404() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let body = emulator
        .get(&token, &format!("{}?includeConfig=true", draft_uri(18)))
        .await
        .json();
    assert_eq!(body["config"]["timeoutSeconds"], 25);
    emulator
        .get(&token, &draft_uri(1))
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn creating_a_draft_copies_the_action_and_a_second_one_is_409() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let created = emulator
        .call(Method::POST, &token, &draft_uri(1), None)
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let body = created.json();
    assert_eq!(body["version"], 1);
    assert_eq!(body["config"]["timeoutSeconds"], 5);

    emulator
        .call(Method::POST, &token, &draft_uri(1), None)
        .await
        .assert_error(409, "general.conflict");
}

#[tokio::test]
async fn a_draft_patch_checks_and_bumps_the_drafts_own_version() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let stale = json!({"version": 3, "config": {"timeoutSeconds": 30}});
    emulator
        .call(Method::PATCH, &token, &draft_uri(18), Some(stale))
        .await
        .assert_error(409, "general.conflict");

    let current = json!({"version": 1, "config": {"timeoutSeconds": 30}});
    let reply = emulator
        .call(Method::PATCH, &token, &draft_uri(18), Some(current))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["version"], 2);

    let stored = emulator.control().stored_draft(&demo_id(18)).unwrap();
    // The draft's config was replaced whole by the partial one.
    assert_eq!(stored["config"], json!({"timeoutSeconds": 30}));
    assert_eq!(
        emulator.control().stored_action(&demo_id(18)).unwrap()["config"]["timeoutSeconds"],
        15
    );
}

#[tokio::test]
async fn a_draft_patch_without_version_is_400() {
    let emulator = Harness::new();
    emulator
        .call(
            Method::PATCH,
            &emulator.admin_token(),
            &draft_uri(18),
            Some(json!({"config": {}})),
        )
        .await
        .assert_error(400, "invalid.value");
}

#[tokio::test]
async fn publishing_copies_the_draft_timeout_over_the_action_and_removes_the_draft() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let before = emulator.control().stored_action(&demo_id(18)).unwrap()["version"]
        .as_u64()
        .unwrap();

    emulator
        .call(
            Method::POST,
            &token,
            &format!("{}/publish", draft_uri(18)),
            Some(json!({"version": 7})),
        )
        .await
        .assert_error(409, "general.conflict");

    let reply = emulator
        .call(
            Method::POST,
            &token,
            &format!("{}/publish", draft_uri(18)),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let published = reply.json();
    assert_eq!(published["config"]["timeoutSeconds"], 25);
    assert_eq!(published["version"], before + 1);
    assert_eq!(
        published["selfUri"],
        format!("/api/v2/integrations/actions/{}", demo_id(18))
    );
    emulator
        .get(&token, &draft_uri(18))
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn validation_reports_a_valid_draft_and_the_errors_of_a_broken_one() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let valid = emulator
        .get(&token, &format!("{}/validation", draft_uri(5)))
        .await
        .json();
    assert_eq!(valid, json!({"valid": true, "errors": []}));

    let broken = json!({"version": 1, "config": {"timeoutSeconds": 10}});
    assert_eq!(
        emulator
            .call(Method::PATCH, &token, &draft_uri(5), Some(broken))
            .await
            .status,
        StatusCode::OK
    );
    let invalid = emulator
        .get(&token, &format!("{}/validation", draft_uri(5)))
        .await
        .json();
    assert_eq!(invalid["valid"], false);
    assert_eq!(invalid["errors"][0]["code"], "invalid.value");

    emulator
        .call(
            Method::POST,
            &token,
            &format!("{}/publish", draft_uri(5)),
            Some(json!({"version": 2})),
        )
        .await
        .assert_error(400, "invalid.value");
}

#[tokio::test]
async fn validation_needs_the_edit_permission() {
    let emulator = Harness::new();
    let token = emulator.token_for(VIEWER_USER_ID);
    emulator
        .get(&token, &format!("{}/validation", draft_uri(5)))
        .await
        .assert_error(403, "missing.any.permissions");
}

#[tokio::test]
async fn deleting_a_draft_removes_it_and_a_second_delete_is_404() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    assert_eq!(
        emulator
            .call(Method::DELETE, &token, &draft_uri(5), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    emulator
        .call(Method::DELETE, &token, &draft_uri(5), None)
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn draft_templates_are_served_under_the_draft_path() {
    let emulator = Harness::new();
    let reply = emulator
        .get(
            &emulator.admin_token(),
            &format!("{}/templates/successtemplate.vm", draft_uri(18)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "{\"result\": ${result}}");
}
