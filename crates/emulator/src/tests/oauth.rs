//! Sign-in: the authorize page, the PKCE code exchange and its failures, the implicit
//! grant, client credentials and logout.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::{Harness, Reply, form, request};
use crate::config::{ClientRedirect, EmulatorConfig};
use crate::seed::{
    ADMIN_USER_ID, DEMO_BROWSER_CLIENT_ID, DEMO_CREDENTIALS_CLIENT_ID,
    DEMO_CREDENTIALS_CLIENT_SECRET,
};
use crate::state::Urls;

const REDIRECT: &str = "http://127.0.0.1:8080/";
const VERIFIER: &str = "verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn emulator() -> Harness {
    Harness::with(EmulatorConfig {
        clients: vec![ClientRedirect {
            client_id: DEMO_BROWSER_CLIENT_ID.into(),
            redirect_uri: REDIRECT.into(),
        }],
        ..EmulatorConfig::default()
    })
}

fn authorize_pairs<'a>(response_type: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", response_type),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", "st<at>e&1"),
    ]
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// The query or fragment parameters of a redirect's `Location`.
fn location_params(reply: &Reply, separator: char) -> Vec<(String, String)> {
    let location = reply
        .header("location")
        .unwrap_or_else(|| panic!("no redirect: {} {}", reply.status, reply.text));
    let (_, params) = location.split_once(separator).unwrap();
    form_urlencoded::parse(params.as_bytes())
        .into_owned()
        .collect()
}

fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// Signs in as the admin through the page and returns the issued code.
async fn sign_in_for_code(emulator: &Harness) -> String {
    let challenge = challenge(VERIFIER);
    let mut pairs = authorize_pairs("code", &challenge);
    pairs.push(("user_id", ADMIN_USER_ID));
    let reply = emulator.send(form("/oauth/authorize", &pairs, None)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.header("location").unwrap().starts_with(REDIRECT));
    let params = location_params(&reply, '?');
    assert_eq!(param(&params, "state").as_deref(), Some("st<at>e&1"));
    param(&params, "code").unwrap()
}

async fn exchange(emulator: &Harness, code: &str, redirect: &str, verifier: &str) -> Reply {
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ];
    emulator.send(form("/oauth/token", &pairs, None)).await
}

