//! Signing in and out: the redirect to Genesys, the return with a code or token, and the
//! session kept in sessionStorage.
//!
//! The access token is kept only in sessionStorage, with its expiry, and only this module
//! reads or writes it. It never enters a URL, a log line or an error message.

use serde::{Deserialize, Serialize};
use timeouts_core::auth::{
    self, AuthError, AuthorizeParams, Callback, PkceVerifier, Verified, parse_token_response,
    token_exchange_request,
};
use timeouts_core::config::{AppConfig, Grant};
use timeouts_core::region::{Environment, Region};
use timeouts_core::transport::Transport;

use crate::client_app;
use crate::storage::{self, Store};
use crate::transport::FetchTransport;

const SESSION_KEY: &str = "dat.session";
const PENDING_SIGN_IN_KEY: &str = "dat.sign-in";
const REGION_KEY: &str = "dat.region";

/// A signed-in session: the token, when it expires, and where it is valid.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    /// Milliseconds since the epoch at which the token stops working, if known.
    pub expires_at_ms: Option<u64>,
    pub environment: Environment,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("environment", &self.environment.name())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// True once the token's lifetime has passed.
    pub fn is_expired(&self) -> bool {
        self.expires_at_ms.is_some_and(|at| now_ms() >= at)
    }

    /// Milliseconds until expiry, if known.
    pub fn remaining_ms(&self) -> Option<u64> {
        self.expires_at_ms.map(|at| at.saturating_sub(now_ms()))
    }
}

/// What sessionStorage holds for a session. The environment is stored by name and checked
/// against the known regions when read back.
#[derive(Serialize, Deserialize)]
struct StoredSession {
    token: String,
    expires_at_ms: Option<u64>,
    environment: String,
}

/// What is kept across the redirect to the sign-in page.
#[derive(Serialize, Deserialize)]
struct PendingSignIn {
    state: String,
    verifier: Option<String>,
    environment: String,
}

/// Why signing in did not produce a session, in words for the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInProblem {
    /// Genesys refused or the person denied consent.
    Refused(String),
    /// The returned `state` did not match: the response may be forged and was ignored.
    StateMismatch,
    /// Something else failed (network, storage, an unexpected answer).
    Failed(String),
}

impl std::fmt::Display for SignInProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignInProblem::Refused(reason) => write!(f, "Sign-in was not completed: {reason}"),
            SignInProblem::StateMismatch => f.write_str(
                "Sign-in was stopped because the answer did not match this browser's sign-in \
                 request. It may have been tampered with. Sign in again.",
            ),
            SignInProblem::Failed(reason) => write!(f, "Sign-in failed: {reason}"),
        }
    }
}

/// The region chosen last time, checked against the known regions (a value that is not a
/// Genesys region is dropped, so stored data cannot point sign-in at another host).
pub fn remembered_region() -> Option<Region> {
    let stored = storage::get(Store::Local, REGION_KEY)?;
    match Region::parse(&stored) {
        Ok(region) => Some(region),
        Err(_) => {
            storage::remove(Store::Local, REGION_KEY);
            None
        }
    }
}

/// Remembers the chosen region for next time.
pub fn remember_region(region: Region) {
    storage::set(Store::Local, REGION_KEY, region.env_host());
}

/// The session from sessionStorage, if one is stored for this deployment and not expired.
pub fn stored_session(config: &AppConfig) -> Option<Session> {
    let stored: StoredSession = storage::get_json(Store::Session, SESSION_KEY)?;
    let environment = environment_named(config, &stored.environment)?;
    let session = Session {
        token: stored.token,
        expires_at_ms: stored.expires_at_ms,
        environment,
    };
    if session.is_expired() {
        forget_session();
        return None;
    }
    Some(session)
}

/// Forgets the session (sign-out, expiry, or a suspicious sign-in answer).
pub fn forget_session() {
    storage::remove(Store::Session, SESSION_KEY);
}

/// Sends the browser to the Genesys sign-in page for `environment`: in this tab, or in a popup
/// when the page is framed (inside Genesys Cloud) and cannot navigate away.
pub fn begin_sign_in(config: &AppConfig, environment: &Environment) -> Result<(), String> {
    let url = prepare_sign_in(config, environment)?;
    if client_app::is_framed() {
        return client_app::open_popup(&url);
    }
    let location = web_sys::window().ok_or("no window")?.location();
    location
        .assign(&url)
        .map_err(|_| "the browser refused to open the sign-in page".to_string())
}

/// Remembers a fresh `state` (and PKCE verifier) and returns the authorize URL.
fn prepare_sign_in(config: &AppConfig, environment: &Environment) -> Result<String, String> {
    let state = auth::generate_state().map_err(|e| e.to_string())?;
    let redirect_uri = redirect_uri(config);
    let params = AuthorizeParams {
        client_id: &config.client_id,
        redirect_uri: &redirect_uri,
        state: &state,
        identity_provider: config.identity_provider.as_ref(),
    };

    let (url, verifier) = match config.grant {
        Grant::Pkce => {
            let verifier = PkceVerifier::generate().map_err(|e| e.to_string())?;
            let url = auth::pkce_authorize_url(environment, &params, &verifier);
            (url, Some(verifier.as_str().to_string()))
        }
        Grant::Implicit => (auth::implicit_authorize_url(environment, &params), None),
    };

    let pending = PendingSignIn {
        state,
        verifier,
        environment: environment.name(),
    };
    storage::set_json(Store::Session, PENDING_SIGN_IN_KEY, &pending);
    Ok(url)
}

