//! Authentication, users, tokens, integrations, the rate limit, CORS and injected faults.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use super::{Harness, request};
use crate::api::DropConnection;
use crate::config::EmulatorConfig;
use crate::faults::{FailureMode, Faults};
use crate::quirks::Quirk;
use crate::seed::{NO_ACCESS_USER_ID, VIEWER_USER_ID, WILDCARD_USER_ID};

#[tokio::test]
async fn a_call_without_a_bearer_token_is_401_authentication_required() {
    let emulator = Harness::new();
    let reply = emulator
        .send(request(Method::GET, "/api/v2/users/me", None, None))
        .await;
    reply.assert_error(401, "authentication.required");
}

#[tokio::test]
async fn an_unknown_token_is_401_bad_credentials() {
    let emulator = Harness::new();
    emulator
        .get("not-a-token", "/api/v2/users/me")
        .await
        .assert_error(401, "bad.credentials");
}

#[tokio::test]
async fn an_expired_token_is_401_credentials_expired() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator.control().expire_token(&token).unwrap();
    emulator
        .get(&token, "/api/v2/users/me")
        .await
        .assert_error(401, "credentials.expired");
}

#[tokio::test]
async fn a_token_deleted_through_tokens_me_no_longer_works() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    assert_eq!(
        emulator.get(&token, "/api/v2/tokens/me").await.status,
        StatusCode::OK
    );

    let deleted = emulator
        .call(Method::DELETE, &token, "/api/v2/tokens/me", None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    emulator
        .get(&token, "/api/v2/tokens/me")
        .await
        .assert_error(401, "bad.credentials");
}

#[tokio::test]
async fn tokens_me_names_the_organisation_and_client() {
    let emulator = Harness::new();
    let body = emulator
        .get(&emulator.client_token(), "/api/v2/tokens/me")
        .await
        .json();
    assert_eq!(body["organization"]["name"], crate::seed::ORG_NAME);
    assert_eq!(
        body["OAuthClient"]["id"],
        crate::seed::DEMO_CREDENTIALS_CLIENT_ID
    );
}

#[tokio::test]
async fn users_me_expands_authorization_and_organization() {
    let emulator = Harness::new();
    let reply = emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/users/me?expand=authorization,organization",
        )
        .await;
    let body = reply.json();
    assert_eq!(body["name"], "Dana Admin");
    assert_eq!(body["organization"]["id"], crate::seed::ORG_ID);
    let permissions = body["authorization"]["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("integrations:action:edit")));

    let plain = emulator
        .get(&emulator.admin_token(), "/api/v2/users/me")
        .await
        .json();
    assert!(plain.get("authorization").is_none());
    assert!(plain.get("organization").is_none());
}

#[tokio::test]
async fn the_wildcard_admin_has_rights_only_as_star_policies() {
    let emulator = Harness::new();
    let token = emulator.token_for(WILDCARD_USER_ID);
    let body = emulator
        .get(&token, "/api/v2/users/me?expand=authorization")
        .await
        .json();
    assert_eq!(body["authorization"]["permissions"], json!([]));
    let policy = &body["authorization"]["permissionPolicies"][0];
    assert_eq!(policy["domain"], "integrations");
    assert_eq!(policy["entityName"], "*");
    assert_eq!(policy["actionSet"], json!(["*"]));

    let listing = emulator.get(&token, "/api/v2/integrations/actions").await;
    assert_eq!(listing.status, StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_tokens_have_no_user_for_users_me() {
    let emulator = Harness::new();
    emulator
        .get(&emulator.client_token(), "/api/v2/users/me")
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test]
async fn a_user_without_integrations_permissions_gets_403_naming_them() {
    let emulator = Harness::new();
    let token = emulator.token_for(NO_ACCESS_USER_ID);
    let body = emulator
        .get(&token, "/api/v2/integrations/actions")
        .await
        .assert_error(403, "missing.any.permissions");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("integrations:action:view"), "{message}");
    assert!(message.contains("bridge:actions:view"), "{message}");

    emulator
        .get(&token, "/api/v2/integrations")
        .await
        .assert_error(403, "missing.any.permissions");
}

#[tokio::test]
async fn the_viewer_may_read_but_not_edit() {
    let emulator = Harness::new();
    let token = emulator.token_for(VIEWER_USER_ID);
    let id = "ac710000-0000-4000-8000-000000000001";
    assert_eq!(
        emulator
            .get(&token, &format!("/api/v2/integrations/actions/{id}"))
            .await
            .status,
        StatusCode::OK
    );

    let body = emulator
        .call(
            Method::PATCH,
            &token,
            &format!("/api/v2/integrations/actions/{id}"),
            Some(json!({"version": 2})),
        )
        .await
        .assert_error(403, "missing.any.permissions");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("[integrations:action:edit]")
    );
}

