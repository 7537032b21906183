//! The actions listing, one action, its templates, and PATCH semantics, with the quirks
//! that change them.

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::Harness;
use crate::quirks::Quirk;

/// The id of the n-th demo action (1-based).
pub fn demo_id(n: u64) -> String {
    crate::seed::uuid_like(0xac71_0000, n)
}

const CUSTOM_AUTH_ID: &str = "customAuth_-_17e60000-0000-4000-8000-000000000002";
const STATIC_ID: &str = "static_-_ac710000-0000-4000-8000-00000000000b";

fn names(listing: &Value) -> Vec<String> {
    listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_listing_has_the_full_shape_and_hides_config_by_default() {
    let emulator = Harness::new();
    let body = emulator
        .get(&emulator.admin_token(), "/api/v2/integrations/actions")
        .await
        .json();
    assert_eq!(body["pageSize"], 25);
    assert_eq!(body["pageNumber"], 1);
    assert_eq!(body["total"], 59);
    assert_eq!(body["pageCount"], 3);
    assert_eq!(
        body["firstUri"],
        "/api/v2/integrations/actions?pageSize=25&pageNumber=1"
    );
    assert_eq!(
        body["nextUri"],
        "/api/v2/integrations/actions?pageSize=25&pageNumber=2"
    );
    assert_eq!(
        body["lastUri"],
        "/api/v2/integrations/actions?pageSize=25&pageNumber=3"
    );
    assert!(body.get("previousUri").is_none());
    let first = &body["entities"][0];
    for field in [
        "id",
        "name",
        "integrationId",
        "category",
        "version",
        "secure",
        "selfUri",
    ] {
        assert!(first.get(field).is_some(), "missing {field}");
    }
    assert!(first.get("config").is_none());
    assert!(first.get("contract").is_none());
}

#[tokio::test]
async fn include_config_returns_each_config_with_its_timeout() {
    let emulator = Harness::new();
    let body = emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/integrations/actions?includeConfig=true&pageSize=5",
        )
        .await
        .json();
    let first = &body["entities"][0];
    assert_eq!(first["name"], "Get user presence");
    assert_eq!(first["config"]["timeoutSeconds"], 5);
    assert!(first["config"]["request"]["requestTemplate"].is_string());
    assert_eq!(
        body["selfUri"],
        "/api/v2/integrations/actions?pageSize=5&pageNumber=1&includeConfig=true"
    );
}

#[tokio::test]
async fn the_list_ignores_include_config_quirk_never_returns_config() {
    let emulator = Harness::new();
    emulator
        .control()
        .enable_quirk(Quirk::ListIgnoresIncludeConfig);
    let body = emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/integrations/actions?includeConfig=true",
        )
        .await
        .json();
    assert!(
        body["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.get("config").is_none())
    );

    let single = emulator
        .get(
            &emulator.admin_token(),
            &format!(
                "/api/v2/integrations/actions/{}?includeConfig=true",
                demo_id(1)
            ),
        )
        .await
        .json();
    assert!(single.get("config").is_some());
}

#[tokio::test]
async fn custom_auth_actions_appear_only_with_include_auth_actions() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let ids = |body: Value| -> Vec<String> {
        body["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let hidden = ids(emulator
        .get(&token, "/api/v2/integrations/actions?pageSize=100")
        .await
        .json());
    assert!(!hidden.contains(&CUSTOM_AUTH_ID.to_owned()));
    let shown = ids(emulator
        .get(
            &token,
            "/api/v2/integrations/actions?pageSize=100&includeAuthActions=true",
        )
        .await
        .json());
    assert!(shown.contains(&CUSTOM_AUTH_ID.to_owned()));
    assert_eq!(shown.len(), 60);
}

#[tokio::test]
async fn name_filters_match_part_of_the_name_in_any_case() {
    let emulator = Harness::new();
    let body = emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/integrations/actions?name=LOOKUP%20account",
        )
        .await
        .json();
    assert_eq!(
        names(&body),
        vec!["Lookup account by phone", "Lookup account by email"]
    );

    let accented = emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/integrations/actions?name=r%C3%A9cup%C3%A9rer",
        )
        .await
        .json();
    assert_eq!(accented["total"], 1);
}

