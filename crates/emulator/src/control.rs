//! The control API for tests and demos, under `/emulator/…` on the API origin and answered
//! only to loopback peers: tokens without a browser, quirks, faults, forced 429 bursts,
//! edits "by another admin", stored-state reads, counters, reset and the app's config.
//!
//! The same operations are methods of [`Control`], which [`crate::Emulator`] exposes in
//! process.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::api::View;
use crate::audit::{Actor, AuditAction, AuditEntity, Change};
use crate::faults::Faults;
use crate::model::{ActionBody, StoredAction};
use crate::quirks::Quirk;
use crate::state::{AppState, RequestCounts};

/// A control operation that names something that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("no seeded user has id `{0}`")]
    UnknownUser(String),
    #[error("no client-credentials client has id `{0}`")]
    UnknownClient(String),
    #[error("no action has id `{0}`")]
    UnknownAction(String),
    #[error("action `{0}` has no draft")]
    NoDraft(String),
    #[error("no token `{0}` was issued")]
    UnknownToken(String),
    #[error("bad control request: {0}")]
    BadRequest(String),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            ControlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::NOT_FOUND,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// A token issued without the browser, shaped like the token endpoint's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

/// What "another admin" changes on an action or draft. The version is always bumped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdminEdit {
    pub timeout: TimeoutEdit,
    pub name: Option<String>,
}

/// How an [`AdminEdit`] treats the timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeoutEdit {
    #[default]
    Keep,
    Set(u32),
    Clear,
}

impl AdminEdit {
    /// Reads `{"timeoutSeconds": 12 | null, "name": "…"}` (both optional).
    fn from_json(body: &Map<String, Value>) -> Result<Self, ControlError> {
        let timeout = match body.get("timeoutSeconds") {
            None => TimeoutEdit::Keep,
            Some(Value::Null) => TimeoutEdit::Clear,
            Some(value) => value
                .as_u64()
                .and_then(|seconds| u32::try_from(seconds).ok())
                .map(TimeoutEdit::Set)
                .ok_or_else(|| {
                    ControlError::BadRequest("timeoutSeconds must be a whole number or null".into())
                })?,
        };
        let name = match body.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => return Err(ControlError::BadRequest("name must be a string".into())),
        };
        Ok(AdminEdit { timeout, name })
    }

    fn apply(&self, body: &mut ActionBody) {
        match self.timeout {
            TimeoutEdit::Keep => {}
            TimeoutEdit::Set(seconds) => body.config.timeout_seconds = Some(seconds),
            TimeoutEdit::Clear => body.config.timeout_seconds = None,
        }
        if let Some(name) = &self.name {
            body.name = name.clone();
        }
        body.version += 1;
    }
}

/// The control operations over one emulator's state.
#[derive(Clone, Debug)]
pub struct Control {
    state: AppState,
}

impl Control {
    pub fn new(state: AppState) -> Self {
        Control { state }
    }

    /// Issues a token for a seeded user, as if they had signed in with the demo browser
    /// client.
    pub fn issue_user_token(&self, user_id: &str) -> Result<IssuedToken, ControlError> {
        let mut org = self.state.org();
        if org.user(user_id).is_none() {
            return Err(ControlError::UnknownUser(user_id.to_owned()));
        }
        let token = org.issue_token(
            user_id,
            crate::seed::DEMO_BROWSER_CLIENT_ID,
            self.state.token_ttl(),
        );
        Ok(self.issued(token))
    }

    /// Issues a token for a client-credentials client.
    pub fn issue_client_token(&self, client_id: &str) -> Result<IssuedToken, ControlError> {
        let mut org = self.state.org();
        let principal_id = org
            .credentials_clients
            .get(client_id)
            .map(|client| client.principal.id.clone())
            .ok_or_else(|| ControlError::UnknownClient(client_id.to_owned()))?;
        let token = org.issue_token(&principal_id, client_id, self.state.token_ttl());
        Ok(self.issued(token))
    }

