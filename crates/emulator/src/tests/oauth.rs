//! Sign-in: the authorize page, the PKCE code exchange and its failures, the implicit
//! grant, client credentials and logout.

use std::sync::LazyLock;

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
/// A state the sign-in page must escape and the redirect must hand back unchanged.
const STATE: &str = "st<at>e&1";

static CHALLENGE: LazyLock<String> =
    LazyLock::new(|| URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes())));

fn emulator() -> Harness {
    Harness::with(EmulatorConfig {
        clients: vec![ClientRedirect {
            client_id: DEMO_BROWSER_CLIENT_ID.into(),
            redirect_uri: REDIRECT.into(),
        }],
        ..EmulatorConfig::default()
    })
}

/// The authorize parameters of a PKCE sign-in by the demo browser client.
fn code_pairs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("code_challenge", CHALLENGE.as_str()),
        ("code_challenge_method", "S256"),
        ("state", STATE),
    ]
}

/// GETs a sign-in endpoint with these query parameters, as a browser sent there would.
async fn open(emulator: &Harness, path: &str, pairs: &[(&str, &str)]) -> Reply {
    let query = serde_urlencoded::to_string(pairs).unwrap();
    let uri = format!("{path}?{query}");
    emulator.send(request(Method::GET, &uri, None, None)).await
}

/// Submits the sign-in page's form.
async fn submit(emulator: &Harness, pairs: &[(&str, &str)]) -> Reply {
    emulator.send(form("/oauth/authorize", pairs, None)).await
}