#[tokio::test]
async fn integrations_are_paged_and_filtered_by_type() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let all = emulator
        .get(&token, "/api/v2/integrations?pageSize=4")
        .await
        .json();
    assert_eq!(all["total"], 6);
    assert_eq!(all["pageCount"], 2);
    assert_eq!(all["entities"].as_array().unwrap().len(), 4);
    assert_eq!(
        all["nextUri"],
        "/api/v2/integrations?pageSize=4&pageNumber=2"
    );

    let rest = emulator
        .get(
            &token,
            "/api/v2/integrations?integrationType=custom-rest-actions",
        )
        .await
        .json();
    assert_eq!(rest["total"], 2);
    for integration in rest["entities"].as_array().unwrap() {
        assert_eq!(integration["integrationType"]["id"], "custom-rest-actions");
    }
}

#[tokio::test]
async fn one_integration_is_found_by_id_and_an_unknown_one_is_404() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let id = "17e60000-0000-4000-8000-000000000002";
    let body = emulator
        .get(&token, &format!("/api/v2/integrations/{id}"))
        .await
        .json();
    assert_eq!(body["name"], "Acme CRM (web services)");
    emulator
        .get(&token, "/api/v2/integrations/nope")
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn unknown_api_paths_are_404_and_wrong_methods_405_with_error_bodies() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator
        .get(&token, "/api/v2/nothing/here")
        .await
        .assert_error(404, "not.found");
    emulator
        .call(Method::PUT, &token, "/api/v2/integrations/actions", None)
        .await
        .assert_error(405, "method.not.allowed");
}

#[tokio::test]
async fn every_response_carries_a_fresh_correlation_id() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let first = emulator.get(&token, "/api/v2/users/me").await;
    let second = emulator.get(&token, "/api/v2/users/me").await;
    let (a, b) = (
        first.header("inin-correlation-id").unwrap(),
        second.header("inin-correlation-id").unwrap(),
    );
    assert_eq!(a.len(), 36);
    assert_ne!(a, b);
}

fn limited(per_minute: u32) -> Harness {
    Harness::with(EmulatorConfig {
        rate_limit_per_minute: per_minute,
        ..EmulatorConfig::default()
    })
}

#[tokio::test]
async fn beyond_the_bucket_a_token_gets_429_with_retry_after() {
    let emulator = limited(2);
    let token = emulator.admin_token();
    let first = emulator.get(&token, "/api/v2/users/me").await;
    assert_eq!(first.header("inin-ratelimit-allowed"), Some("2"));
    assert_eq!(first.header("inin-ratelimit-count"), Some("1"));
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );

    let refused = emulator.get(&token, "/api/v2/users/me").await;
    let body = refused.assert_error(429, "too.many.requests.retry.after");
    // Two per minute refill one request every 30 seconds, so the wait is at most 30 seconds
    // (less only if the machine paused between the calls).
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((25..=30).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        body["message"],
        format!("Rate limit exceeded the maximum. Retry the request in [{wait}] seconds")
    );

    let other = emulator.admin_token();
    assert_eq!(
        emulator.get(&other, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
    assert_eq!(emulator.control().request_counts().rate_limited, 1);
}

#[tokio::test]
async fn oauth_and_control_calls_do_not_use_the_bucket() {
    let emulator = limited(1);
    let token = emulator.admin_token();
    for _ in 0..3 {
        let reply = emulator
            .send(request(Method::GET, "/emulator/state", None, None))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_forced_burst_answers_429_for_exactly_that_many_calls() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator.control().force_rate_limit_burst(2, 7);
    for _ in 0..2 {
        let reply = emulator.get(&token, "/api/v2/users/me").await;
        reply.assert_error(429, "too.many.requests.retry.after");
        assert_eq!(reply.header("retry-after"), Some("7"));
    }
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_no_retry_after_quirk_leaves_the_header_out() {
    let emulator = Harness::new();
    emulator.control().enable_quirk(Quirk::NoRetryAfter);
    emulator.control().force_rate_limit_burst(1, 5);
    let reply = emulator
        .get(&emulator.admin_token(), "/api/v2/users/me")
        .await;
    reply.assert_error(429, "too.many.requests.retry.after");
    assert!(reply.header("retry-after").is_none());
}

#[tokio::test]
async fn a_cors_preflight_from_a_loopback_origin_is_allowed() {
    let emulator = Harness::new();
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/v2/integrations/actions/abc")
        .header("origin", "http://127.0.0.1:5173")
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .body(Body::empty())
        .unwrap();
    let reply = emulator.send(preflight).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://127.0.0.1:5173")
    );
    let headers = reply
        .header("access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(
        reply
            .header("access-control-allow-methods")
            .unwrap()
            .contains("PATCH")
    );
    assert!(reply.header("inin-correlation-id").is_some());
}

#[tokio::test]
async fn cors_exposes_retry_after_and_the_correlation_id() {
    let emulator = Harness::new();
    let mut call = request(
        Method::GET,
        "/api/v2/users/me",
        Some(&emulator.admin_token()),
        None,
    );
    call.headers_mut()
        .insert("origin", "http://localhost:8080".parse().unwrap());
    let reply = emulator.send(call).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:8080")
    );
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("retry-after") && exposed.contains("inin-correlation-id"),
        "{exposed}"
    );
    assert!(exposed.contains("inin-ratelimit-count"), "{exposed}");
}