#[tokio::test]
async fn category_and_secure_filters_narrow_the_listing() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let body = emulator
        .get(
            &token,
            "/api/v2/integrations/actions?category=order%20lambda",
        )
        .await
        .json();
    assert_eq!(body["total"], 7);

    let secure = emulator
        .get(
            &token,
            "/api/v2/integrations/actions?secure=true&pageSize=100",
        )
        .await
        .json();
    assert!(
        secure["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["secure"] == true)
    );
    assert_eq!(secure["total"], 5);
    let not_secure = emulator
        .get(&token, "/api/v2/integrations/actions?secure=false")
        .await
        .json();
    assert_eq!(not_secure["total"], 54);

    emulator
        .get(&token, "/api/v2/integrations/actions?secure=maybe")
        .await
        .assert_error(400, "invalid.value");
}

#[tokio::test]
async fn ids_select_up_to_fifty_actions_and_more_is_400() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let two = format!("{},{}", demo_id(2), demo_id(3));
    let body = emulator
        .get(&token, &format!("/api/v2/integrations/actions?ids={two}"))
        .await
        .json();
    assert_eq!(body["total"], 2);

    let fifty: Vec<String> = (1..=50).map(demo_id).collect();
    let reply = emulator
        .get(
            &token,
            &format!("/api/v2/integrations/actions?ids={}", fifty.join(",")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    let fifty_one: Vec<String> = (1..=51).map(demo_id).collect();
    emulator
        .get(
            &token,
            &format!("/api/v2/integrations/actions?ids={}", fifty_one.join(",")),
        )
        .await
        .assert_error(400, "invalid.value");
}

#[tokio::test]
async fn sorting_by_name_goes_either_way_and_the_order_is_case_insensitive() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let ascending = names(
        &emulator
            .get(
                &token,
                "/api/v2/integrations/actions?sortBy=name&sortOrder=ASC&pageSize=100",
            )
            .await
            .json(),
    );
    let mut expected = ascending.clone();
    expected.sort_by_key(|name| name.to_lowercase());
    assert_eq!(ascending, expected);

    let descending = names(
        &emulator
            .get(
                &token,
                "/api/v2/integrations/actions?sortBy=name&sortOrder=desc&pageSize=100",
            )
            .await
            .json(),
    );
    let mut reversed = ascending.clone();
    reversed.reverse();
    assert_eq!(descending, reversed);

    emulator
        .get(&token, "/api/v2/integrations/actions?sortBy=version")
        .await
        .assert_error(400, "invalid.value");
    emulator
        .get(&token, "/api/v2/integrations/actions?sortOrder=up")
        .await
        .assert_error(400, "invalid.value");
}

#[tokio::test]
async fn page_sizes_above_one_hundred_are_refused_with_400() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator
        .get(&token, "/api/v2/integrations/actions?pageSize=101")
        .await
        .assert_error(400, "invalid.value");
    emulator
        .get(&token, "/api/v2/integrations/actions?pageNumber=0")
        .await
        .assert_error(400, "invalid.value");
    let last = emulator
        .get(&token, "/api/v2/integrations/actions?pageSize=100")
        .await
        .json();
    assert_eq!(last["pageCount"], 1);
}

#[tokio::test]
async fn paging_through_large_2500_returns_every_action_exactly_once() {
    let emulator = Harness::large(2500);
    let token = emulator.admin_token();
    let mut seen = HashSet::new();
    let mut next = Some("/api/v2/integrations/actions?pageSize=100&includeConfig=true".to_owned());
    let mut pages = 0;
    while let Some(uri) = next {
        let body = emulator.get(&token, &uri).await.json();
        for action in body["entities"].as_array().unwrap() {
            assert!(
                seen.insert(action["id"].as_str().unwrap().to_owned()),
                "duplicate {}",
                action["id"]
            );
            assert!(action.get("config").is_some());
        }
        assert_eq!(body["total"], 2500);
        next = body
            .get("nextUri")
            .and_then(Value::as_str)
            .map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, 25);
    assert_eq!(seen.len(), 2500);
}

#[tokio::test]
async fn one_action_comes_with_config_and_contract_on_request() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let uri = format!("/api/v2/integrations/actions/{}", demo_id(14));
    let bare = emulator.get(&token, &uri).await.json();
    assert_eq!(bare["name"], "Lookup account by phone");
    assert!(bare.get("config").is_none() && bare.get("contract").is_none());

    let full = emulator
        .get(&token, &format!("{uri}?includeConfig=true&expand=contract"))
        .await
        .json();
    assert_eq!(full["config"]["timeoutSeconds"], 20);
    assert!(full["contract"]["input"]["inputSchema"].is_object());
}