    fn issued(&self, access_token: String) -> IssuedToken {
        IssuedToken {
            access_token,
            token_type: "bearer".into(),
            expires_in: self.state.token_ttl().as_secs(),
        }
    }

    /// Makes a token expired: later calls get 401 `credentials.expired`.
    pub fn expire_token(&self, token: &str) -> Result<(), ControlError> {
        let mut org = self.state.org();
        let record = org
            .tokens
            .get_mut(token)
            .ok_or_else(|| ControlError::UnknownToken(token.to_owned()))?;
        record.expires_at = Instant::now();
        Ok(())
    }

    /// Expires every issued token.
    pub fn expire_all_tokens(&self) {
        let now = Instant::now();
        for record in self.state.org().tokens.values_mut() {
            record.expires_at = now;
        }
    }

    /// Revokes a token: later calls get 401 `bad.credentials`.
    pub fn revoke_token(&self, token: &str) -> Result<(), ControlError> {
        let mut org = self.state.org();
        let record = org
            .tokens
            .get_mut(token)
            .ok_or_else(|| ControlError::UnknownToken(token.to_owned()))?;
        record.revoked = true;
        Ok(())
    }

    pub fn quirks(&self) -> Vec<Quirk> {
        self.state.org().quirks.iter().copied().collect()
    }

    /// Replaces the whole set of active quirks.
    pub fn set_quirks(&self, quirks: &[Quirk]) {
        self.state.org().quirks = quirks.iter().copied().collect();
    }

    pub fn enable_quirk(&self, quirk: Quirk) {
        self.state.org().quirks.insert(quirk);
    }

    pub fn disable_quirk(&self, quirk: Quirk) {
        self.state.org().quirks.remove(&quirk);
    }

    pub fn faults(&self) -> Faults {
        self.state.org().faults.settings().clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state.org().faults.set(faults);
    }

    /// Makes the next `count` API calls answer 429 with `Retry-After: retry_after_seconds`.
    pub fn force_rate_limit_burst(&self, count: u32, retry_after_seconds: u64) {
        self.state
            .org()
            .limiter
            .force_burst(count, retry_after_seconds);
    }

    /// Changes a published action as another admin would; returns its new version.
    /// The edit is audited as an `Update` of the `Action` by [`crate::audit::OTHER_ADMIN_ID`].
    pub fn edit_action(&self, action_id: &str, edit: &AdminEdit) -> Result<u64, ControlError> {
        let mut org = self.state.org();
        let action = org
            .action_mut(action_id)
            .ok_or_else(|| ControlError::UnknownAction(action_id.to_owned()))?;
        let before = action.published.clone();
        edit.apply(&mut action.published);
        let after = action.published.clone();
        org.audit(
            Actor::other_admin(),
            Change {
                action: AuditAction::Update,
                entity_type: AuditEntity::Action,
                action_id,
                before: Some(&before),
                after: Some(&after),
            },
        );
        Ok(after.version)
    }

    /// Changes an action's draft as another admin would; returns the draft's new version.
    pub fn edit_draft(&self, action_id: &str, edit: &AdminEdit) -> Result<u64, ControlError> {
        let mut org = self.state.org();
        let action = org
            .action_mut(action_id)
            .ok_or_else(|| ControlError::UnknownAction(action_id.to_owned()))?;
        let draft = action
            .draft
            .as_mut()
            .ok_or_else(|| ControlError::NoDraft(action_id.to_owned()))?;
        let before = draft.clone();
        edit.apply(draft);
        let after = draft.clone();
        org.audit(
            Actor::other_admin(),
            Change {
                action: AuditAction::Update,
                entity_type: AuditEntity::ActionDraft,
                action_id,
                before: Some(&before),
                after: Some(&after),
            },
        );
        Ok(after.version)
    }

