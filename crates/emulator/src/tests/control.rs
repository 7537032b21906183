//! The control API over HTTP: tokens, edits by another admin, stored state, quirks,
//! faults, reset, the app config, and the loopback-only rule.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use serde_json::json;

use super::actions::demo_id;
use super::{Harness, request};
use crate::quirks::Quirk;
use crate::seed::{DEMO_CREDENTIALS_CLIENT_ID, VIEWER_USER_ID};

async fn control(
    emulator: &Harness,
    method: Method,
    uri: &str,
    body: Option<serde_json::Value>,
) -> super::Reply {
    emulator.send(request(method, uri, None, body)).await
}

#[tokio::test]
async fn tokens_are_issued_for_users_and_clients_without_a_browser() {
    let emulator = Harness::new();
    let user = control(
        &emulator,
        Method::POST,
        "/emulator/tokens",
        Some(json!({"userId": VIEWER_USER_ID})),
    )
    .await
    .json();
    let me = emulator
        .get(user["access_token"].as_str().unwrap(), "/api/v2/users/me")
        .await
        .json();
    assert_eq!(me["name"], "Victor Viewer");

    let client = control(
        &emulator,
        Method::POST,
        "/emulator/tokens",
        Some(json!({"clientId": DEMO_CREDENTIALS_CLIENT_ID})),
    )
    .await;
    assert_eq!(client.status, StatusCode::OK);
    let unknown = control(
        &emulator,
        Method::POST,
        "/emulator/tokens",
        Some(json!({"userId": "nobody"})),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tokens_can_be_expired_or_revoked_through_the_control_api() {
    let emulator = Harness::new();
    let (expired, revoked) = (emulator.admin_token(), emulator.admin_token());
    assert_eq!(
        control(
            &emulator,
            Method::POST,
            &format!("/emulator/tokens/{expired}/expire"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        control(
            &emulator,
            Method::POST,
            &format!("/emulator/tokens/{revoked}/revoke"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    emulator
        .get(&expired, "/api/v2/users/me")
        .await
        .assert_error(401, "credentials.expired");
    emulator
        .get(&revoked, "/api/v2/users/me")
        .await
        .assert_error(401, "bad.credentials");

    let other = emulator.admin_token();
    control(&emulator, Method::POST, "/emulator/tokens/expire-all", None).await;
    emulator
        .get(&other, "/api/v2/users/me")
        .await
        .assert_error(401, "credentials.expired");
}

#[tokio::test]
async fn an_edit_by_another_admin_bumps_the_version_so_a_stale_patch_conflicts() {
    let emulator = Harness::new();
    let id = demo_id(14);
    let edited = control(
        &emulator,
        Method::POST,
        &format!("/emulator/actions/{id}/edit"),
        Some(json!({"timeoutSeconds": 44})),
    )
    .await
    .json();
    assert_eq!(edited["version"], 4);

    let stale = json!({"version": 3, "config": {"timeoutSeconds": 8}});
    emulator
        .call(
            Method::PATCH,
            &emulator.admin_token(),
            &format!("/api/v2/integrations/actions/{id}"),
            Some(stale),
        )
        .await
        .assert_error(409, "general.conflict");

    let record = control(
        &emulator,
        Method::GET,
        &format!("/emulator/actions/{id}"),
        None,
    )
    .await
    .json();
    assert_eq!(record["action"]["config"]["timeoutSeconds"], 44);
    assert!(record["action"]["contract"].is_object());
    assert!(record["latencyProfile"]["p99Ms"].is_u64());
    assert_eq!(record["draft"], json!(null));
}

#[tokio::test]
async fn a_draft_edit_by_another_admin_bumps_the_draft_version() {
    let emulator = Harness::new();
    let id = demo_id(18);
    let edited = control(
        &emulator,
        Method::POST,
        &format!("/emulator/actions/{id}/draft/edit"),
        Some(json!({"timeoutSeconds": null})),
    )
    .await
    .json();
    assert_eq!(edited["version"], 2);
    let record = control(
        &emulator,
        Method::GET,
        &format!("/emulator/actions/{id}"),
        None,
    )
    .await
    .json();
    assert!(record["draft"]["config"].get("timeoutSeconds").is_none());

    let no_draft = control(
        &emulator,
        Method::POST,
        &format!("/emulator/actions/{}/draft/edit", demo_id(1)),
        None,
    )
    .await;
    assert_eq!(no_draft.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stored_configs_show_inline_templates_even_for_uri_actions() {
    let emulator = Harness::new();
    let stored = emulator.control().stored_action(&demo_id(43)).unwrap();
    assert_eq!(
        stored["config"]["request"]["requestTemplate"],
        "${input.rawRequest}"
    );
    assert!(
        stored["config"]["request"]
            .get("requestTemplateUri")
            .is_none()
    );
}

#[tokio::test]
async fn quirks_are_switched_by_name_and_unknown_names_refused() {
    let emulator = Harness::new();
    let set = control(
        &emulator,
        Method::PUT,
        "/emulator/quirks",
        Some(json!({"quirks": ["no-retry-after", "version-mismatch-400"]})),
    )
    .await
    .json();
    assert_eq!(
        set["quirks"],
        json!(["version-mismatch-400", "no-retry-after"])
    );
    control(
        &emulator,
        Method::DELETE,
        "/emulator/quirks/no-retry-after",
        None,
    )
    .await;
    control(
        &emulator,
        Method::PUT,
        "/emulator/quirks/templates-as-uris",
        None,
    )
    .await;
    assert_eq!(
        emulator.control().quirks(),
        vec![Quirk::VersionMismatch400, Quirk::TemplatesAsUris]
    );

    let unknown = control(&emulator, Method::PUT, "/emulator/quirks/bogus", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn faults_and_bursts_are_set_over_http() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let faults = control(
        &emulator,
        Method::PUT,
        "/emulator/faults",
        Some(json!({"failNext": 1, "failStatus": 502})),
    )
    .await
    .json();
    assert_eq!(faults["failNext"], 1);
    emulator
        .get(&token, "/api/v2/users/me")
        .await
        .assert_error(502, "bad.gateway");

    control(
        &emulator,
        Method::POST,
        "/emulator/rate-limit/burst",
        Some(json!({"count": 1, "retryAfter": 4})),
    )
    .await;
    let limited = emulator.get(&token, "/api/v2/users/me").await;
    assert_eq!(limited.header("retry-after"), Some("4"));

    let latency = control(
        &emulator,
        Method::PUT,
        "/emulator/faults",
        Some(json!({"latencyMs": 5})),
    )
    .await
    .json();
    assert_eq!(latency["latencyMs"], 5);
    let cleared = control(&emulator, Method::DELETE, "/emulator/faults", None)
        .await
        .json();
    assert_eq!(cleared["latencyMs"], 0);
}

#[tokio::test]
async fn reset_restores_the_seeded_org_but_keeps_tokens() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let id = demo_id(14);
    control(
        &emulator,
        Method::POST,
        &format!("/emulator/actions/{id}/edit"),
        Some(json!({"timeoutSeconds": 44})),
    )
    .await;
    emulator.control().enable_quirk(Quirk::NoRetryAfter);

    assert_eq!(
        control(&emulator, Method::POST, "/emulator/reset", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        emulator.control().stored_action(&id).unwrap()["config"]["timeoutSeconds"],
        20
    );
    assert!(emulator.control().quirks().is_empty());
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn request_counts_record_api_calls_by_route() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator
        .get(
            &token,
            &format!("/api/v2/integrations/actions/{}", demo_id(1)),
        )
        .await;
    emulator
        .get(
            &token,
            &format!("/api/v2/integrations/actions/{}", demo_id(2)),
        )
        .await;
    let counts = control(&emulator, Method::GET, "/emulator/requests", None)
        .await
        .json();
    assert_eq!(counts["apiRequests"], 2);
    assert_eq!(
        counts["byRoute"]["GET /api/v2/integrations/actions/{action_id}"],
        2
    );
}

#[tokio::test]
async fn the_app_config_takes_merged_overrides() {
    let emulator = Harness::new();
    let base = control(&emulator, Method::GET, "/emulator/app-config", None)
        .await
        .json();
    assert_eq!(base["grant"], "pkce");
    assert_eq!(base["clientId"], crate::seed::DEMO_BROWSER_CLIENT_ID);
    assert_eq!(base["region"], "emulator");
    assert_eq!(base["emulator"]["apiBase"], "http://127.0.0.1:9");

    let patched = control(
        &emulator,
        Method::PATCH,
        "/emulator/app-config",
        Some(json!({"grant": "implicit"})),
    )
    .await
    .json();
    assert_eq!(patched["grant"], "implicit");
    assert_eq!(patched["emulator"]["loginBase"], "http://127.0.0.1:9");
    let cleared = control(&emulator, Method::DELETE, "/emulator/app-config", None)
        .await
        .json();
    assert_eq!(cleared["grant"], "pkce");
}

#[tokio::test]
async fn control_requests_from_non_loopback_peers_are_refused() {
    let emulator = Harness::new();
    let mut remote = request(Method::POST, "/emulator/reset", None, None);
    remote
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 5], 40000))));
    assert_eq!(emulator.send(remote).await.status, StatusCode::FORBIDDEN);

    let mut local = request(Method::POST, "/emulator/reset", None, None);
    local
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    assert_eq!(emulator.send(local).await.status, StatusCode::NO_CONTENT);
}
