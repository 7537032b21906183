//! The `/api/v2` surface: routes, the gate every API call passes (latency, faults,
//! authentication, rate limit), and the helpers handlers share.

mod actions;
mod analytics;
mod audits;
mod dependencies;
mod drafts;
mod integrations;
mod interval;
mod listing;
mod org_limits;
mod render;
mod test_run;
mod update;
mod users;

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::faults::FaultDecision;
use crate::limits::Admission;
use crate::model::Principal;
use crate::quirks::Quirk;
use crate::state::AppState;

pub use analytics::MAX_ACTION_PREDICATES;
pub use render::{View, action as render_action};
pub use test_run::{DEFAULT_TIMEOUT_SECONDS, TEST_TIME_SCALE};

/// Permissions that allow reading actions, drafts and templates.
pub const VIEW_ACTIONS: &[&str] = &["integrations:action:view", "bridge:actions:view"];
/// The permission that allows changing actions and drafts.
pub const EDIT_ACTIONS: &[&str] = &["integrations:action:edit"];
/// The permission that allows deleting drafts.
pub const DELETE_ACTIONS: &[&str] = &["integrations:action:delete"];
/// The permission that allows reading integrations.
pub const VIEW_INTEGRATIONS: &[&str] = &["integrations:integration:view"];
/// Permissions that allow testing an action.
pub const EXECUTE_ACTIONS: &[&str] = &["integrations:action:execute", "bridge:actions:execute"];
/// The permission that allows reading the audit trail.
pub const VIEW_AUDITS: &[&str] = &["audits:audit:view"];
/// The permission that allows reading where objects are used.
pub const VIEW_DEPENDENCIES: &[&str] = &["architect:dependencyTracking:view"];

/// The marker a response carries when its connection must be closed without an answer.
/// The server loop sees it and drops the connection; in-process tests can assert on it.
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

/// The `/api/v2` routes (without the gate, which the top-level router adds).
pub fn routes() -> Router<AppState> {
    let actions = "/api/v2/integrations/actions";
    Router::new()
        .route("/api/v2/users/me", get(users::get_me))
        .route(
            "/api/v2/tokens/me",
            get(users::get_token).delete(users::delete_token),
        )
        .route("/api/v2/integrations", get(integrations::list))
        .route(
            "/api/v2/integrations/{integration_id}",
            get(integrations::get_one),
        )
        .route(actions, get(actions::list))
        .route(&format!("{actions}/drafts"), get(drafts::list))
        .route(
            &format!("{actions}/{{action_id}}"),
            get(actions::get_one).patch(actions::patch),
        )
        .route(
            &format!("{actions}/{{action_id}}/templates/{{file_name}}"),
            get(actions::get_template),
        )
        .route(
            &format!("{actions}/{{action_id}}/draft"),
            get(drafts::get_one)
                .post(drafts::create)
                .patch(drafts::patch)
                .delete(drafts::delete),
        )
        .route(
            &format!("{actions}/{{action_id}}/draft/publish"),
            post(drafts::publish),
        )
        .route(
            &format!("{actions}/{{action_id}}/draft/validation"),
            get(drafts::validate),
        )
        .route(
            &format!("{actions}/{{action_id}}/draft/templates/{{file_name}}"),
            get(drafts::get_template),
        )
        .route(
            &format!("{actions}/{{action_id}}/test"),
            post(test_run::run),
        )
        .route(
            "/api/v2/analytics/actions/aggregates/query",
            post(analytics::query),
        )
        .route(
            "/api/v2/audits/query/realtime",
            post(audits::query_realtime),
        )
        .route(
            "/api/v2/architect/dependencytracking/consumingresources",
            get(dependencies::consuming_resources),
        )
        .route(
            "/api/v2/organizations/limits/namespaces",
            get(org_limits::list_namespaces),
        )
        .route(
            "/api/v2/organizations/limits/namespaces/{namespace}",
            get(org_limits::get_namespace),
        )
}

/// The authenticated caller of an API request, put in place by [`gate`].
#[derive(Clone, Debug)]
pub struct Caller {
    pub token: String,
    pub principal: Principal,
}

impl Caller {
    /// The caller as the audit trail records it.
    pub fn actor(&self, org: &crate::state::Org) -> crate::audit::Actor {
        let client_id = org
            .tokens
            .get(&self.token)
            .map(|record| record.client_id.clone())
            .unwrap_or_default();
        crate::audit::Actor::of(&self.principal, &client_id)
    }