#[tokio::test]
async fn an_unknown_action_is_404() {
    let emulator = Harness::new();
    emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/integrations/actions/no-such-action",
        )
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn actions_stored_by_uri_return_template_uris_served_as_text() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let id = demo_id(43);
    let body = emulator
        .get(
            &token,
            &format!("/api/v2/integrations/actions/{id}?includeConfig=true"),
        )
        .await
        .json();
    let uri = body["config"]["request"]["requestTemplateUri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        uri,
        format!("/api/v2/integrations/actions/{id}/templates/requesttemplate.vm")
    );
    assert!(body["config"]["request"].get("requestTemplate").is_none());
    assert!(body["config"]["response"]["successTemplateUri"].is_string());

    let template = emulator.get(&token, &uri).await;
    assert_eq!(template.status, StatusCode::OK);
    assert_eq!(template.text, "${input.rawRequest}");
    assert!(
        template
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );

    emulator
        .get(
            &token,
            &format!("/api/v2/integrations/actions/{id}/templates/other.vm"),
        )
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn the_templates_as_uris_quirk_turns_every_template_into_a_uri() {
    let emulator = Harness::new();
    emulator.control().enable_quirk(Quirk::TemplatesAsUris);
    let body = emulator
        .get(
            &emulator.admin_token(),
            "/api/v2/integrations/actions?includeConfig=true&pageSize=100",
        )
        .await
        .json();
    for action in body["entities"].as_array().unwrap() {
        assert!(
            action["config"]["request"].get("requestTemplate").is_none(),
            "{}",
            action["name"]
        );
        assert!(action["config"]["request"]["requestTemplateUri"].is_string());
    }
}

fn patch_body(version: u64, timeout: Value) -> Value {
    json!({
        "version": version,
        "name": "Lookup account by phone",
        "category": "Acme CRM (web services)",
        "config": {
            "timeoutSeconds": timeout,
            "request": { "requestType": "GET", "requestUrlTemplate": "https://crm.example.com/x", "requestTemplate": "${input.rawRequest}", "headers": {} },
            "response": { "translationMap": {}, "translationMapDefaults": {}, "successTemplate": "${rawResult}" }
        }
    })
}

#[tokio::test]
async fn a_patch_with_the_current_version_sets_the_timeout_and_bumps_the_version() {
    let emulator = Harness::new();
    let id = demo_id(14);
    let reply = emulator
        .call(
            Method::PATCH,
            &emulator.admin_token(),
            &format!("/api/v2/integrations/actions/{id}"),
            Some(patch_body(3, json!(8))),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["version"], 4);
    assert_eq!(body["config"]["timeoutSeconds"], 8);

    let stored = emulator.control().stored_action(&id).unwrap();
    assert_eq!(stored["config"]["timeoutSeconds"], 8);
    assert_eq!(stored["version"], 4);
}

#[tokio::test]
async fn a_patch_without_version_is_400_and_with_a_stale_one_409() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let uri = format!("/api/v2/integrations/actions/{}", demo_id(14));
    let mut missing = patch_body(3, json!(8));
    missing.as_object_mut().unwrap().remove("version");
    emulator
        .call(Method::PATCH, &token, &uri, Some(missing))
        .await
        .assert_error(400, "invalid.value");

    let stale = emulator
        .call(Method::PATCH, &token, &uri, Some(patch_body(2, json!(8))))
        .await;
    let body = stale.assert_error(409, "general.conflict");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("does not match the current version")
    );
    assert_eq!(
        emulator.control().stored_action(&demo_id(14)).unwrap()["version"],
        3
    );
}

#[tokio::test]
async fn the_version_mismatch_400_quirk_answers_400_with_the_telltale_message() {
    let emulator = Harness::new();
    emulator.control().enable_quirk(Quirk::VersionMismatch400);
    let uri = format!("/api/v2/integrations/actions/{}", demo_id(14));
    let body = emulator
        .call(
            Method::PATCH,
            &emulator.admin_token(),
            &uri,
            Some(patch_body(1, json!(8))),
        )
        .await
        .assert_error(400, "bad.request");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("does not match the current version")
    );
}

#[tokio::test]
async fn timeouts_outside_one_to_sixty_or_fractional_are_400() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let uri = format!("/api/v2/integrations/actions/{}", demo_id(14));
    for bad in [json!(0), json!(61)] {
        let body = emulator
            .call(Method::PATCH, &token, &uri, Some(patch_body(3, bad)))
            .await
            .assert_error(400, "invalid.value");
        assert_eq!(body["details"][0]["fieldName"], "config.timeoutSeconds");
    }
    emulator
        .call(Method::PATCH, &token, &uri, Some(patch_body(3, json!(1.5))))
        .await
        .assert_error(400, "bad.request");
    emulator
        .call(
            Method::PATCH,
            &token,
            &uri,
            Some(patch_body(3, json!("ten"))),
        )
        .await
        .assert_error(400, "bad.request");
    assert_eq!(
        emulator.control().stored_action(&demo_id(14)).unwrap()["version"],
        3
    );
}