/// Takes a sign-in answer (code, token or error) out of the address, if this page load is a
/// return from the sign-in page, and cleans the address bar at once, before anything else
/// loads, so that no code or token lingers in history or on screen. In the sign-in popup of a
/// framed page, the answer is handed to that page instead, and `Forwarded` says so.
pub fn capture_callback() -> Captured {
    let Some(answer) = client_app::RawAnswer::from_location() else {
        return Captured::Nothing;
    };
    clean_address_bar();
    if client_app::forward_to_opener(&answer) {
        return Captured::Forwarded;
    }
    Captured::Answer(answer.callback())
}

/// What the address held at start-up.
pub enum Captured {
    Nothing,
    /// A sign-in answer for this page.
    Answer(Callback),
    /// This page is a sign-in popup and handed its answer to the page that opened it.
    Forwarded,
}

/// Completes a captured return from the sign-in page: checks `state`, exchanges the code (or
/// takes the implicit token) and stores the session. Returns `Ok(None)` without an answer.
pub async fn complete_sign_in(
    config: &AppConfig,
    callback: Option<Callback>,
) -> Result<Option<Session>, SignInProblem> {
    let Some(callback) = callback else {
        return Ok(None);
    };

    let pending: Option<PendingSignIn> = storage::get_json(Store::Session, PENDING_SIGN_IN_KEY);
    storage::remove(Store::Session, PENDING_SIGN_IN_KEY);

    let verified = callback
        .verify(pending.as_ref().map(|p| p.state.as_str()))
        .map_err(|error| {
            if error == AuthError::StateMismatch {
                forget_session();
                SignInProblem::StateMismatch
            } else {
                SignInProblem::Refused(error.to_string())
            }
        })?;
    let (Some(verified), Some(pending)) = (verified, pending) else {
        return Ok(None);
    };

    let environment = environment_named(config, &pending.environment)
        .ok_or_else(|| SignInProblem::Failed("the chosen region is not known".into()))?;
    let token = match verified {
        Verified::Token(token) => token,
        Verified::Code(code) => {
            exchange_code(config, &environment, &code, pending.verifier).await?
        }
    };

    let session = Session {
        token: token.token,
        expires_at_ms: token.expires_in.map(|seconds| now_ms() + seconds * 1000),
        environment,
    };
    store_session(&session);
    Ok(Some(session))
}

async fn exchange_code(
    config: &AppConfig,
    environment: &Environment,
    code: &str,
    verifier: Option<String>,
) -> Result<auth::AccessToken, SignInProblem> {
    let verifier = verifier
        .and_then(|text| PkceVerifier::from_string(text).ok())
        .ok_or_else(|| SignInProblem::Failed("this browser lost its sign-in request".into()))?;
    let request = token_exchange_request(
        environment,
        &config.client_id,
        &redirect_uri(config),
        code,
        &verifier,
    );

    let response = FetchTransport
        .send(request)
        .await
        .map_err(|_| SignInProblem::Failed("Genesys Cloud could not be reached".into()))?;
    parse_token_response(&response).map_err(|error| match error {
        AuthError::Refused { .. } => SignInProblem::Refused(error.to_string()),
        other => SignInProblem::Failed(other.to_string()),
    })
}

fn store_session(session: &Session) {
    let stored = StoredSession {
        token: session.token.clone(),
        expires_at_ms: session.expires_at_ms,
        environment: session.environment.name(),
    };
    storage::set_json(Store::Session, SESSION_KEY, &stored);
}

/// Finds the environment a stored name refers to: the deployment's emulator, or a known
/// Genesys region. Anything else is refused.
fn environment_named(config: &AppConfig, name: &str) -> Option<Environment> {
    if config.is_emulator() {
        return (name == config.default_environment.name())
            .then(|| config.default_environment.clone());
    }
    Region::parse(name).ok().map(Environment::Genesys)
}

/// The redirect URI registered on the OAuth client: from config, or this page's address.
pub fn redirect_uri(config: &AppConfig) -> String {
    if let Some(uri) = &config.redirect_uri {
        return uri.clone();
    }
    let location = web_sys::window().map(|w| w.location());
    let origin = location
        .as_ref()
        .and_then(|l| l.origin().ok())
        .unwrap_or_default();
    let path = location
        .as_ref()
        .and_then(|l| l.pathname().ok())
        .unwrap_or_else(|| "/".into());
    format!("{origin}{path}")
}

/// Removes `code`, `state`, tokens and errors from the address bar at once, so they are not
/// left in history, bookmarks or a shared screenshot.
fn clean_address_bar() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}
