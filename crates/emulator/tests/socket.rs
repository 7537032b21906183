//! The emulator over real sockets: `start()` in process, the app origin, a dropped
//! connection, and the binary's start-up line.

// Clippy counts the helpers below, outside `#[test]` functions, as library code; here a
// panic is a failed test with a useful message, as in the tests themselves.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use genesys_emulator::seed::{
    DEMO_BROWSER_CLIENT_ID, DEMO_CREDENTIALS_CLIENT_ID, DEMO_CREDENTIALS_CLIENT_SECRET,
};
use genesys_emulator::{Emulator, EmulatorConfig, FailureMode, Faults, Seed, start};
use reqwest::redirect::Policy;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Sends a request that must reach the server and be answered, whatever the status.
async fn send(request: RequestBuilder) -> Response {
    request.send().await.unwrap()
}

/// GETs a URL, with a bearer token when one is given, and reads the JSON body.
async fn get_json(http: &reqwest::Client, url: &str, token: Option<&str>) -> Value {
    let mut request = http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await.json().await.unwrap()
}

async fn client_token(http: &reqwest::Client, login: &str, id: &str, secret: &str) -> String {
    let token_url = format!("{login}/oauth/token");
    let grant = [("grant_type", "client_credentials")];
    let reply = send(
        http.post(token_url)
            .basic_auth(id, Some(secret))
            .form(&grant),
    )
    .await;
    assert_eq!(reply.status(), StatusCode::OK);
    reply.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A token for the seeded client-credentials client of a started emulator.
async fn demo_client_token(http: &reqwest::Client, emulator: &Emulator) -> String {
    client_token(
        http,
        emulator.login_url(),
        DEMO_CREDENTIALS_CLIENT_ID,
        DEMO_CREDENTIALS_CLIENT_SECRET,
    )
    .await
}

/// The value of one parameter in a URL's query.
fn query_param(url: &reqwest::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .1
        .into_owned()
}

#[tokio::test]
async fn a_started_emulator_lists_patches_and_detects_conflicts_over_http() {
    let emulator = start(EmulatorConfig::default()).await.unwrap();
    let api = emulator.api_url().to_owned();
    assert!(api.starts_with("http://127.0.0.1:"));
    assert_eq!(emulator.login_url(), api);
    assert!(emulator.app_url().is_none());

    let http = client();
    let token = demo_client_token(&http, &emulator).await;
    let listing_url = format!("{api}/api/v2/integrations/actions?includeConfig=true&pageSize=100");
    let listing = get_json(&http, &listing_url, Some(&token)).await;
    let action = &listing["entities"][0];
    let id = action["id"].as_str().unwrap();

    let patch = json!({"version": action["version"], "name": action["name"], "category": action["category"], "config": {"timeoutSeconds": 9}});
    let url = format!("{api}/api/v2/integrations/actions/{id}");
    let updated = send(http.patch(&url).bearer_auth(&token).json(&patch)).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let stale = send(http.patch(&url).bearer_auth(&token).json(&patch)).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let correlation = stale.headers()["inin-correlation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["contextId"], correlation);
    assert_eq!(
        emulator.stored_action(id).unwrap()["config"]["timeoutSeconds"],
        9
    );

    emulator.shutdown().await;
    let after = reqwest::Client::new()
        .get(format!("{api}/api/v2/users/me"))
        .send()
        .await;
    assert!(after.is_err(), "the server still answers after shutdown");
}

#[tokio::test]
async fn a_drop_fault_closes_the_connection_without_any_response() {
    let emulator = start(EmulatorConfig::default()).await.unwrap();
    let token = emulator
        .issue_user_token(genesys_emulator::seed::ADMIN_USER_ID)
        .unwrap()
        .access_token;
    emulator.set_faults(Faults {
        fail_next: 1,
        fail_mode: FailureMode::Drop,
        ..Faults::default()
    });

    let url = format!("{}/api/v2/users/me", emulator.api_url());
    let dropped = client().get(&url).bearer_auth(&token).send().await;
    let error = dropped.expect_err("a dropped connection must not produce a response");
    assert!(error.status().is_none());

    let recovered = send(client().get(&url).bearer_auth(&token)).await;
    assert_eq!(recovered.status(), StatusCode::OK);
    emulator.shutdown().await;
}

/// A scratch app directory, removed when dropped.
struct AppDir(PathBuf);

impl AppDir {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("emulator-app-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index.html"),
            r#"<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'; connect-src 'self'; script-src 'self' 'wasm-unsafe-eval'"></head><body></body></html>"#,
        )
        .unwrap();
        std::fs::write(dir.join("app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(dir.join("app.js"), "export default 1;").unwrap();
        std::fs::write(dir.join("config.json"), r#"{"clientId":"from-disk"}"#).unwrap();
        AppDir(dir)
    }
}

impl Drop for AppDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The headers that docs/hosting.md asks every host to send with every file.
fn assert_hosting_headers(headers: &reqwest::header::HeaderMap) {
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.starts_with("frame-ancestors 'self' https://apps.mypurecloud.com "),
        "{policy}"
    );
    assert!(policy.contains(" https://apps.mypurecloud.ie "), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-cache");
}

#[tokio::test]
async fn the_app_origin_serves_the_app_with_its_config_and_policy() {
    let dir = AppDir::new();
    let emulator = start(EmulatorConfig {
        app_dir: Some(dir.0.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let app = emulator.app_url().unwrap().to_owned();
    assert_ne!(app, emulator.api_url());
    let http = client();

    let index = send(http.get(format!("{app}/"))).await;
    assert_hosting_headers(index.headers());
    let html = index.text().await.unwrap();
    assert!(
        html.contains(&format!("connect-src 'self' {};", emulator.api_url())),
        "{html}"
    );
    assert!(html.contains("script-src 'self' 'wasm-unsafe-eval'"));

    let wasm = send(http.get(format!("{app}/app_bg.wasm"))).await;
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.headers()["x-content-type-options"], "nosniff");
    let js = send(http.get(format!("{app}/app.js"))).await;
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    let config = send(http.get(format!("{app}/config.json"))).await;
    assert_hosting_headers(config.headers());
    let config: Value = config.json().await.unwrap();
    assert_eq!(
        config,
        json!({
            "clientId": DEMO_BROWSER_CLIENT_ID,
            "region": "emulator",
            "grant": "pkce",
            "emulator": { "apiBase": emulator.api_url(), "loginBase": emulator.login_url() },
        })
    );
    emulator.patch_app_config(json!({"grant": "implicit"}).as_object().unwrap());
    let patched = get_json(&http, &format!("{app}/config.json"), None).await;
    assert_eq!(patched["grant"], "implicit");

    let missing = send(http.get(format!("{app}/no/such/page"))).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_hosting_headers(missing.headers());

    let redirect = format!("{app}/");
    let authorize = send(
        http.get(format!("{}/oauth/authorize", emulator.login_url()))
            .query(&[
                ("client_id", DEMO_BROWSER_CLIENT_ID),
                ("redirect_uri", redirect.as_str()),
                ("response_type", "token"),
            ]),
    )
    .await;
    assert_eq!(authorize.status(), StatusCode::OK);

    let me = format!("{}/api/v2/users/me", emulator.api_url());
    let cors = send(http.get(me).header("origin", &app)).await;
    assert_eq!(
        cors.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap(),
        app
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_missing_app_directory_refuses_to_start() {
    let config = EmulatorConfig {
        app_dir: Some(PathBuf::from("/nonexistent/app/dir")),
        ..EmulatorConfig::default()
    };
    assert!(matches!(
        start(config).await,
        Err(genesys_emulator::StartError::AppDir(_))
    ));
}

#[tokio::test]
async fn the_whole_pkce_sign_in_works_over_http() {
    use base64::Engine;
    use sha2::Digest;

    let config = EmulatorConfig {
        clients: vec![genesys_emulator::ClientRedirect {
            client_id: "spa".into(),
            redirect_uri: "http://127.0.0.1:3000/cb".into(),
        }],
        ..EmulatorConfig::default()
    };
    let emulator = start(config).await.unwrap();
    let login = emulator.login_url().to_owned();
    let http = client();
    let verifier = "v".repeat(64);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let params = [
        ("client_id", "spa"),
        ("redirect_uri", "http://127.0.0.1:3000/cb"),
        ("response_type", "code"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "abc"),
    ];

    let authorize = format!("{login}/oauth/authorize");
    let page = send(http.get(&authorize).query(&params))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in as Victor Viewer"));

    let mut choice = params.to_vec();
    choice.push(("user_id", genesys_emulator::seed::VIEWER_USER_ID));
    let redirect = send(http.post(&authorize).form(&choice)).await;
    let location = redirect.headers()["location"].to_str().unwrap();
    let url = reqwest::Url::parse(location).unwrap();
    let code = query_param(&url, "code");
    assert_eq!(query_param(&url, "state"), "abc");

    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", "spa"),
        ("redirect_uri", "http://127.0.0.1:3000/cb"),
        ("code_verifier", verifier.as_str()),
    ];
    let token: Value = send(http.post(format!("{login}/oauth/token")).form(&exchange))
        .await
        .json()
        .await
        .unwrap();
    let me_url = format!("{}/api/v2/users/me", emulator.api_url());
    let me = get_json(&http, &me_url, token["access_token"].as_str()).await;
    assert_eq!(me["name"], "Victor Viewer");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_large_seed_starts_in_process() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Large {
            count: 300,
            seed: 3,
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let token = emulator
        .issue_client_token(DEMO_CREDENTIALS_CLIENT_ID)
        .unwrap()
        .access_token;
    let listing_url = format!("{}/api/v2/integrations/actions", emulator.api_url());
    let body = get_json(&client(), &listing_url, Some(&token)).await;
    assert_eq!(body["total"], 300);
    emulator.shutdown().await;
}

/// Stops the child process when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_one_json_line_with_its_urls_and_honours_its_flags() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_genesys-emulator"))
            .args([
                "--seed",
                "large:10:5",
                "--quirk",
                "no-retry-after",
                "--client-credentials",
                "svc:pw",
                "--rate-limit",
                "120",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let urls: Value = serde_json::from_str(&line).unwrap();
    let api = urls["api"].as_str().unwrap();
    assert_eq!(urls["login"], api);
    assert!(urls.get("app").is_none());

    let http = client();
    let token = client_token(&http, api, "svc", "pw").await;
    let listing = send(
        http.get(format!("{api}/api/v2/integrations/actions"))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(listing.headers()["inin-ratelimit-allowed"], "120");
    assert_eq!(listing.json::<Value>().await.unwrap()["total"], 10);

    let state = get_json(&http, &format!("{api}/emulator/state"), None).await;
    assert_eq!(state["quirks"], json!(["no-retry-after"]));
}

#[tokio::test]
async fn a_forced_slow_test_run_times_out_over_http_and_is_answered_200() {
    let emulator = start(EmulatorConfig::default()).await.unwrap();
    let api = emulator.api_url().to_owned();
    let http = client();
    let token = demo_client_token(&http, &emulator).await;
    // Get queue observations: a 3 s timeout, so 3.2 s simulated (160 ms really) times out.
    let id = "ac710000-0000-4000-8000-000000000007";
    let force = format!("{api}/emulator/actions/{id}/next-test-ms");
    let forced = send(http.post(force).json(&json!({"ms": 3_200}))).await;
    assert_eq!(forced.status(), StatusCode::NO_CONTENT);

    let test = format!("{api}/api/v2/integrations/actions/{id}/test");
    let reply = send(
        http.post(test)
            .bearer_auth(&token)
            .json(&json!({"query": "q"})),
    )
    .await;
    assert_eq!(reply.status(), StatusCode::OK);
    let result: Value = reply.json().await.unwrap();
    assert_eq!(result["success"], false);
    assert_eq!(result["error"]["code"], "request.timeout");
    emulator.shutdown().await;
}
