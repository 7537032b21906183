//! The realtime audit query: records of PATCHes, draft changes, publishing and admin edits,
//! with old and new values, filters, sorting, paging and permissions.

use axum::http::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::Harness;
use super::actions::demo_id;
use crate::audit::{OTHER_ADMIN_ID, OTHER_ADMIN_NAME};
use crate::seed::{ADMIN_USER_ID, VIEWER_USER_ID, WILDCARD_USER_ID};

const QUERY: &str = "/api/v2/audits/query/realtime";

/// An interval around now.
fn around_now() -> String {
    let now = OffsetDateTime::now_utc();
    let format = |instant: OffsetDateTime| instant.format(&Rfc3339).unwrap();
    format!(
        "{}/{}",
        format(now - Duration::hours(1)),
        format(now + Duration::hours(1))
    )
}

fn history_of(action_id: &str) -> Value {
    json!({
        "interval": around_now(),
        "serviceName": "Integrations",
        "filters": [{"property": "EntityId", "value": action_id}],
        "sort": [{"name": "Timestamp", "sortOrder": "descending"}],
        "pageNumber": 1,
        "pageSize": 25,
    })
}

async fn audits(emulator: &Harness, token: &str, uri: &str, body: Value) -> Value {
    let reply = emulator.call(Method::POST, token, uri, Some(body)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

fn change<'a>(entry: &'a Value, property: &str) -> Option<&'a Value> {
    entry["propertyChanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["property"] == property)
}

async fn patch_timeout(emulator: &Harness, token: &str, n: u64, version: u64, timeout: Value) {
    let reply = emulator
        .call(
            Method::PATCH,
            token,
            &format!("/api/v2/integrations/actions/{}", demo_id(n)),
            Some(json!({"version": version, "config": {"timeoutSeconds": timeout}})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_patch_is_audited_with_the_old_and_new_timeout_and_version() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    patch_timeout(&emulator, &token, 14, 3, json!(15)).await;

    let uri = format!("{QUERY}?expand=user");
    let listing = audits(&emulator, &token, &uri, history_of(&demo_id(14))).await;
    assert_eq!(listing["total"], 1);
    assert_eq!(listing["pageCount"], 1);
    assert_eq!(
        (listing["pageSize"].clone(), listing["pageNumber"].clone()),
        (json!(25), json!(1))
    );
    let entry = &listing["entities"][0];
    assert_eq!(entry["serviceName"], "Integrations");
    assert_eq!(entry["level"], "USER");
    assert_eq!(entry["status"], "SUCCESS");
    assert_eq!(entry["action"], "Update");
    assert_eq!(entry["entityType"], "Action");
    assert_eq!(entry["entity"]["id"], demo_id(14));
    assert_eq!(entry["entity"]["name"], "Lookup account by phone");
    assert_eq!(entry["user"]["id"], ADMIN_USER_ID);
    assert_eq!(entry["user"]["name"], "Dana Admin");
    assert_eq!(entry["client"]["id"], crate::seed::DEMO_BROWSER_CLIENT_ID);
    assert!(OffsetDateTime::parse(entry["eventDate"].as_str().unwrap(), &Rfc3339).is_ok());

    let timeout = change(entry, "config.timeoutSeconds").unwrap();
    assert_eq!(timeout["oldValues"], json!(["20"]));
    assert_eq!(timeout["newValues"], json!(["15"]));
    let version = change(entry, "version").unwrap();
    assert_eq!(version["oldValues"], json!(["3"]));
    assert_eq!(version["newValues"], json!(["4"]));
}

#[tokio::test]
async fn without_expand_the_user_has_only_an_id_and_unset_timeouts_are_empty_lists() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    patch_timeout(&emulator, &token, 14, 3, json!(null)).await;
    let listing = audits(&emulator, &token, QUERY, history_of(&demo_id(14))).await;
    let entry = &listing["entities"][0];
    assert_eq!(entry["user"]["id"], ADMIN_USER_ID);
    assert!(entry["user"].get("name").is_none());
    let timeout = change(entry, "config.timeoutSeconds").unwrap();
    assert_eq!(timeout["newValues"], json!([]));
}

#[tokio::test]
async fn the_draft_lifecycle_is_audited_newest_first() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let draft = format!("/api/v2/integrations/actions/{}/draft", demo_id(1));
    let calls = [
        (Method::POST, draft.clone(), None),
        (
            Method::PATCH,
            draft.clone(),
            Some(
                json!({"version": 1, "config": {"timeoutSeconds": 9, "request": {"requestUrlTemplate": "https://x.example/", "requestType": "GET"}}}),
            ),
        ),
        (
            Method::POST,
            format!("{draft}/publish"),
            Some(json!({"version": 2})),
        ),
        (Method::POST, draft.clone(), None),
        (Method::DELETE, draft.clone(), None),
    ];
    for (method, uri, body) in calls {
        let reply = emulator.call(method, &token, &uri, body).await;
        assert!(reply.status.is_success(), "{uri}: {}", reply.text);
    }

    let listing = audits(&emulator, &token, QUERY, history_of(&demo_id(1))).await;
    let seen: Vec<(String, String)> = listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap().to_owned(),
                entry["entityType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("Delete", "ActionDraft"),
        ("Create", "ActionDraft"),
        ("Publish", "Action"),
        ("Update", "ActionDraft"),
        ("Create", "ActionDraft"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, e)| (a.to_string(), e.to_string()))
        .collect();
    assert_eq!(seen, expected);

    let publish = &listing["entities"][2];
    let timeout = change(publish, "config.timeoutSeconds").unwrap();
    assert_eq!(timeout["oldValues"], json!(["5"]));
    assert_eq!(timeout["newValues"], json!(["9"]));

    let mut ascending = history_of(&demo_id(1));
    ascending["sort"][0]["sortOrder"] = json!("ascending");
    let oldest_first = audits(&emulator, &token, QUERY, ascending).await;
    assert_eq!(oldest_first["entities"][0]["action"], "Create");
}

#[tokio::test]
async fn admin_edits_are_audited_as_another_admin() {
    let emulator = Harness::new();
    let control = emulator.control();
    let edit = crate::AdminEdit {
        timeout: crate::TimeoutEdit::Set(44),
        name: None,
    };
    control.edit_action(&demo_id(14), &edit).unwrap();
    control.edit_draft(&demo_id(18), &edit).unwrap();

    let token = emulator.admin_token();
    let uri = format!("{QUERY}?expand=user");
    let listing = audits(&emulator, &token, &uri, history_of(&demo_id(14))).await;
    let entry = &listing["entities"][0];
    assert_eq!(entry["user"]["id"], OTHER_ADMIN_ID);
    assert_eq!(entry["user"]["name"], OTHER_ADMIN_NAME);
    assert_eq!(
        change(entry, "config.timeoutSeconds").unwrap()["newValues"],
        json!(["44"])
    );

    let drafts = audits(&emulator, &token, &uri, history_of(&demo_id(18))).await;
    let draft_entry = &drafts["entities"][0];
    assert_eq!(draft_entry["entityType"], "ActionDraft");
    assert_eq!(
        change(draft_entry, "config.timeoutSeconds").unwrap()["oldValues"],
        json!(["25"])
    );
    assert_eq!(control.audit_entries().len(), 2);
}

#[tokio::test]
async fn filters_of_one_property_are_alternatives_and_of_several_all_apply() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    patch_timeout(&emulator, &token, 14, 3, json!(15)).await;
    patch_timeout(&emulator, &token, 1, 2, json!(6)).await;
    let draft = format!("/api/v2/integrations/actions/{}/draft", demo_id(14));
    emulator.call(Method::POST, &token, &draft, None).await;

    let mut both_types = history_of(&demo_id(14));
    both_types["filters"] = json!([
        {"property": "EntityType", "value": "Action"},
        {"property": "EntityType", "value": "ActionDraft"},
        {"property": "EntityId", "value": demo_id(14)},
    ]);
    assert_eq!(
        audits(&emulator, &token, QUERY, both_types).await["total"],
        2
    );

    let mut updates_by_dana = history_of(&demo_id(14));
    updates_by_dana["filters"] = json!([
        {"property": "Action", "value": "Update"},
        {"property": "UserId", "value": ADMIN_USER_ID},
    ]);
    assert_eq!(
        audits(&emulator, &token, QUERY, updates_by_dana).await["total"],
        2
    );

    let mut other_service = history_of(&demo_id(14));
    other_service["serviceName"] = json!("Architect");
    assert_eq!(
        audits(&emulator, &token, QUERY, other_service).await["total"],
        0
    );

    let mut long_ago = history_of(&demo_id(14));
    long_ago["interval"] = json!("2020-01-01T00:00:00Z/2020-01-02T00:00:00Z");
    assert_eq!(audits(&emulator, &token, QUERY, long_ago).await["total"], 0);
}