#[tokio::test]
async fn a_malformed_body_is_400_bad_request() {
    let emulator = Harness::new();
    let request = axum::http::Request::builder()
        .method(Method::PATCH)
        .uri(format!("/api/v2/integrations/actions/{}", demo_id(14)))
        .header(
            "authorization",
            format!("Bearer {}", emulator.admin_token()),
        )
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    emulator
        .send(request)
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test]
async fn custom_auth_actions_refuse_a_timeout_but_accept_other_config_edits() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let uri = format!("/api/v2/integrations/actions/{CUSTOM_AUTH_ID}");
    let version = emulator.control().stored_action(CUSTOM_AUTH_ID).unwrap()["version"]
        .as_u64()
        .unwrap();
    emulator
        .call(
            Method::PATCH,
            &token,
            &uri,
            Some(patch_body(version, json!(10))),
        )
        .await
        .assert_error(400, "bad.request");

    let edit = json!({ "version": version, "config": { "request": { "requestType": "POST", "requestUrlTemplate": "https://auth.example.com/token" } } });
    let reply = emulator.call(Method::PATCH, &token, &uri, Some(edit)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json()["config"]["request"]["requestUrlTemplate"],
        "https://auth.example.com/token"
    );
}

#[tokio::test]
async fn static_actions_cannot_be_changed() {
    let emulator = Harness::new();
    let uri = format!("/api/v2/integrations/actions/{STATIC_ID}");
    let version = emulator.control().stored_action(STATIC_ID).unwrap()["version"]
        .as_u64()
        .unwrap();
    emulator
        .call(
            Method::PATCH,
            &emulator.admin_token(),
            &uri,
            Some(json!({"version": version, "config": {"timeoutSeconds": 5}})),
        )
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test]
async fn a_partial_config_replaces_the_stored_one_and_loses_the_rest() {
    let emulator = Harness::new();
    let id = demo_id(14);
    let reply = emulator
        .call(
            Method::PATCH,
            &emulator.admin_token(),
            &format!("/api/v2/integrations/actions/{id}"),
            Some(json!({"version": 3, "config": {"timeoutSeconds": 9}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let stored = emulator.control().stored_action(&id).unwrap();
    assert_eq!(stored["config"], json!({"timeoutSeconds": 9}));
    assert_eq!(stored["name"], "Lookup account by phone");
}

#[tokio::test]
async fn a_patch_omitting_the_timeout_clears_it_unless_the_quirk_keeps_it() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let id = demo_id(14);
    let uri = format!("/api/v2/integrations/actions/{id}");
    let mut body = patch_body(3, json!(null));
    body["config"]
        .as_object_mut()
        .unwrap()
        .remove("timeoutSeconds");
    assert_eq!(
        emulator
            .call(Method::PATCH, &token, &uri, Some(body.clone()))
            .await
            .status,
        StatusCode::OK
    );
    assert!(
        emulator.control().stored_action(&id).unwrap()["config"]
            .get("timeoutSeconds")
            .is_none()
    );

    let kept = Harness::new();
    kept.control().enable_quirk(Quirk::PatchKeepsOmittedTimeout);
    assert_eq!(
        kept.call(Method::PATCH, &kept.admin_token(), &uri, Some(body))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        kept.control().stored_action(&id).unwrap()["config"]["timeoutSeconds"],
        20
    );
}

#[tokio::test]
async fn a_patch_sending_back_its_own_template_uris_keeps_the_templates() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let id = demo_id(43);
    let uri = format!("/api/v2/integrations/actions/{id}");
    let read = emulator
        .get(&token, &format!("{uri}?includeConfig=true"))
        .await
        .json();
    let mut config = read["config"].clone();
    config["timeoutSeconds"] = json!(12);
    let reply = emulator
        .call(
            Method::PATCH,
            &token,
            &uri,
            Some(json!({"version": read["version"], "config": config})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    let stored = emulator.control().stored_action(&id).unwrap();
    assert_eq!(stored["config"]["timeoutSeconds"], 12);
    assert_eq!(
        stored["config"]["request"]["requestTemplate"],
        "${input.rawRequest}"
    );
    assert_eq!(
        stored["config"]["response"]["successTemplate"],
        "{\"result\": ${result}}"
    );
}