    /// Makes the next test of the action simulate exactly `ms` milliseconds (then the
    /// profile draws again).
    pub fn force_next_test_ms(&self, action_id: &str, ms: u64) -> Result<(), ControlError> {
        let mut org = self.state.org();
        if org.action(action_id).is_none() {
            return Err(ControlError::UnknownAction(action_id.to_owned()));
        }
        org.forced_test_ms.insert(action_id.to_owned(), ms);
        Ok(())
    }

    /// The audit trail as the realtime audit query renders it (user names included),
    /// oldest first.
    pub fn audit_entries(&self) -> Vec<Value> {
        self.state
            .org()
            .audit
            .records()
            .iter()
            .map(|record| record.render(true))
            .collect()
    }

    /// The stored published action: every field, config and contract included, templates
    /// inline.
    pub fn stored_action(&self, action_id: &str) -> Result<Value, ControlError> {
        let org = self.state.org();
        let action = org
            .action(action_id)
            .ok_or_else(|| ControlError::UnknownAction(action_id.to_owned()))?;
        Ok(stored_json(action, &action.published, false))
    }

    /// The stored draft, like [`Control::stored_action`].
    pub fn stored_draft(&self, action_id: &str) -> Result<Value, ControlError> {
        let org = self.state.org();
        let action = org
            .action(action_id)
            .ok_or_else(|| ControlError::UnknownAction(action_id.to_owned()))?;
        let draft = action
            .draft
            .as_ref()
            .ok_or_else(|| ControlError::NoDraft(action_id.to_owned()))?;
        Ok(stored_json(action, draft, true))
    }

    /// Everything stored about an action: `{action, draft, latencyProfile, templatesByUri}`.
    pub fn stored_record(&self, action_id: &str) -> Result<Value, ControlError> {
        let org = self.state.org();
        let action = org
            .action(action_id)
            .ok_or_else(|| ControlError::UnknownAction(action_id.to_owned()))?;
        Ok(json!({
            "action": stored_json(action, &action.published, false),
            "draft": action.draft.as_ref().map(|draft| stored_json(action, draft, true)),
            "latencyProfile": action.latency,
            "templatesByUri": action.templates_by_uri,
            "testRuns": org.test_runs.get(action_id).copied().unwrap_or(0),
        }))
    }

    pub fn request_counts(&self) -> RequestCounts {
        self.state.org().counts.clone()
    }

    /// Back to the seeded organisation (see [`AppState::reset`]).
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Merges `patch` into the app's `config.json` (JSON merge-patch: `null` removes a key).
    pub fn patch_app_config(&self, patch: &Map<String, Value>) {
        merge(&mut self.state.org().app_config_overrides, patch);
    }

    /// Drops every `config.json` override.
    pub fn clear_app_config(&self) {
        self.state.org().app_config_overrides.clear();
    }

    /// The app's `config.json` as it is currently served.
    pub fn app_config(&self) -> Value {
        crate::app::config_json(&self.state)
    }
}

fn stored_json(action: &StoredAction, body: &ActionBody, draft: bool) -> Value {
    let inline = StoredAction {
        templates_by_uri: false,
        ..action.clone()
    };
    let view = View {
        include_config: true,
        include_contract: true,
        templates_as_uris: false,
    };
    crate::api::render_action(&inline, body, draft, view)
}