#[tokio::test]
async fn an_interval_ending_at_the_current_whole_second_includes_a_change_just_made() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    patch_timeout(&emulator, &token, 14, 3, json!(15)).await;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut query = history_of(&demo_id(14));
    query["interval"] = json!(format!(
        "{}/{}",
        (now - Duration::days(1)).format(&Rfc3339).unwrap(),
        now.format(&Rfc3339).unwrap()
    ));
    assert_eq!(audits(&emulator, &token, QUERY, query).await["total"], 1);
}

#[tokio::test]
async fn pages_split_the_records() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    for (version, timeout) in [(3, 15), (4, 16), (5, 17)] {
        patch_timeout(&emulator, &token, 14, version, json!(timeout)).await;
    }
    let mut second = history_of(&demo_id(14));
    second["pageSize"] = json!(2);
    second["pageNumber"] = json!(2);
    let listing = audits(&emulator, &token, QUERY, second).await;
    assert_eq!(listing["total"], 3);
    assert_eq!(listing["pageCount"], 2);
    let entities = listing["entities"].as_array().unwrap();
    assert_eq!(entities.len(), 1);
    assert_eq!(
        change(&entities[0], "config.timeoutSeconds").unwrap()["newValues"],
        json!(["15"])
    );
}

#[tokio::test]
async fn bad_queries_are_400() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    let mut no_interval = history_of("x");
    no_interval.as_object_mut().unwrap().remove("interval");
    let mut bad_interval = history_of("x");
    bad_interval["interval"] = json!("today");
    let mut bad_property = history_of("x");
    bad_property["filters"] = json!([{"property": "Colour", "value": "red"}]);
    let mut bad_sort = history_of("x");
    bad_sort["sort"] = json!([{"name": "Timestamp", "sortOrder": "sideways"}]);
    let mut bad_page = history_of("x");
    bad_page["pageSize"] = json!(0);
    for body in [no_interval, bad_interval, bad_property, bad_sort, bad_page] {
        emulator
            .call(Method::POST, &token, QUERY, Some(body))
            .await
            .assert_error(400, "invalid.value");
    }
}

