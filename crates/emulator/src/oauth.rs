//! The login origin: the authorize page (authorization code with PKCE, or implicit), the
//! token endpoint (authorization code and client credentials), and logout.
//!
//! Nothing here ever redirects to a URI that is not registered, exactly, for the client:
//! such requests get an error page instead.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, routing::post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::state::{AppState, CODE_LIFETIME, CodeRecord};

/// The login routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize_page).post(authorize_decision),
        )
        .route("/oauth/token", post(token))
        .route("/logout", get(logout))
}

/// The parameters of `/oauth/authorize`, and of the sign-in page's form that repeats them.
#[derive(Clone, Debug, Default, Deserialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    org: Option<String>,
    provider: Option<String>,
    target: Option<String>,
    login_hint: Option<String>,
    prompt: Option<String>,
    /// Set by the page's "Sign in as" buttons.
    user_id: Option<String>,
    /// Set by the page's "Deny" button.
    deny: Option<String>,
}

/// How the authorize request will answer once the client and redirect URI are trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grant {
    Code,
    Implicit,
}

/// A failure of the authorize request.
enum AuthorizeFailure {
    /// The client or redirect URI cannot be trusted: show a page, never redirect.
    Page(String),
    /// The redirect URI is trusted: send the error back to it.
    Redirect {
        error: &'static str,
        description: String,
    },
}

/// Checks an authorize request and returns the grant it asks for.
fn check_authorize(state: &AppState, params: &AuthorizeParams) -> Result<Grant, AuthorizeFailure> {
    let client_id = params.client_id.as_deref().unwrap_or_default();
    let redirect_uri = params.redirect_uri.as_deref().unwrap_or_default();
    {
        let org = state.org();
        if !org.browser_clients.contains_key(client_id) {
            return Err(AuthorizeFailure::Page(format!(
                "The client id '{client_id}' is not registered."
            )));
        }
        if !org.is_registered_redirect(client_id, redirect_uri) {
            return Err(AuthorizeFailure::Page(format!(
                "The redirect URI '{redirect_uri}' is not registered for this client."
            )));
        }
    }

    let invalid = |description: &str| AuthorizeFailure::Redirect {
        error: "invalid_request",
        description: description.to_owned(),
    };
    if params.org.is_some() != params.provider.is_some() {
        return Err(invalid("org and provider must be given together."));
    }
    match params.response_type.as_deref() {
        Some("token") => Ok(Grant::Implicit),
        Some("code") => {
            if params.code_challenge.as_deref().is_none_or(str::is_empty) {
                return Err(invalid("code_challenge is required (PKCE)."));
            }
            if params.code_challenge_method.as_deref() != Some("S256") {
                return Err(invalid("code_challenge_method must be S256."));
            }
            Ok(Grant::Code)
        }
        _ => Err(AuthorizeFailure::Redirect {
            error: "unsupported_response_type",
            description: "response_type must be code or token.".into(),
        }),
    }
}

/// Appends `pairs` to `redirect_uri`, in the query for codes or the fragment for tokens.
fn redirect_back(redirect_uri: &str, grant: Grant, pairs: &[(&str, &str)]) -> Response {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    let encoded = serializer.finish();
    let location = match grant {
        Grant::Implicit => format!("{redirect_uri}#{encoded}"),
        Grant::Code if redirect_uri.contains('?') => format!("{redirect_uri}&{encoded}"),
        Grant::Code => format!("{redirect_uri}?{encoded}"),
    };
    Redirect::to(&location).into_response()
}

fn failure_response(params: &AuthorizeParams, failure: AuthorizeFailure) -> Response {
    match failure {
        AuthorizeFailure::Page(message) => error_page(&message),
        AuthorizeFailure::Redirect { error, description } => {
            let grant = if params.response_type.as_deref() == Some("token") {
                Grant::Implicit
            } else {
                Grant::Code
            };
            let mut pairs = vec![
                ("error", error),
                ("error_description", description.as_str()),
            ];
            if let Some(state) = params.state.as_deref() {
                pairs.push(("state", state));
            }
            redirect_back(
                params.redirect_uri.as_deref().unwrap_or_default(),
                grant,
                &pairs,
            )
        }
    }
}

/// `GET /oauth/authorize`: the sign-in page listing the seeded users.
async fn authorize_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params: AuthorizeParams =
        match serde_urlencoded::from_str(query.as_deref().unwrap_or_default()) {
            Ok(params) => params,
            Err(_) => return error_page("The sign-in request could not be read."),
        };
    if let Err(failure) = check_authorize(&state, &params) {
        return failure_response(&params, failure);
    }
    Html(sign_in_page(&state, &params)).into_response()
}