#[tokio::test]
async fn cors_refuses_origins_that_are_not_allowed() {
    let emulator = Harness::new();
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/oauth/token")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    assert!(
        emulator
            .send(preflight)
            .await
            .header("access-control-allow-origin")
            .is_none()
    );

    let listed = Harness::with(EmulatorConfig {
        allowed_origins: vec!["http://127.0.0.1:7000".into()],
        ..EmulatorConfig::default()
    });
    let mut call = request(Method::GET, "/api/v2/users/me", None, None);
    call.headers_mut()
        .insert("origin", "http://127.0.0.1:7001".parse().unwrap());
    assert!(
        listed
            .send(call)
            .await
            .header("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn fail_next_answers_the_chosen_5xx_then_recovers() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator.control().set_faults(Faults {
        fail_next: 2,
        fail_status: 503,
        ..Faults::default()
    });
    for _ in 0..2 {
        emulator
            .get(&token, "/api/v2/users/me")
            .await
            .assert_error(503, "service.unavailable");
    }
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
    assert_eq!(emulator.control().request_counts().faulted, 2);
}

#[tokio::test]
async fn drop_mode_marks_the_response_for_the_connection_to_be_closed() {
    let emulator = Harness::new();
    emulator.control().set_faults(Faults {
        fail_next: 1,
        fail_mode: FailureMode::Drop,
        ..Faults::default()
    });
    let reply = emulator
        .get(&emulator.admin_token(), "/api/v2/users/me")
        .await;
    assert!(reply.extensions.get::<DropConnection>().is_some());
}

#[tokio::test]
async fn a_fail_share_of_one_fails_every_call_and_zero_none() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator.control().set_faults(Faults {
        fail_share: 1.0,
        fail_status: 500,
        ..Faults::default()
    });
    emulator
        .get(&token, "/api/v2/users/me")
        .await
        .assert_error(500, "internal.server.error");
    emulator.control().set_faults(Faults::default());
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn faults_do_not_touch_oauth_or_control_calls() {
    let emulator = Harness::new();
    emulator.control().set_faults(Faults {
        fail_share: 1.0,
        ..Faults::default()
    });
    let reply = emulator
        .send(request(Method::GET, "/emulator/state", None, None))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let logout = emulator
        .send(request(Method::GET, "/logout", None, None))
        .await;
    assert_eq!(logout.status, StatusCode::OK);
}

#[tokio::test]
async fn tokens_outlive_nothing_when_the_token_ttl_is_zero() {
    let emulator = Harness::with(EmulatorConfig {
        token_ttl_seconds: 0,
        ..EmulatorConfig::default()
    });
    let issued = emulator
        .control()
        .issue_user_token(crate::seed::ADMIN_USER_ID)
        .unwrap();
    assert_eq!(issued.expires_in, 0);
    emulator
        .get(&issued.access_token, "/api/v2/users/me")
        .await
        .assert_error(401, "credentials.expired");
}

#[tokio::test]
async fn the_configured_latency_is_the_starting_fault_setting() {
    let emulator = Harness::with(EmulatorConfig {
        latency_ms: 7,
        ..EmulatorConfig::default()
    });
    assert_eq!(emulator.control().faults().latency_ms, 7);
    let token = emulator.admin_token();
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
}
