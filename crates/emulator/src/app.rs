//! The app origin: serves a built app directory with a generated `config.json` that points
//! the app at this emulator, and adds the emulator's origins to `index.html`'s
//! Content-Security-Policy `connect-src`.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use regex::{Captures, Regex};
use serde_json::{Value, json};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// The `config.json` the app reads: the demo browser client, the emulator region, PKCE, and
/// the emulator's base URLs, with any control-API overrides merged in.
pub fn config_json(state: &AppState) -> Value {
    let urls = state.urls();
    let mut config = json!({
        "clientId": crate::seed::DEMO_BROWSER_CLIENT_ID,
        "region": "emulator",
        "grant": "pkce",
        "emulator": { "apiBase": urls.api, "loginBase": urls.login },
    });
    if let Value::Object(object) = &mut config {
        crate::control::merge(object, &state.org().app_config_overrides);
    }
    config
}

/// The app origin's router over `dir`.
pub fn router(state: AppState, dir: PathBuf) -> Router {
    let index_dir = dir.clone();
    let index = move |State(state): State<AppState>| {
        let dir = index_dir.clone();
        async move { serve_index(&state, &dir).await }
    };

    Router::new()
        .route("/", get(index.clone()))
        .route("/index.html", get(index))
        .route(
            "/config.json",
            get(|State(state): State<AppState>| async move { axum::Json(config_json(&state)) }),
        )
        .fallback_service(ServeDir::new(dir).append_index_html_on_directories(false))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-cache"),
        ))
        .with_state(state)
}

async fn serve_index(state: &AppState, dir: &Path) -> Response {
    let html = match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => html,
        Err(error) => {
            tracing::warn!(%error, "the app directory has no readable index.html");
            return StatusCode::NOT_FOUND.into_response();
        }
    };
    let urls = state.urls();
    let mut origins = vec![urls.api.clone()];
    if urls.login != urls.api {
        origins.push(urls.login.clone());
    }
    let html = add_connect_origins(&html, &origins);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

static META_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<meta\b[^>]*>").expect("the meta-tag pattern is valid"));
static CSP_EQUIV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)http-equiv\s*=\s*["']content-security-policy["']"#)
        .expect("the http-equiv pattern is valid")
});
static CONTENT_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)(\bcontent\s*=\s*")([^"]*)(")"#).expect("the content pattern is valid")
});

/// Adds `origins` to the `connect-src` directive of the page's CSP meta tag, leaving every
/// other directive as it was. Without a `connect-src`, one is added from `default-src`
/// (or `'self'`) so the origins do not narrow what the page could already reach.
pub fn add_connect_origins(html: &str, origins: &[String]) -> String {
    META_TAG
        .replace_all(html, |tag: &Captures| {
            let tag = &tag[0];
            if !CSP_EQUIV.is_match(tag) {
                return tag.to_owned();
            }
            CONTENT_ATTR
                .replace(tag, |content: &Captures| {
                    format!(
                        "{}{}{}",
                        &content[1],
                        rewrite_policy(&content[2], origins),
                        &content[3]
                    )
                })
                .into_owned()
        })
        .into_owned()
}

fn rewrite_policy(policy: &str, origins: &[String]) -> String {
    let mut directives: Vec<String> = policy
        .split(';')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .map(str::to_owned)
        .collect();

    let name_of = |directive: &str| {
        directive
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let position = directives
        .iter()
        .position(|directive| name_of(directive) == "connect-src");
    let position = match position {
        Some(position) => position,
        None => {
            let sources = directives
                .iter()
                .find(|directive| name_of(directive) == "default-src")
                .map(|directive| {
                    directive
                        .split_whitespace()
                        .skip(1)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| "'self'".into());
            directives.push(format!("connect-src {sources}"));
            directives.len() - 1
        }
    };

    let directive = &mut directives[position];
    for origin in origins {
        if !directive.split_whitespace().any(|source| source == origin) {
            directive.push(' ');
            directive.push_str(origin);
        }
    }
    directives.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> Vec<String> {
        vec!["http://127.0.0.1:4000".into()]
    }

    #[test]
    fn connect_src_gains_the_origins_and_nothing_else_changes() {
        let html = r#"<head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'self'; connect-src 'self' https://api.mypurecloud.com; img-src 'self' data:"></head>"#;
        let out = add_connect_origins(html, &origins());
        assert!(out.contains(r#"content="default-src 'self'; connect-src 'self' https://api.mypurecloud.com http://127.0.0.1:4000; img-src 'self' data:""#), "{out}");
        assert!(out.contains(r#"<meta charset="utf-8">"#));
    }

    #[test]
    fn a_policy_without_connect_src_gets_one_from_default_src() {
        let html =
            r#"<meta http-equiv="content-security-policy" content="default-src 'self' https://x">"#;
        let out = add_connect_origins(html, &origins());
        assert!(
            out.contains("connect-src 'self' https://x http://127.0.0.1:4000"),
            "{out}"
        );
    }

    #[test]
    fn pages_without_a_policy_are_untouched() {
        let html = "<html><meta name=\"viewport\" content=\"width=device-width\"></html>";
        assert_eq!(add_connect_origins(html, &origins()), html);
    }

    #[test]
    fn origins_already_present_are_not_repeated() {
        let html = r#"<meta http-equiv="Content-Security-Policy" content="connect-src http://127.0.0.1:4000">"#;
        assert_eq!(add_connect_origins(html, &origins()), html);
    }
}