/// `POST /oauth/authorize`: the choice made on the sign-in page.
async fn authorize_decision(State(state): State<AppState>, body: Bytes) -> Response {
    let params: AuthorizeParams = match serde_urlencoded::from_bytes(&body) {
        Ok(params) => params,
        Err(_) => return error_page("The sign-in form could not be read."),
    };
    let grant = match check_authorize(&state, &params) {
        Ok(grant) => grant,
        Err(failure) => return failure_response(&params, failure),
    };
    let redirect_uri = params.redirect_uri.clone().unwrap_or_default();
    let state_param = params.state.clone();

    if params.deny.is_some() {
        let mut pairs = vec![
            ("error", "access_denied"),
            ("error_description", "The user denied the sign-in request."),
        ];
        if let Some(value) = state_param.as_deref() {
            pairs.push(("state", value));
        }
        return redirect_back(&redirect_uri, grant, &pairs);
    }

    let user_id = params.user_id.clone().unwrap_or_default();
    let client_id = params.client_id.clone().unwrap_or_default();
    let mut org = state.org();
    if org.user(&user_id).is_none() {
        drop(org);
        return error_page("The chosen user does not exist.");
    }

    match grant {
        Grant::Code => {
            let code = uuid::Uuid::new_v4().simple().to_string();
            org.codes.insert(
                code.clone(),
                CodeRecord {
                    client_id,
                    redirect_uri: redirect_uri.clone(),
                    code_challenge: params.code_challenge.clone().unwrap_or_default(),
                    user_id,
                    issued_at: Instant::now(),
                },
            );
            drop(org);
            let mut pairs = vec![("code", code.as_str())];
            if let Some(value) = state_param.as_deref() {
                pairs.push(("state", value));
            }
            redirect_back(&redirect_uri, grant, &pairs)
        }
        Grant::Implicit => {
            let token = org.issue_token(&user_id, &client_id, state.token_ttl());
            drop(org);
            let expires_in = state.token_ttl().as_secs().to_string();
            let mut pairs = vec![
                ("access_token", token.as_str()),
                ("token_type", "bearer"),
                ("expires_in", expires_in.as_str()),
            ];
            if let Some(value) = state_param.as_deref() {
                pairs.push(("state", value));
            }
            redirect_back(&redirect_uri, grant, &pairs)
        }
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}\
         button{{display:block;width:100%;margin:.5rem 0;padding:.7rem;font-size:1rem;cursor:pointer}}\
         .deny{{background:#fff;border:1px solid #a00;color:#a00}}</style></head>\
         <body><main>{body}</main></body></html>\n",
        title = text(title),
    )
}

fn sign_in_page(state: &AppState, params: &AuthorizeParams) -> String {
    let hidden: String = [
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("response_type", &params.response_type),
        ("state", &params.state),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
        ("org", &params.org),
        ("provider", &params.provider),
        ("target", &params.target),
        ("login_hint", &params.login_hint),
        ("prompt", &params.prompt),
    ]
    .iter()
    .filter_map(|(name, value)| {
        let value = value.as_deref()?;
        Some(format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            attr(value)
        ))
    })
    .collect();

    // A login hint naming a user's email moves that user to the top, as a real login page
    // would pre-fill the account.
    let hint = params
        .login_hint
        .as_deref()
        .unwrap_or_default()
        .to_lowercase();
    let mut users = state.org().users.clone();
    users.sort_by_key(|user| {
        !user
            .email
            .as_deref()
            .is_some_and(|email| !hint.is_empty() && hint.starts_with(&email.to_lowercase()))
    });

    let buttons: String = users
        .iter()
        .map(|user| {
            format!(
                "<button type=\"submit\" name=\"user_id\" value=\"{}\">Sign in as {}</button>",
                attr(&user.id),
                text(&user.name)
            )
        })
        .collect();
    let client = params.client_id.as_deref().unwrap_or_default();
    let body = format!(
        "<h1>Sign in to {org}</h1><p>The application <code>{client}</code> asks to use the Genesys Cloud API as you.</p>\
         <form method=\"post\" action=\"/oauth/authorize\">{hidden}{buttons}\
         <button type=\"submit\" class=\"deny\" name=\"deny\" value=\"true\">Deny</button></form>",
        org = text(crate::seed::ORG_NAME),
        client = text(client),
    );
    page("Sign in", &body)
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<h1>Sign-in error</h1><p role=\"alert\">{}</p>",
        text(message)
    );
    (StatusCode::BAD_REQUEST, Html(page("Sign-in error", &body))).into_response()
}