#[tokio::test]
async fn only_holders_of_audits_audit_view_may_query() {
    let emulator = Harness::new();
    let error = emulator
        .call(
            Method::POST,
            &emulator.token_for(VIEWER_USER_ID),
            QUERY,
            Some(history_of("x")),
        )
        .await
        .assert_error(403, "missing.any.permissions");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("audits:audit:view")
    );
    let wildcard = emulator
        .call(
            Method::POST,
            &emulator.token_for(WILDCARD_USER_ID),
            QUERY,
            Some(history_of("x")),
        )
        .await;
    assert_eq!(wildcard.status, 200);
}

#[tokio::test]
async fn client_credentials_changes_name_the_client_and_no_user() {
    let emulator = Harness::new();
    let token = emulator.client_token();
    patch_timeout(&emulator, &token, 14, 3, json!(15)).await;
    let listing = audits(&emulator, &token, QUERY, history_of(&demo_id(14))).await;
    let entry = &listing["entities"][0];
    assert!(entry.get("user").is_none());
    assert_eq!(
        entry["client"]["id"],
        crate::seed::DEMO_CREDENTIALS_CLIENT_ID
    );
}

#[tokio::test]
async fn failed_changes_leave_no_record_and_reset_clears_the_trail() {
    let emulator = Harness::new();
    let token = emulator.admin_token();
    emulator
        .call(
            Method::PATCH,
            &token,
            &format!("/api/v2/integrations/actions/{}", demo_id(14)),
            Some(json!({"version": 1, "config": {"timeoutSeconds": 5}})),
        )
        .await
        .assert_error(409, "general.conflict");
    assert!(emulator.control().audit_entries().is_empty());

    patch_timeout(&emulator, &token, 14, 3, json!(15)).await;
    emulator.control().reset();
    assert!(emulator.control().audit_entries().is_empty());
}
