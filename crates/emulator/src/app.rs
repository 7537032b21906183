//! The app origin: serves a built app directory with a generated `config.json` that points
//! the app at this emulator, adds the emulator's origins to `index.html`'s
//! Content-Security-Policy `connect-src`, and sends the response headers that
//! `docs/hosting.md` asks every host to send.

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

/// The Genesys Cloud environments whose web interface (`https://apps.{env}`) may show the
/// app in a frame, as a Client Application: the 18 regions that `docs/hosting.md` lists.
pub const GENESYS_ENVIRONMENTS: [&str; 18] = [
    "mypurecloud.com",
    "mypurecloud.ie",
    "mypurecloud.com.au",
    "mypurecloud.jp",
    "mypurecloud.de",
    "usw2.pure.cloud",
    "cac1.pure.cloud",
    "apne2.pure.cloud",
    "euw2.pure.cloud",
    "aps1.pure.cloud",
    "use2.us-gov-pure.cloud",
    "sae1.pure.cloud",
    "mec1.pure.cloud",
    "apne3.pure.cloud",
    "euc2.pure.cloud",
    "mxc1.pure.cloud",
    "apse1.pure.cloud",
    "edee1.eusc-pure.cloud",
];

/// The `Content-Security-Policy` header of every app response: only the app's own origin and
/// Genesys Cloud's web interface may frame the page. A `<meta>` policy cannot say this, so a
/// host must send it as a header; the emulator does the same so that the browser tests run
/// the page under it.
pub fn frame_ancestors_policy() -> String {
    let origins: Vec<String> = GENESYS_ENVIRONMENTS
        .iter()
        .map(|env| format!("https://apps.{env}"))
        .collect();
    format!("frame-ancestors 'self' {}", origins.join(" "))
}

/// Browsers keep to HTTPS for a year once they have seen this over HTTPS. They ignore it over
/// plain HTTP, as the emulator serves, so it changes nothing locally; it is sent so that the
/// emulator's responses carry every header a host should send.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

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
            header::CONTENT_SECURITY_POLICY,
            frame_ancestors_value(),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ))
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

fn frame_ancestors_value() -> HeaderValue {
    // Built from fixed ASCII host names, so it is always a valid header value.
    HeaderValue::from_str(&frame_ancestors_policy())
        .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'self'"))
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
    fn frame_ancestors_name_self_and_the_apps_host_of_every_region() {
        let policy = frame_ancestors_policy();
        assert!(policy.starts_with("frame-ancestors 'self' https://apps.mypurecloud.com "));
        assert!(
            policy.ends_with(" https://apps.edee1.eusc-pure.cloud"),
            "{policy}"
        );
        assert_eq!(policy.split_whitespace().count(), 2 + 18);
        assert!(HeaderValue::from_str(&policy).is_ok());
    }

    /// The hosting guide and the emulator must name the same origins, so that the browser
    /// tests run the page under the policy that hosts are told to send.
    #[test]
    fn frame_ancestors_match_the_hosting_guide() {
        let guide = include_str!("../../../docs/hosting.md");
        let documented = guide
            .lines()
            .find(|line| line.starts_with("frame-ancestors https://apps."))
            .expect("docs/hosting.md lists every region's frame-ancestors");
        let ours = frame_ancestors_policy().replace("'self' ", "");
        assert_eq!(documented, ours);
    }

    /// Every region whose `api.` host the page's own policy may reach may also frame it.
    #[test]
    fn frame_ancestors_cover_the_regions_of_the_page_policy() {
        let index = include_str!("../../../index.html");
        let api_hosts = index
            .split_whitespace()
            .filter_map(|source| source.strip_prefix("https://api."))
            .count();
        assert_eq!(api_hosts, GENESYS_ENVIRONMENTS.len());
        for env in GENESYS_ENVIRONMENTS {
            assert!(index.contains(&format!("https://api.{env} ")), "{env}");
        }
    }

    #[test]
    fn origins_already_present_are_not_repeated() {
        let html = r#"<meta http-equiv="Content-Security-Policy" content="connect-src http://127.0.0.1:4000">"#;
        assert_eq!(add_connect_origins(html, &origins()), html);
    }
}