fn assert_token_error(reply: &Reply, error: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn the_sign_in_page_offers_each_seeded_user_and_deny_with_escaped_state() {
    let emulator = emulator();
    let challenge = challenge(VERIFIER);
    let uri = format!(
        "/oauth/authorize?{}",
        query(&authorize_pairs("code", &challenge))
    );
    let reply = emulator.send(request(Method::GET, &uri, None, None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    for name in ["Dana Admin", "Victor Viewer", "Nora Agent", "Wren Wildcard"] {
        assert!(
            reply.text.contains(&format!(">Sign in as {name}</button>")),
            "{name}"
        );
    }
    assert!(reply.text.contains(">Deny</button>"));
    assert!(
        reply.text.contains("value=\"st&lt;at&gt;e&amp;1\""),
        "{}",
        reply.text
    );
    assert!(!reply.text.contains("st<at>e"));
}

#[tokio::test]
async fn the_pkce_exchange_issues_a_working_token() {
    let emulator = emulator();
    let code = sign_in_for_code(&emulator).await;
    let reply = exchange(&emulator, &code, REDIRECT, VERIFIER).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);

    let me = emulator
        .get(body["access_token"].as_str().unwrap(), "/api/v2/users/me")
        .await
        .json();
    assert_eq!(me["id"], ADMIN_USER_ID);
}

#[tokio::test]
async fn a_code_cannot_be_used_twice() {
    let emulator = emulator();
    let code = sign_in_for_code(&emulator).await;
    assert_eq!(
        exchange(&emulator, &code, REDIRECT, VERIFIER).await.status,
        StatusCode::OK
    );
    assert_token_error(
        &exchange(&emulator, &code, REDIRECT, VERIFIER).await,
        "invalid_grant",
    );
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant() {
    let emulator = emulator();
    let code = sign_in_for_code(&emulator).await;
    let wrong = "another-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    assert_token_error(
        &exchange(&emulator, &code, REDIRECT, wrong).await,
        "invalid_grant",
    );
}

#[tokio::test]
async fn a_different_redirect_uri_at_the_exchange_is_invalid_grant() {
    let emulator = emulator();
    let code = sign_in_for_code(&emulator).await;
    assert_token_error(
        &exchange(&emulator, &code, "http://127.0.0.1:8081/", VERIFIER).await,
        "invalid_grant",
    );
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let emulator = emulator();
    let code = sign_in_for_code(&emulator).await;
    let old = std::time::Instant::now()
        .checked_sub(crate::state::CODE_LIFETIME + std::time::Duration::from_secs(1))
        .expect("the clock has run for more than five minutes");
    emulator.state.org().codes.get_mut(&code).unwrap().issued_at = old;
    assert_token_error(
        &exchange(&emulator, &code, REDIRECT, VERIFIER).await,
        "invalid_grant",
    );
}

#[tokio::test]
async fn an_unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let emulator = emulator();
    let challenge = challenge(VERIFIER);
    let mut pairs = authorize_pairs("code", &challenge);
    pairs[1] = ("redirect_uri", "https://evil.example/");
    let reply = emulator
        .send(request(
            Method::GET,
            &format!("/oauth/authorize?{}", query(&pairs)),
            None,
            None,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
    assert!(reply.text.contains("is not registered"));

    pairs.push(("user_id", ADMIN_USER_ID));
    let posted = emulator.send(form("/oauth/authorize", &pairs, None)).await;
    assert_eq!(posted.status, StatusCode::BAD_REQUEST);
    assert!(posted.header("location").is_none());
}

#[tokio::test]
async fn an_unknown_client_shows_an_error_page() {
    let emulator = emulator();
    let uri = format!(
        "/oauth/authorize?{}",
        query(&[
            ("client_id", "nobody"),
            ("redirect_uri", REDIRECT),
            ("response_type", "token")
        ])
    );
    let reply = emulator.send(request(Method::GET, &uri, None, None)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
}

#[tokio::test]
async fn a_plain_challenge_method_is_sent_back_as_invalid_request() {
    let emulator = emulator();
    let challenge = challenge(VERIFIER);
    let mut pairs = authorize_pairs("code", &challenge);
    pairs[4] = ("code_challenge_method", "plain");
    let reply = emulator
        .send(request(
            Method::GET,
            &format!("/oauth/authorize?{}", query(&pairs)),
            None,
            None,
        ))
        .await;
    let params = location_params(&reply, '?');
    assert_eq!(param(&params, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&params, "state").as_deref(), Some("st<at>e&1"));
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let emulator = emulator();
    let challenge = challenge(VERIFIER);
    let mut pairs = authorize_pairs("code", &challenge);
    pairs.push(("deny", "true"));
    let reply = emulator.send(form("/oauth/authorize", &pairs, None)).await;
    let params = location_params(&reply, '?');
    assert_eq!(param(&params, "error").as_deref(), Some("access_denied"));
    assert!(param(&params, "error_description").is_some());
    assert!(param(&params, "code").is_none());
}

#[tokio::test]
async fn the_implicit_grant_puts_the_token_in_the_fragment() {
    let emulator = emulator();
    let pairs = [
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "token"),
        ("state", "s1"),
        ("user_id", ADMIN_USER_ID),
    ];
    let reply = emulator.send(form("/oauth/authorize", &pairs, None)).await;
    let params = location_params(&reply, '#');
    assert_eq!(param(&params, "token_type").as_deref(), Some("bearer"));
    assert_eq!(param(&params, "expires_in").as_deref(), Some("86400"));
    assert_eq!(param(&params, "state").as_deref(), Some("s1"));
    let token = param(&params, "access_token").unwrap();
    assert_eq!(
        emulator.get(&token, "/api/v2/users/me").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_app_root_is_registered_for_the_demo_client() {
    let urls = Urls {
        app: Some("http://127.0.0.1:4321".into()),
        ..Urls::in_process()
    };
    let emulator = Harness::with_urls(EmulatorConfig::default(), urls);
    let pairs = [
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", "http://127.0.0.1:4321/"),
        ("response_type", "token"),
    ];
    let reply = emulator
        .send(request(
            Method::GET,
            &format!("/oauth/authorize?{}", query(&pairs)),
            None,
            None,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn client_credentials_with_basic_auth_issue_a_token() {
    let emulator = emulator();
    let reply = emulator
        .send(form(
            "/oauth/token",
            &[("grant_type", "client_credentials")],
            Some((DEMO_CREDENTIALS_CLIENT_ID, DEMO_CREDENTIALS_CLIENT_SECRET)),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        emulator
            .get(&token, "/api/v2/integrations/actions")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let emulator = emulator();
    let reply = emulator
        .send(form(
            "/oauth/token",
            &[("grant_type", "client_credentials")],
            Some((DEMO_CREDENTIALS_CLIENT_ID, "wrong")),
        ))
        .await;
    assert_token_error(&reply, "invalid_client");
    let without = emulator
        .send(form(
            "/oauth/token",
            &[("grant_type", "client_credentials")],
            None,
        ))
        .await;
    assert_token_error(&without, "invalid_client");
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported_grant_type() {
    let emulator = emulator();
    let reply = emulator
        .send(form("/oauth/token", &[("grant_type", "password")], None))
        .await;
    assert_token_error(&reply, "unsupported_grant_type");
}

#[tokio::test]
async fn logout_redirects_only_to_a_registered_uri() {
    let emulator = emulator();
    let registered = format!(
        "/logout?{}",
        query(&[
            ("client_id", DEMO_BROWSER_CLIENT_ID),
            ("redirect_uri", REDIRECT)
        ])
    );
    let reply = emulator
        .send(request(Method::GET, &registered, None, None))
        .await;
    assert_eq!(reply.header("location"), Some(REDIRECT));

    let foreign = format!(
        "/logout?{}",
        query(&[
            ("client_id", DEMO_BROWSER_CLIENT_ID),
            ("redirect_uri", "https://evil.example/")
        ])
    );
    let page = emulator
        .send(request(Method::GET, &foreign, None, None))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("location").is_none());
    assert!(page.text.contains("Signed out"));
}

#[tokio::test]
async fn org_and_provider_login_hint_and_prompt_are_accepted_together() {
    let emulator = emulator();
    let challenge = challenge(VERIFIER);
    let mut pairs = authorize_pairs("code", &challenge);
    pairs.extend([
        ("org", "acme"),
        ("provider", "okta"),
        ("login_hint", "victor.viewer@example.com"),
        ("prompt", "login"),
    ]);
    let reply = emulator
        .send(request(
            Method::GET,
            &format!("/oauth/authorize?{}", query(&pairs)),
            None,
            None,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let viewer = reply.text.find("Sign in as Victor Viewer").unwrap();
    let admin = reply.text.find("Sign in as Dana Admin").unwrap();
    assert!(viewer < admin, "the hinted user comes first");
    assert!(reply.text.contains("name=\"provider\" value=\"okta\""));
}

#[tokio::test]
async fn org_without_provider_is_sent_back_as_invalid_request() {
    let emulator = emulator();
    let challenge = challenge(VERIFIER);
    let mut pairs = authorize_pairs("code", &challenge);
    pairs.push(("org", "acme"));
    let reply = emulator
        .send(request(
            Method::GET,
            &format!("/oauth/authorize?{}", query(&pairs)),
            None,
            None,
        ))
        .await;
    let params = location_params(&reply, '?');
    assert_eq!(param(&params, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn an_unsupported_response_type_is_sent_back_to_the_client() {
    let emulator = emulator();
    let pairs = [
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "id_token"),
    ];
    let reply = emulator
        .send(request(
            Method::GET,
            &format!("/oauth/authorize?{}", query(&pairs)),
            None,
            None,
        ))
        .await;
    let params = location_params(&reply, '?');
    assert_eq!(
        param(&params, "error").as_deref(),
        Some("unsupported_response_type")
    );
}
