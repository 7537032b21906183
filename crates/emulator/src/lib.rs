//! An emulator of the Genesys Cloud API subset used by Data Action Timeouts.
//!
//! [`start`] binds a real HTTP server on loopback with the API and login origin (and, given
//! an app directory, a second origin serving the app), seeded with a demo or generated
//! organisation. Tests drive it over HTTP or through the in-process control methods of
//! [`Emulator`]; [`router`] gives the same routes for `oneshot` tests without a socket.

pub mod api;
pub mod app;
pub mod audit;
pub mod config;
pub mod control;
pub mod error;
pub mod faults;
pub mod latency;
pub mod layers;
pub mod limits;
pub mod model;
pub mod oauth;
pub mod quirks;
pub mod seed;
mod server;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

pub use crate::config::{ClientCredentials, ClientRedirect, EmulatorConfig, Seed};
pub use crate::control::{AdminEdit, Control, ControlError, IssuedToken, TimeoutEdit};
pub use crate::error::ApiError;
pub use crate::faults::{FailureMode, Faults};
pub use crate::quirks::Quirk;
pub use crate::state::{AppState, RequestCounts, Urls};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the app directory {0} does not exist or is not a directory")]
    AppDir(PathBuf),
}

/// The API and login routes with every layer, for `state`.
pub fn router(state: AppState) -> Router {
    let cors = layers::cors(&state.config().allowed_origins);
    Router::new()
        .merge(api::routes())
        .merge(oauth::routes())
        .merge(control::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), api::gate))
        .layer(middleware::from_fn(control::loopback_only))
        .layer(cors)
        // Injected 5xx answers are deliberate, so the trace layer reports failures at debug
        // level rather than as errors.
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(Level::DEBUG)))
        .layer(middleware::from_fn(layers::correlation))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("The requested resource was not found.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method.not.allowed",
        "The HTTP method is not allowed on this resource.",
    )
}

/// A running emulator. Dropping it stops the servers too; [`Emulator::shutdown`] also waits
/// for them.
#[derive(Debug)]
pub struct Emulator {
    state: AppState,
    control: Control,
    shutdown: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
}

/// Binds the listeners, seeds the organisation and starts serving.
pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
    let api_listener = bind(config.listen).await?;
    let api_url = url_of(&api_listener, config.listen)?;

    let app = match &config.app_dir {
        Some(dir) if dir.is_dir() => {
            let listener = bind(config.app_listen).await?;
            let url = url_of(&listener, config.app_listen)?;
            Some((dir.clone(), listener, url))
        }
        Some(dir) => return Err(StartError::AppDir(dir.clone())),
        None => None,
    };

    let urls = Urls {
        api: api_url.clone(),
        login: api_url,
        app: app.as_ref().map(|(_, _, url)| url.clone()),
    };
    let state = AppState::new(config, urls);
    let (shutdown, receiver) = watch::channel(false);

    let mut servers = vec![tokio::spawn(server::serve(
        api_listener,
        router(state.clone()),
        receiver.clone(),
    ))];
    if let Some((dir, listener, _)) = app {
        servers.push(tokio::spawn(server::serve(
            listener,
            app::router(state.clone(), dir),
            receiver,
        )));
    }
    tracing::info!(api = %state.urls().api, app = ?state.urls().app, "emulator listening");

    Ok(Emulator {
        control: Control::new(state.clone()),
        state,
        shutdown,
        servers,
    })
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// The base URL of a listener; an unspecified address is reached through loopback.
fn url_of(listener: &TcpListener, requested: SocketAddr) -> Result<String, StartError> {
    let mut addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: requested,
        source,
    })?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Ok(format!("http://{addr}"))
}

impl Emulator {
    /// Base URL of the API, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn api_url(&self) -> &str {
        &self.state.urls().api
    }

    /// Base URL of the login origin (the same listener as the API).
    pub fn login_url(&self) -> &str {
        &self.state.urls().login
    }

    /// Base URL of the app origin, when an app directory is served.
    pub fn app_url(&self) -> Option<&str> {
        self.state.urls().app.as_deref()
    }

    /// Every control operation, as the HTTP control API offers them.
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Issues a token for a seeded user without the browser.
    pub fn issue_user_token(&self, user_id: &str) -> Result<IssuedToken, ControlError> {
        self.control.issue_user_token(user_id)
    }

    /// Issues a token for a client-credentials client.
    pub fn issue_client_token(&self, client_id: &str) -> Result<IssuedToken, ControlError> {
        self.control.issue_client_token(client_id)
    }

    pub fn expire_token(&self, token: &str) -> Result<(), ControlError> {
        self.control.expire_token(token)
    }

    pub fn expire_all_tokens(&self) {
        self.control.expire_all_tokens();
    }

    pub fn revoke_token(&self, token: &str) -> Result<(), ControlError> {
        self.control.revoke_token(token)
    }

    pub fn set_quirks(&self, quirks: &[Quirk]) {
        self.control.set_quirks(quirks);
    }

    pub fn enable_quirk(&self, quirk: Quirk) {
        self.control.enable_quirk(quirk);
    }

    pub fn disable_quirk(&self, quirk: Quirk) {
        self.control.disable_quirk(quirk);
    }

    pub fn set_faults(&self, faults: Faults) {
        self.control.set_faults(faults);
    }

    pub fn clear_faults(&self) {
        self.control.set_faults(Faults::default());
    }

    /// Makes the next `count` API calls answer 429 with this `Retry-After`.
    pub fn force_rate_limit_burst(&self, count: u32, retry_after_seconds: u64) {
        self.control
            .force_rate_limit_burst(count, retry_after_seconds);
    }

    /// Changes an action as another admin would; returns its new version.
    pub fn edit_action(&self, action_id: &str, edit: &AdminEdit) -> Result<u64, ControlError> {
        self.control.edit_action(action_id, edit)
    }

    /// Changes an action's draft as another admin would; returns the draft's new version.
    pub fn edit_draft(&self, action_id: &str, edit: &AdminEdit) -> Result<u64, ControlError> {
        self.control.edit_draft(action_id, edit)
    }

    /// Makes the next test of the action simulate exactly `ms` milliseconds.
    pub fn force_next_test_ms(&self, action_id: &str, ms: u64) -> Result<(), ControlError> {
        self.control.force_next_test_ms(action_id, ms)
    }

    /// The audit trail, oldest first, as `AuditLogMessage`s with user names.
    pub fn audit_entries(&self) -> Vec<Value> {
        self.control.audit_entries()
    }

    /// The stored action with full config and contract, templates inline.
    pub fn stored_action(&self, action_id: &str) -> Result<Value, ControlError> {
        self.control.stored_action(action_id)
    }

    /// The stored draft with full config and contract, templates inline.
    pub fn stored_draft(&self, action_id: &str) -> Result<Value, ControlError> {
        self.control.stored_draft(action_id)
    }

    pub fn request_counts(&self) -> RequestCounts {
        self.control.request_counts()
    }

    pub fn patch_app_config(&self, patch: &Map<String, Value>) {
        self.control.patch_app_config(patch);
    }

    /// Back to the seeded organisation; tokens survive.
    pub fn reset(&self) {
        self.control.reset();
    }

    /// Stops both servers and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for server in std::mem::take(&mut self.servers) {
            if let Err(error) = server.await {
                tracing::warn!(%error, "a server task ended abnormally");
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

#[cfg(test)]
mod tests;