/// Asks for a client-credentials token, with basic authentication when it is given.
async fn client_credentials(emulator: &Harness, basic: Option<(&str, &str)>) -> Reply {
    let pairs = [("grant_type", "client_credentials")];
    emulator.send(form("/oauth/token", &pairs, basic)).await
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

/// Asserts a redirect back to the client carrying this OAuth error, and returns the
/// redirect's query parameters for further checks.
fn assert_redirected_with_error(reply: &Reply, error: &str) -> Vec<(String, String)> {
    let params = location_params(reply, '?');
    assert_eq!(param(&params, "error").as_deref(), Some(error));
    params
}

/// Signs in as the admin through the page and returns the emulator and the issued code.
async fn signed_in() -> (Harness, String) {
    let emulator = emulator();
    let mut pairs = code_pairs();
    pairs.push(("user_id", ADMIN_USER_ID));

    let reply = submit(&emulator, &pairs).await;

    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.header("location").unwrap().starts_with(REDIRECT));
    let params = location_params(&reply, '?');
    assert_eq!(param(&params, "state").as_deref(), Some(STATE));
    let code = param(&params, "code").unwrap();
    (emulator, code)
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
    let reply = open(&emulator, "/oauth/authorize", &code_pairs()).await;
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
    let (emulator, code) = signed_in().await;
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
    let (emulator, code) = signed_in().await;
    let first = exchange(&emulator, &code, REDIRECT, VERIFIER).await;
    assert_eq!(first.status, StatusCode::OK);
    let second = exchange(&emulator, &code, REDIRECT, VERIFIER).await;
    assert_token_error(&second, "invalid_grant");
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant() {
    let (emulator, code) = signed_in().await;
    let wrong = "another-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    let reply = exchange(&emulator, &code, REDIRECT, wrong).await;
    assert_token_error(&reply, "invalid_grant");
}

#[tokio::test]
async fn a_different_redirect_uri_at_the_exchange_is_invalid_grant() {
    let (emulator, code) = signed_in().await;
    let reply = exchange(&emulator, &code, "http://127.0.0.1:8081/", VERIFIER).await;
    assert_token_error(&reply, "invalid_grant");
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let (emulator, code) = signed_in().await;
    let old = std::time::Instant::now()
        .checked_sub(crate::state::CODE_LIFETIME + std::time::Duration::from_secs(1))
        .expect("the clock has run for more than five minutes");
    emulator.state.org().codes.get_mut(&code).unwrap().issued_at = old;

    let reply = exchange(&emulator, &code, REDIRECT, VERIFIER).await;
    assert_token_error(&reply, "invalid_grant");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let emulator = emulator();
    let mut pairs = code_pairs();
    pairs[1] = ("redirect_uri", "https://evil.example/");
    let reply = open(&emulator, "/oauth/authorize", &pairs).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
    assert!(reply.text.contains("is not registered"));

    pairs.push(("user_id", ADMIN_USER_ID));
    let posted = submit(&emulator, &pairs).await;
    assert_eq!(posted.status, StatusCode::BAD_REQUEST);
    assert!(posted.header("location").is_none());
}

#[tokio::test]
async fn an_unknown_client_shows_an_error_page() {
    let emulator = emulator();
    let pairs = [
        ("client_id", "nobody"),
        ("redirect_uri", REDIRECT),
        ("response_type", "token"),
    ];
    let reply = open(&emulator, "/oauth/authorize", &pairs).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
}

#[tokio::test]
async fn a_plain_challenge_method_is_sent_back_as_invalid_request() {
    let emulator = emulator();
    let mut pairs = code_pairs();
    pairs[4] = ("code_challenge_method", "plain");
    let reply = open(&emulator, "/oauth/authorize", &pairs).await;
    let params = assert_redirected_with_error(&reply, "invalid_request");
    assert_eq!(param(&params, "state").as_deref(), Some(STATE));
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let emulator = emulator();
    let mut pairs = code_pairs();
    pairs.push(("deny", "true"));
    let reply = submit(&emulator, &pairs).await;
    let params = assert_redirected_with_error(&reply, "access_denied");
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
    let reply = submit(&emulator, &pairs).await;
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
    let reply = open(&emulator, "/oauth/authorize", &pairs).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn client_credentials_with_basic_auth_issue_a_token() {
    let emulator = emulator();
    let basic = (DEMO_CREDENTIALS_CLIENT_ID, DEMO_CREDENTIALS_CLIENT_SECRET);
    let reply = client_credentials(&emulator, Some(basic)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    let listing = emulator.get(&token, "/api/v2/integrations/actions").await;
    assert_eq!(listing.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let emulator = emulator();
    let wrong = client_credentials(&emulator, Some((DEMO_CREDENTIALS_CLIENT_ID, "wrong"))).await;
    assert_token_error(&wrong, "invalid_client");
    let without = client_credentials(&emulator, None).await;
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
    let registered = [
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", REDIRECT),
    ];
    let reply = open(&emulator, "/logout", &registered).await;
    assert_eq!(reply.header("location"), Some(REDIRECT));

    let foreign = [
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", "https://evil.example/"),
    ];
    let page = open(&emulator, "/logout", &foreign).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("location").is_none());
    assert!(page.text.contains("Signed out"));
}

#[tokio::test]
async fn org_and_provider_login_hint_and_prompt_are_accepted_together() {
    let emulator = emulator();
    let mut pairs = code_pairs();
    pairs.extend([
        ("org", "acme"),
        ("provider", "okta"),
        ("login_hint", "victor.viewer@example.com"),
        ("prompt", "login"),
    ]);
    let reply = open(&emulator, "/oauth/authorize", &pairs).await;
    assert_eq!(reply.status, StatusCode::OK);
    let viewer = reply.text.find("Sign in as Victor Viewer").unwrap();
    let admin = reply.text.find("Sign in as Dana Admin").unwrap();
    assert!(viewer < admin, "the hinted user comes first");
    assert!(reply.text.contains("name=\"provider\" value=\"okta\""));
}

#[tokio::test]
async fn org_without_provider_is_sent_back_as_invalid_request() {
    let emulator = emulator();
    let mut pairs = code_pairs();
    pairs.push(("org", "acme"));
    let reply = open(&emulator, "/oauth/authorize", &pairs).await;
    assert_redirected_with_error(&reply, "invalid_request");
}

#[tokio::test]
async fn an_unsupported_response_type_is_sent_back_to_the_client() {
    let emulator = emulator();
    let pairs = [
        ("client_id", DEMO_BROWSER_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "id_token"),
    ];
    let reply = open(&emulator, "/oauth/authorize", &pairs).await;
    assert_redirected_with_error(&reply, "unsupported_response_type");
}