/// An OAuth error answered as `{error, error_description}` with status 400.
fn token_error(error: &str, description: &str) -> Response {
    tracing::debug!(error, description, "token request refused");
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

/// `POST /oauth/token` (form-encoded).
async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<TokenForm>(&body) else {
        return token_error(
            "invalid_request",
            "The token request body could not be read.",
        );
    };
    let result = match form.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(&state, &form),
        Some("client_credentials") => client_credentials(&state, &headers),
        Some(other) => Err((
            "unsupported_grant_type",
            format!("The grant type '{other}' is not supported."),
        )),
        None => Err(("invalid_request", "grant_type is required.".to_owned())),
    };
    match result {
        Ok(token) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": state.token_ttl().as_secs(),
            })),
        )
            .into_response(),
        Err((error, description)) => token_error(error, &description),
    }
}

type TokenResult = Result<String, (&'static str, String)>;

fn exchange_code(state: &AppState, form: &TokenForm) -> TokenResult {
    let missing = |field: &str| ("invalid_request", format!("{field} is required."));
    let code = form.code.as_deref().ok_or_else(|| missing("code"))?;
    let client_id = form
        .client_id
        .as_deref()
        .ok_or_else(|| missing("client_id"))?;
    let redirect_uri = form
        .redirect_uri
        .as_deref()
        .ok_or_else(|| missing("redirect_uri"))?;
    let verifier = form
        .code_verifier
        .as_deref()
        .ok_or_else(|| missing("code_verifier"))?;

    let mut org = state.org();
    if !org.browser_clients.contains_key(client_id) {
        return Err((
            "invalid_client",
            format!("The client id '{client_id}' is not registered."),
        ));
    }
    // A code is consumed by its first exchange attempt, successful or not.
    let record = org.codes.remove(code).ok_or_else(|| {
        (
            "invalid_grant",
            "The authorization code is invalid or was already used.".to_owned(),
        )
    })?;

    let invalid_grant = |description: &str| ("invalid_grant", description.to_owned());
    if record.issued_at.elapsed() > CODE_LIFETIME {
        return Err(invalid_grant("The authorization code has expired."));
    }
    if record.client_id != client_id {
        return Err(invalid_grant(
            "The authorization code was issued to another client.",
        ));
    }
    if record.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            "The redirect_uri does not match the one used to authorize.",
        ));
    }
    if !verifier_matches(verifier, &record.code_challenge) {
        return Err(invalid_grant(
            "The code_verifier does not match the code_challenge.",
        ));
    }
    Ok(org.issue_token(&record.user_id, client_id, state.token_ttl()))
}

/// Whether `verifier` (43 to 128 unreserved characters) hashes to `challenge` under S256.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

fn client_credentials(state: &AppState, headers: &HeaderMap) -> TokenResult {
    let invalid_client = || ("invalid_client", "Client authentication failed.".to_owned());
    let encoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Basic ")
                .or_else(|| value.strip_prefix("basic "))
        })
        .ok_or_else(invalid_client)?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid_client())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid_client())?;
    let (client_id, secret) = decoded.split_once(':').ok_or_else(invalid_client)?;

    let mut org = state.org();
    let principal_id = match org.credentials_clients.get(client_id) {
        Some(client) if client.secret == secret => client.principal.id.clone(),
        _ => return Err(invalid_client()),
    };
    Ok(org.issue_token(&principal_id, client_id, state.token_ttl()))
}

#[derive(Debug, Default, Deserialize)]
struct LogoutParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
}

/// `GET /logout`: back to a registered `redirect_uri`, or a small "signed out" page.
async fn logout(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params: LogoutParams =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    if let (Some(client_id), Some(redirect_uri)) = (&params.client_id, &params.redirect_uri)
        && state.org().is_registered_redirect(client_id, redirect_uri)
    {
        return Redirect::to(redirect_uri).into_response();
    }
    Html(page(
        "Signed out",
        "<h1>Signed out</h1><p>You are signed out of the emulated Genesys Cloud.</p>",
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_matches_only_its_own_s256_challenge() {
        assert!(verifier_matches(
            "dBjftJeZ4CVP-mJ92IgAX6IwJ3hZBIzI4PFqpY1ntQA",
            "J7O7oqAvlXd8J2VTm5-59XxjRm4rfYg-YRYCzVWGSOY"
        ));
        assert!(!verifier_matches(
            "dBjftJeZ4CVP-mJ92IgAX6IwJ3hZBIzI4PFqpY1ntQB",
            "J7O7oqAvlXd8J2VTm5-59XxjRm4rfYg-YRYCzVWGSOY"
        ));
    }

    #[test]
    fn short_verifiers_are_refused_even_when_they_hash_right() {
        let short = "abc";
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(short.as_bytes()));
        assert!(!verifier_matches(short, &challenge));
    }
}
