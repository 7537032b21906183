//! In-process tests of the whole router with `oneshot`: every endpoint, every error status,
//! the sign-in flows, CORS, quirks, faults and the control API.

mod actions;
mod analytics;
mod audits;
mod control;
mod drafts;
mod oauth;
mod platform;
mod tuning;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::config::{EmulatorConfig, Seed};
use crate::control::Control;
use crate::seed::{ADMIN_USER_ID, DEMO_CREDENTIALS_CLIENT_ID};
use crate::state::{AppState, Urls};

/// An emulator state and router without a socket.
pub struct Harness {
    pub state: AppState,
    pub router: Router,
}

/// A collected response.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub extensions: axum::http::Extensions,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    /// Asserts a Genesys error body with this status and code, whose `contextId` is the
    /// response's correlation id.
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let body = self.json();
        assert_eq!(body["code"], code, "body: {}", self.text);
        assert_eq!(body["status"], status);
        assert_eq!(
            body["contextId"].as_str(),
            self.header("inin-correlation-id")
        );
        assert!(
            body["details"].is_array()
                && body["errors"].is_array()
                && body["messageParams"].is_object()
        );
        body
    }
}

impl Harness {
    pub fn new() -> Self {
        Harness::with(EmulatorConfig::default())
    }

    pub fn with(config: EmulatorConfig) -> Self {
        Harness::with_urls(config, Urls::in_process())
    }

    pub fn with_urls(config: EmulatorConfig, urls: Urls) -> Self {
        let state = AppState::new(config, urls);
        let router = crate::router(state.clone());
        Harness { state, router }
    }

    pub fn large(count: usize) -> Self {
        Harness::with(EmulatorConfig {
            seed: Seed::Large { count, seed: 7 },
            ..EmulatorConfig::default()
        })
    }

    pub fn control(&self) -> Control {
        Control::new(self.state.clone())
    }

    pub fn admin_token(&self) -> String {
        self.token_for(ADMIN_USER_ID)
    }

    pub fn token_for(&self, user_id: &str) -> String {
        self.control()
            .issue_user_token(user_id)
            .unwrap()
            .access_token
    }

    pub fn client_token(&self) -> String {
        self.control()
            .issue_client_token(DEMO_CREDENTIALS_CLIENT_ID)
            .unwrap()
            .access_token
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            extensions: parts.extensions,
        }
    }

    pub async fn get(&self, token: &str, uri: &str) -> Reply {
        self.send(request(Method::GET, uri, Some(token), None))
            .await
    }

    pub async fn call(&self, method: Method, token: &str, uri: &str, body: Option<Value>) -> Reply {
        self.send(request(method, uri, Some(token), body)).await
    }
}

/// A request with an optional bearer token and JSON body.
pub fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

/// A form POST.
pub fn form(uri: &str, pairs: &[(&str, &str)], basic: Option<(&str, &str)>) -> Request<Body> {
    let body = serde_urlencoded::to_string(pairs).unwrap();
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        builder = builder.header(header::AUTHORIZATION, format!("Basic {encoded}"));
    }
    builder.body(Body::from(body)).unwrap()
}