/// RFC 7386 merge of `patch` into `target`.
pub fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(inner) => {
                let slot = target
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(slot) = slot {
                    merge(slot, inner);
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// The `/emulator` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/emulator/state", get(get_state))
        .route("/emulator/reset", post(reset))
        .route("/emulator/quirks", get(get_quirks).put(put_quirks))
        .route(
            "/emulator/quirks/{name}",
            put(enable_quirk).delete(disable_quirk),
        )
        .route(
            "/emulator/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route("/emulator/rate-limit/burst", post(burst))
        .route("/emulator/tokens", post(issue_token))
        .route("/emulator/tokens/expire-all", post(expire_all))
        .route("/emulator/tokens/{token}/expire", post(expire_token))
        .route("/emulator/tokens/{token}/revoke", post(revoke_token))
        .route("/emulator/actions/{action_id}", get(get_action))
        .route("/emulator/actions/{action_id}/edit", post(edit_action))
        .route("/emulator/actions/{action_id}/draft/edit", post(edit_draft))
        .route(
            "/emulator/actions/{action_id}/next-test-ms",
            post(next_test_ms),
        )
        .route("/emulator/audit", get(get_audit))
        .route("/emulator/requests", get(get_requests))
        .route(
            "/emulator/app-config",
            get(get_app_config)
                .patch(patch_app_config)
                .delete(clear_app_config),
        )
}

/// Refuses control requests from peers that are not on loopback. Requests that did not come
/// through a socket (in-process tests) carry no peer and are allowed.
pub async fn loopback_only(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    if request.uri().path().starts_with("/emulator")
        && peer.is_some_and(|peer| !peer.ip().is_loopback())
    {
        tracing::warn!(?peer, "control request from a non-loopback peer refused");
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "the control API answers loopback peers only" })),
        )
            .into_response();
    }
    next.run(request).await
}

fn control(state: AppState) -> Control {
    Control::new(state)
}

fn object(body: &axum::body::Bytes) -> Result<Map<String, Value>, ControlError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ControlError::BadRequest(
            "the body must be a JSON object".into(),
        )),
    }
}

async fn get_state(State(state): State<AppState>) -> Json<Value> {
    let control = control(state.clone());
    Json(json!({
        "quirks": control.quirks(),
        "faults": control.faults(),
        "rateLimitPerMinute": state.config().rate_limit_per_minute,
        "tokenTtlSeconds": state.config().token_ttl_seconds,
        "requests": control.request_counts(),
        "urls": { "api": state.urls().api, "login": state.urls().login, "app": state.urls().app },
    }))
}

async fn reset(State(state): State<AppState>) -> StatusCode {
    control(state).reset();
    StatusCode::NO_CONTENT
}

async fn get_quirks(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "quirks": control(state).quirks() }))
}

#[derive(Deserialize)]
struct QuirkList {
    quirks: Vec<Quirk>,
}