    /// Fails with 403 `missing.any.permissions` unless the caller holds one of `permissions`.
    pub fn require(&self, permissions: &[&str]) -> Result<(), ApiError> {
        if self.principal.has_any(permissions) {
            Ok(())
        } else {
            Err(ApiError::missing_any_permissions(permissions))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::authentication_required)
    }
}

/// Everything an `/api/v2` request goes through before its handler, in this order: the
/// request counter, added latency, injected faults, authentication, forced 429 bursts, and
/// the per-token rate limit. OAuth and control endpoints skip it.
pub async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/v2") {
        return next.run(request).await;
    }

    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    let (latency_ms, decision) = {
        let mut org = state.org();
        org.counts.api_requests += 1;
        *org.counts
            .by_route
            .entry(format!("{} {route}", request.method()))
            .or_default() += 1;
        (org.faults.latency_ms(), org.faults.decide())
    };

    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    if let Some(response) = injected_fault(&state, decision) {
        return response;
    }

    let caller = match authenticate(&state, request.headers().get(header::AUTHORIZATION)) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let admission = match admit(&state, &caller.token) {
        Ok(admission) => admission,
        Err(error) => return error.into_response(),
    };

    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    if let Admission::Allowed {
        allowed,
        count,
        reset_seconds,
    } = admission
    {
        let headers = response.headers_mut();
        headers.insert("inin-ratelimit-allowed", HeaderValue::from(allowed));
        headers.insert("inin-ratelimit-count", HeaderValue::from(count));
        headers.insert("inin-ratelimit-reset", HeaderValue::from(reset_seconds));
    }
    response
}

fn injected_fault(state: &AppState, decision: FaultDecision) -> Option<Response> {
    let response = match decision {
        FaultDecision::Serve => return None,
        FaultDecision::Drop => {
            tracing::debug!("dropping the connection of an API call");
            let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
            response.extensions_mut().insert(DropConnection);
            response
        }
        FaultDecision::FailWith(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let code = match status.as_u16() {
                500 => "internal.server.error",
                502 => "bad.gateway",
                504 => "request.timeout",
                _ => "service.unavailable",
            };
            ApiError::new(
                status,
                code,
                "The service is temporarily failing (injected fault).",
            )
            .into_response()
        }
    };
    state.org().counts.faulted += 1;
    Some(response)
}

fn authenticate(state: &AppState, authorization: Option<&HeaderValue>) -> Result<Caller, ApiError> {
    let token = authorization
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(ApiError::authentication_required)?;

    let org = state.org();
    let record = org
        .tokens
        .get(&token)
        .ok_or_else(ApiError::bad_credentials)?;
    if record.revoked {
        return Err(ApiError::bad_credentials());
    }
    if record.expires_at <= Instant::now() {
        return Err(ApiError::credentials_expired());
    }
    let principal = org
        .principal(&record.principal_id)
        .cloned()
        .ok_or_else(ApiError::bad_credentials)?;
    Ok(Caller { token, principal })
}

fn admit(state: &AppState, token: &str) -> Result<Admission, ApiError> {
    let mut org = state.org();
    let send_header = !org.has_quirk(Quirk::NoRetryAfter);

    let retry_after = match org.limiter.take_forced() {
        Some(seconds) => Some(seconds),
        None => match org.limiter.admit(token, Instant::now()) {
            Admission::Limited {
                retry_after_seconds,
            } => Some(retry_after_seconds),
            allowed => return Ok(allowed),
        },
    };

    org.counts.rate_limited += 1;
    let seconds = retry_after.unwrap_or(1);
    Err(ApiError::too_many_requests(seconds, send_header))
}

/// The query string of a request as ordered pairs, the way Genesys reads repeated and
/// comma-separated parameters.
#[derive(Clone, Debug, Default)]
pub struct QueryParams(pub Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        QueryParams(pairs)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, with comma-separated values split apart.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A `true`/`false` parameter (case-insensitive); anything else is a 400.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(value) => Err(ApiError::invalid_value(
                name,
                format!("The value '{value}' is not valid for {name}: use true or false."),
            )),
        }
    }

    /// A whole-number parameter within `range`, or `default` when absent.
    pub fn number(
        &self,
        name: &str,
        default: usize,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        match text.parse::<usize>() {
            Ok(value) if range.contains(&value) => Ok(value),
            _ => Err(ApiError::invalid_value(
                name,
                format!(
                    "The value '{text}' is not valid for {name}: it must be a whole number from {} to {}.",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }
}

/// Parses a JSON object body, answering 400 `bad.request` for anything else.
pub fn json_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(error) => Err(ApiError::bad_request(format!(
            "The request could not be understood by the server due to malformed syntax: {error}"
        ))),
    }
}