async fn put_quirks(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ControlError> {
    let list: QuirkList = serde_json::from_slice(&body).map_err(|error| {
        ControlError::BadRequest(format!("expected {{\"quirks\": [names]}}: {error}"))
    })?;
    let control = control(state);
    control.set_quirks(&list.quirks);
    Ok(Json(json!({ "quirks": control.quirks() })))
}

async fn enable_quirk(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let quirk: Quirk = name.parse().map_err(|error: crate::quirks::UnknownQuirk| {
        ControlError::BadRequest(error.to_string())
    })?;
    let control = control(state);
    control.enable_quirk(quirk);
    Ok(Json(json!({ "quirks": control.quirks() })))
}

async fn disable_quirk(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let quirk: Quirk = name.parse().map_err(|error: crate::quirks::UnknownQuirk| {
        ControlError::BadRequest(error.to_string())
    })?;
    let control = control(state);
    control.disable_quirk(quirk);
    Ok(Json(json!({ "quirks": control.quirks() })))
}

async fn get_faults(State(state): State<AppState>) -> Json<Faults> {
    Json(control(state).faults())
}

async fn put_faults(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Faults>, ControlError> {
    let faults: Faults = serde_json::from_slice(&body)
        .map_err(|error| ControlError::BadRequest(format!("bad faults: {error}")))?;
    let control = control(state);
    control.set_faults(faults);
    Ok(Json(control.faults()))
}

async fn clear_faults(State(state): State<AppState>) -> Json<Faults> {
    let control = control(state);
    control.set_faults(Faults::default());
    Json(control.faults())
}

async fn burst(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ControlError> {
    let body = object(&body)?;
    let count = body
        .get("count")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ControlError::BadRequest("count must be a whole number".into()))?;
    let retry_after = body.get("retryAfter").and_then(Value::as_u64).unwrap_or(1);
    control(state).force_rate_limit_burst(count, retry_after);
    Ok(StatusCode::NO_CONTENT)
}

async fn issue_token(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<IssuedToken>, ControlError> {
    let body = object(&body)?;
    let control = control(state);
    match (
        body.get("userId").and_then(Value::as_str),
        body.get("clientId").and_then(Value::as_str),
    ) {
        (Some(user), None) => control.issue_user_token(user).map(Json),
        (None, Some(client)) => control.issue_client_token(client).map(Json),
        _ => Err(ControlError::BadRequest(
            "give exactly one of userId or clientId".into(),
        )),
    }
}

async fn expire_all(State(state): State<AppState>) -> StatusCode {
    control(state).expire_all_tokens();
    StatusCode::NO_CONTENT
}

async fn expire_token(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<StatusCode, ControlError> {
    control(state)
        .expire_token(&token)
        .map(|()| StatusCode::NO_CONTENT)
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<StatusCode, ControlError> {
    control(state)
        .revoke_token(&token)
        .map(|()| StatusCode::NO_CONTENT)
}

async fn get_action(
    State(state): State<AppState>,
    Path(action_id): Path<String>,
) -> Result<Json<Value>, ControlError> {
    control(state).stored_record(&action_id).map(Json)
}

async fn edit_action(
    State(state): State<AppState>,
    Path(action_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ControlError> {
    let edit = AdminEdit::from_json(&object(&body)?)?;
    let version = control(state).edit_action(&action_id, &edit)?;
    Ok(Json(json!({ "version": version })))
}

async fn edit_draft(
    State(state): State<AppState>,
    Path(action_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ControlError> {
    let edit = AdminEdit::from_json(&object(&body)?)?;
    let version = control(state).edit_draft(&action_id, &edit)?;
    Ok(Json(json!({ "version": version })))
}

async fn next_test_ms(
    State(state): State<AppState>,
    Path(action_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ControlError> {
    let ms = object(&body)?
        .get("ms")
        .and_then(Value::as_u64)
        .ok_or_else(|| ControlError::BadRequest("ms must be a whole number".into()))?;
    control(state).force_next_test_ms(&action_id, ms)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_audit(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "entities": control(state).audit_entries() }))
}

async fn get_requests(State(state): State<AppState>) -> Json<RequestCounts> {
    Json(control(state).request_counts())
}

async fn get_app_config(State(state): State<AppState>) -> Json<Value> {
    Json(control(state).app_config())
}

async fn patch_app_config(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ControlError> {
    let patch = object(&body)?;
    let control = control(state);
    control.patch_app_config(&patch);
    Ok(Json(control.app_config()))
}

async fn clear_app_config(State(state): State<AppState>) -> Json<Value> {
    let control = control(state);
    control.clear_app_config();
    Json(control.app_config())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_sets_replaces_and_removes_keys() {
        let mut target = json!({"grant": "pkce", "emulator": {"apiBase": "a", "loginBase": "b"}})
            .as_object()
            .unwrap()
            .clone();
        let patch = json!({"grant": "implicit", "emulator": {"loginBase": null}, "extra": 1})
            .as_object()
            .unwrap()
            .clone();
        merge(&mut target, &patch);
        assert_eq!(
            Value::Object(target),
            json!({"grant": "implicit", "emulator": {"apiBase": "a"}, "extra": 1})
        );
    }

    #[test]
    fn admin_edits_read_set_clear_and_keep() {
        let set = AdminEdit::from_json(json!({"timeoutSeconds": 12}).as_object().unwrap()).unwrap();
        assert_eq!(set.timeout, TimeoutEdit::Set(12));
        let clear =
            AdminEdit::from_json(json!({"timeoutSeconds": null}).as_object().unwrap()).unwrap();
        assert_eq!(clear.timeout, TimeoutEdit::Clear);
        let keep = AdminEdit::from_json(&Map::new()).unwrap();
        assert_eq!(keep.timeout, TimeoutEdit::Keep);
        assert!(AdminEdit::from_json(json!({"timeoutSeconds": "x"}).as_object().unwrap()).is_err());
    }
}
