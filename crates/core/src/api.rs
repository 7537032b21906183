//! The Genesys client: every URL, request and response of the API subset this product uses,
//! and the typed error that a Genesys error body becomes.
//!
//! The app's components never build a URL; they call these methods. Every request carries the
//! bearer token and goes to the environment's API base; nothing here follows a URL that came
//! from a response to another host.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;
use web_time::Instant;

use crate::auth::AccessToken;
use crate::model::{
    Action, AuditEntry, Dependency, ErrorBody, Integration, Limit, Listing, TemplateFile,
    TestExecutionResult, TokenInfo, UpdateActionInput, UserMe,
};
use crate::region::Environment;
use crate::transport::{HttpRequest, HttpResponse, Method, Transport, TransportError};

/// The page size used for every listing: the largest size known to work.
pub const PAGE_SIZE: u32 = 100;
/// The most ids `GET /actions?ids=` accepts.
pub const IDS_PER_REQUEST: usize = 50;

/// Characters escaped in a path segment: everything but the unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A failed API call.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The network failed or the connection dropped; the request may have been applied.
    #[error("network error: {0}")]
    Network(String),
    /// The caller cancelled the request.
    #[error("request cancelled")]
    Cancelled,
    /// Genesys answered with an error status.
    #[error("{0}")]
    Status(StatusError),
    /// Genesys answered with success but a body this client cannot read.
    #[error("unexpected response from Genesys (status {status}): {detail}")]
    Decode { status: u16, detail: String },
}

/// An error status with what Genesys said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusError {
    pub status: u16,
    /// The Genesys error `code`, such as `missing.any.permissions`.
    pub code: Option<String>,
    /// The Genesys error `message`.
    pub message: Option<String>,
    /// `ININ-Correlation-Id` (or the body's `contextId`), for support requests.
    pub correlation_id: Option<String>,
    /// `Retry-After`, on 429.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Genesys answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiError({self})")
    }
}

impl ApiError {
    /// Reads an error response (any non-2xx) into a typed error.
    pub fn from_response(response: &HttpResponse) -> ApiError {
        let body: ErrorBody = serde_json::from_str(&response.body).unwrap_or_default();
        ApiError::Status(StatusError {
            status: response.status,
            code: body.code,
            message: body.message.map(|m| m.chars().take(500).collect()),
            correlation_id: response
                .correlation_id()
                .map(str::to_string)
                .or(body.context_id),
            retry_after: response.retry_after(),
        })
    }

    /// The HTTP status, when Genesys answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status(error) => Some(error.status),
            ApiError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// 429: slow down and try again after [`ApiError::retry_after`].
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// A server error (5xx except 501) or a dropped connection: worth another try.
    pub fn is_server_or_network(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Status(error) => (500..600).contains(&error.status) && error.status != 501,
            _ => false,
        }
    }

    /// Worth retrying later: rate limits, server errors, dropped connections.
    pub fn is_retryable(&self) -> bool {
        self.is_rate_limited() || self.is_server_or_network()
    }

    /// The version sent is stale: 409, or 400 saying it "does not match the current version"
    /// (both seen in the wild).
    pub fn is_version_conflict(&self) -> bool {
        match self {
            ApiError::Status(error) if error.status == 409 => true,
            ApiError::Status(error) if error.status == 400 => {
                error.message.as_deref().is_some_and(|m| {
                    m.to_lowercase()
                        .contains("does not match the current version")
                })
            }
            _ => false,
        }
    }

    /// 401: the token expired or was revoked; sign in again.
    pub fn is_session_expired(&self) -> bool {
        self.status() == Some(401)
    }

    /// 403: the user lacks a permission.
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// `Retry-After`, when Genesys sent it.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Status(error) => error.retry_after,
            _ => None,
        }
    }

    /// The Genesys error code, when Genesys sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status(error) => error.code.as_deref(),
            _ => None,
        }
    }

    /// The correlation id of the failed response, for support requests.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            ApiError::Status(error) => error.correlation_id.as_deref(),
            _ => None,
        }
    }
}

impl From<TransportError> for ApiError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Network(detail) => ApiError::Network(detail),
            TransportError::Cancelled => ApiError::Cancelled,
        }
    }
}

/// The rate-limit figures of the last response that had them (`inin-ratelimit-*`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimitSnapshot {
    /// Requests allowed per minute.
    pub allowed: u32,
    /// Requests used of that allowance when the response was received.
    pub used: u32,
    /// When the response was received.
    pub seen_at: Instant,
}

/// The client for one signed-in session.
pub struct Api<T> {
    transport: T,
    api_base: String,
    token: String,
    requests_sent: Cell<u64>,
    rate_limit: Cell<Option<RateLimitSnapshot>>,
}

impl<T> fmt::Debug for Api<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("api_base", &self.api_base)
            .field("requests_sent", &self.requests_sent.get())
            .finish()
    }
}

impl<T: Transport> Api<T> {
    /// A client for `environment` that sends `token` with every request.
    pub fn new(transport: T, environment: &Environment, token: &AccessToken) -> Api<T> {
        Api {
            transport,
            api_base: environment.api_base(),
            token: token.token.clone(),
            requests_sent: Cell::new(0),
            rate_limit: Cell::new(None),
        }
    }

    /// Swaps in a new token after signing in again (to resume an apply).
    pub fn set_token(&mut self, token: &AccessToken) {
        self.token = token.token.clone();
    }

    /// The transport, for sleeping between retries.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// How many requests this client has sent (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.requests_sent.get()
    }

    /// The last rate-limit figures Genesys reported, if any.
    pub fn rate_limit(&self) -> Option<RateLimitSnapshot> {
        self.rate_limit.get()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v2/{path}", self.api_base)
    }

    fn request(&self, method: Method, path: &str) -> HttpRequest {
        self.request_accepting(method, path, "application/json")
    }

    fn request_accepting(&self, method: Method, path: &str, accept: &str) -> HttpRequest {
        HttpRequest::new(method, self.url(path))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Accept", accept)
    }

    /// Sends a request and returns the successful response, or the error it became.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ApiError> {
        self.requests_sent.set(self.requests_sent.get() + 1);
        let method = request.method;
        let response = self.transport.send(request).await?;
        self.note_rate_limit(&response);
        tracing::debug!(%method, status = response.status, "genesys response");
        if response.is_success() {
            Ok(response)
        } else {
            Err(ApiError::from_response(&response))
        }
    }

    async fn send_json<R: DeserializeOwned>(&self, request: HttpRequest) -> Result<R, ApiError> {
        let response = self.send(request).await?;
        serde_json::from_str(&response.body).map_err(|e| ApiError::Decode {
            status: response.status,
            detail: e.to_string(),
        })
    }

    fn note_rate_limit(&self, response: &HttpResponse) {
        let number = |name| {
            response
                .header(name)
                .and_then(|v| v.trim().parse::<u32>().ok())
        };
        if let (Some(allowed), Some(used)) = (
            number("inin-ratelimit-allowed"),
            number("inin-ratelimit-count"),
        ) {
            self.rate_limit.set(Some(RateLimitSnapshot {
                allowed,
                used,
                seen_at: Instant::now(),
            }));
        }
    }

    /// `GET /api/v2/users/me?expand=authorization,organization`.
    pub async fn me(&self) -> Result<UserMe, ApiError> {
        self.send_json(self.request(Method::Get, "users/me?expand=authorization%2Corganization"))
            .await
    }

    /// `GET /api/v2/tokens/me`: checks the token and names the organisation.
    pub async fn token_info(&self) -> Result<TokenInfo, ApiError> {
        self.send_json(self.request(Method::Get, "tokens/me")).await
    }

    /// `DELETE /api/v2/tokens/me`: revokes the token (sign-out).
    pub async fn revoke_token(&self) -> Result<(), ApiError> {
        self.send(self.request(Method::Delete, "tokens/me"))
            .await
            .map(drop)
    }

    /// One page of `GET /api/v2/integrations` (100 per page).
    pub async fn integrations_page(
        &self,
        page_number: u32,
    ) -> Result<Listing<Integration>, ApiError> {
        let path = format!("integrations?pageSize={PAGE_SIZE}&pageNumber={page_number}");
        self.send_json(self.request(Method::Get, &path)).await
    }

    /// One page of `GET /api/v2/integrations/actions` with config and custom-auth actions,
    /// sorted by name.
    pub async fn actions_page(&self, page_number: u32) -> Result<Listing<Action>, ApiError> {
        let path = format!(
            "integrations/actions?pageSize={PAGE_SIZE}&pageNumber={page_number}\
             &includeConfig=true&includeAuthActions=true&sortBy=name&sortOrder=asc"
        );
        self.send_json(self.request(Method::Get, &path)).await
    }

    /// One page of `GET /api/v2/integrations/actions/drafts` with config.
    pub async fn drafts_page(&self, page_number: u32) -> Result<Listing<Action>, ApiError> {
        let path = format!(
            "integrations/actions/drafts?pageSize={PAGE_SIZE}&pageNumber={page_number}\
             &includeConfig=true&includeAuthActions=true"
        );
        self.send_json(self.request(Method::Get, &path)).await
    }

    /// Up to 50 actions by id, with config, in one request. Longer lists are cut at 50: call
    /// it once per chunk of [`IDS_PER_REQUEST`].
    pub async fn actions_by_ids(&self, ids: &[String]) -> Result<Vec<Action>, ApiError> {
        let ids: Vec<&str> = ids
            .iter()
            .take(IDS_PER_REQUEST)
            .map(String::as_str)
            .collect();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("ids", &ids.join(","))
            .finish();
        let path = format!(
            "integrations/actions?{query}&pageSize={PAGE_SIZE}&pageNumber=1\
             &includeConfig=true&includeAuthActions=true"
        );
        let listing: Listing<Action> = self.send_json(self.request(Method::Get, &path)).await?;
        Ok(listing.entities)
    }

    /// `GET /api/v2/integrations/actions/{id}?includeConfig=true`.
    pub async fn action(&self, action_id: &str) -> Result<Action, ApiError> {
        let path = format!("{}?includeConfig=true", action_path(action_id));
        self.send_json(self.request(Method::Get, &path)).await
    }

    /// `GET /api/v2/integrations/actions/{id}/draft?includeConfig=true`.
    pub async fn draft(&self, action_id: &str) -> Result<Action, ApiError> {
        let path = format!("{}/draft?includeConfig=true", action_path(action_id));
        self.send_json(self.request(Method::Get, &path)).await
    }

    /// A template file of an action or of its draft, as text.
    pub async fn template(
        &self,
        action_id: &str,
        file: TemplateFile,
        of_draft: bool,
    ) -> Result<String, ApiError> {
        let draft = if of_draft { "/draft" } else { "" };
        let path = format!(
            "{}{draft}/templates/{}",
            action_path(action_id),
            file.file_name()
        );
        // Templates are Velocity text, not JSON.
        let request = self.request_accepting(Method::Get, &path, "*/*");
        Ok(self.send(request).await?.body)
    }

    /// `PATCH /api/v2/integrations/actions/{id}`: the update must carry the current version.
    pub async fn patch_action(
        &self,
        action_id: &str,
        update: &UpdateActionInput,
    ) -> Result<Action, ApiError> {
        let body = serde_json::to_string(update).map_err(|e| ApiError::Decode {
            status: 0,
            detail: e.to_string(),
        })?;
        let request = self
            .request(Method::Patch, &action_path(action_id))
            .json_body(body);
        self.send_json(request).await
    }

    /// `PATCH /api/v2/integrations/actions/{id}/draft`: the update carries the draft's version.
    pub async fn patch_draft(
        &self,
        action_id: &str,
        update: &UpdateActionInput,
    ) -> Result<Action, ApiError> {
        let body = serde_json::to_string(update).map_err(|e| ApiError::Decode {
            status: 0,
            detail: e.to_string(),
        })?;
        let path = format!("{}/draft", action_path(action_id));
        let request = self.request(Method::Patch, &path).json_body(body);
        self.send_json(request).await
    }

    /// `POST /api/v2/analytics/actions/aggregates/query` with a body from
    /// [`crate::latency::query_body`]; the raw response for [`crate::latency::parse_response`].
    pub async fn action_aggregates(
        &self,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        let request = self
            .request(Method::Post, "analytics/actions/aggregates/query")
            .json_body(body.to_string());
        self.send_json(request).await
    }

    /// The flows that use an action (`DATAACTION` dependency tracking), first 100.
    pub async fn dependencies(&self, action_id: &str) -> Result<Vec<Dependency>, ApiError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("id", action_id)
            .append_pair("objectType", "DATAACTION")
            .append_pair("pageSize", "100")
            .finish();
        let path = format!("architect/dependencytracking/consumingresources?{query}");
        let listing: Listing<Dependency> = self.send_json(self.request(Method::Get, &path)).await?;
        Ok(listing.entities)
    }

    /// The organisation's limits in a namespace (such as `integrations`). The response shape
    /// is unconfirmed: a `limits` or `entities` list, or a bare list, are all read.
    pub async fn org_limits(&self, namespace: &str) -> Result<Vec<Limit>, ApiError> {
        let path = format!(
            "organizations/limits/namespaces/{}",
            utf8_percent_encode(namespace, SEGMENT)
        );
        let body: serde_json::Value = self.send_json(self.request(Method::Get, &path)).await?;
        let list = body
            .get("limits")
            .or_else(|| body.get("entities"))
            .unwrap_or(&body)
            .clone();
        serde_json::from_value(list).map_err(|e| ApiError::Decode {
            status: 200,
            detail: e.to_string(),
        })
    }

    /// Recent audit records of an action and its draft (`Integrations` service), newest first.
    pub async fn action_history(
        &self,
        action_id: &str,
        interval: &str,
    ) -> Result<Vec<AuditEntry>, ApiError> {
        let body = serde_json::json!({
            "interval": interval,
            "serviceName": "Integrations",
            "filters": [{"property": "EntityId", "value": action_id}],
            "sort": [{"name": "Timestamp", "sortOrder": "descending"}],
            "pageNumber": 1,
            "pageSize": 100,
        });
        let request = self
            .request(Method::Post, "audits/query/realtime?expand=user")
            .json_body(body.to_string());
        let listing: Listing<AuditEntry> = self.send_json(request).await?;
        Ok(listing.entities)
    }

    /// `POST /api/v2/integrations/actions/{id}/test`: really calls the outside service.
    pub async fn test_action(
        &self,
        action_id: &str,
        input: &serde_json::Value,
    ) -> Result<TestExecutionResult, ApiError> {
        let path = format!("{}/test", action_path(action_id));
        let request = self
            .request(Method::Post, &path)
            .json_body(input.to_string());
        self.send_json(request).await
    }

    /// The flows whose published version uses an action (`flowFilter=published`), first 100.
    /// A flow in [`Api::dependencies`] but not here is saved and not yet published.
    pub async fn published_dependencies(
        &self,
        action_id: &str,
    ) -> Result<Vec<Dependency>, ApiError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("id", action_id)
            .append_pair("objectType", "DATAACTION")
            .append_pair("flowFilter", "published")
            .append_pair("pageSize", "100")
            .finish();
        let path = format!("architect/dependencytracking/consumingresources?{query}");
        let listing: Listing<Dependency> = self.send_json(self.request(Method::Get, &path)).await?;
        Ok(listing.entities)
    }

    /// The JSON schema of an action's input (`contract.input.inputSchema`, read with
    /// `expand=contract`), from which a test form is built; `Null` when the action has none.
    pub async fn input_schema(&self, action_id: &str) -> Result<serde_json::Value, ApiError> {
        let path = format!("{}?expand=contract", action_path(action_id));
        let action: serde_json::Value = self.send_json(self.request(Method::Get, &path)).await?;
        Ok(action
            .pointer("/contract/input/inputSchema")
            .cloned()
            .unwrap_or_default())
    }
}

fn action_path(action_id: &str) -> String {
    format!(
        "integrations/actions/{}",
        utf8_percent_encode(action_id, SEGMENT)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::Region;
    use std::cell::RefCell;

    /// Records requests and answers each with the next scripted response.
    struct Recorder {
        sent: RefCell<Vec<HttpRequest>>,
        answers: RefCell<Vec<HttpResponse>>,
    }

    impl Recorder {
        fn answering(answers: Vec<HttpResponse>) -> Recorder {
            Recorder {
                sent: RefCell::new(Vec::new()),
                answers: RefCell::new(answers.into_iter().rev().collect()),
            }
        }
    }

    impl Transport for Recorder {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.sent.borrow_mut().push(request);
            self.answers
                .borrow_mut()
                .pop()
                .ok_or(TransportError::Network("no answer scripted".into()))
        }

        async fn sleep(&self, _duration: Duration) {}
    }

    fn api(answers: Vec<HttpResponse>) -> Api<Recorder> {
        let token = AccessToken {
            token: "tok".into(),
            expires_in: None,
        };
        Api::new(
            Recorder::answering(answers),
            &Environment::from(Region::EuWest1),
            &token,
        )
    }

    #[test]
    fn listing_requests_ask_for_config_auth_actions_and_full_pages() {
        let api = api(vec![HttpResponse::new(
            200,
            r#"{"entities":[],"pageCount":0}"#,
        )]);
        futures::executor::block_on(api.actions_page(3)).unwrap();
        let sent = api.transport().sent.borrow();
        assert_eq!(
            sent[0].url,
            "https://api.mypurecloud.ie/api/v2/integrations/actions?pageSize=100&pageNumber=3\
             &includeConfig=true&includeAuthActions=true&sortBy=name&sortOrder=asc"
        );
        assert!(
            sent[0]
                .headers
                .contains(&("Authorization".into(), "Bearer tok".into()))
        );
        assert_eq!(api.requests_sent(), 1);
    }

    #[test]
    fn ids_are_joined_encoded_and_capped_at_fifty() {
        let api = api(vec![HttpResponse::new(200, r#"{"entities":[{"id":"a"}]}"#)]);
        let ids: Vec<String> = (0..60).map(|i| format!("id{i}")).collect();
        let actions = futures::executor::block_on(api.actions_by_ids(&ids)).unwrap();
        assert_eq!(actions.len(), 1);
        let url = api.transport().sent.borrow()[0].url.clone();
        assert!(url.contains("ids=id0%2Cid1%2C"));
        assert!(url.contains("%2Cid49&"));
        assert!(!url.contains("id50"));
    }

    #[test]
    fn published_flows_and_the_input_schema_are_read() {
        let api = api(vec![
            HttpResponse::new(200, r#"{"entities":[{"id":"f","name":"Main IVR"}]}"#),
            HttpResponse::new(
                200,
                r#"{"id":"a","contract":{"input":{"inputSchema":{"required":["query"]}}}}"#,
            ),
            HttpResponse::new(200, r#"{"id":"b"}"#),
        ]);
        let flows = futures::executor::block_on(api.published_dependencies("a")).unwrap();
        assert_eq!(flows[0].name.as_deref(), Some("Main IVR"));
        let schema = futures::executor::block_on(api.input_schema("a")).unwrap();
        assert_eq!(schema["required"][0], "query");
        let none = futures::executor::block_on(api.input_schema("b")).unwrap();
        assert!(none.is_null());

        let sent = api.transport().sent.borrow();
        assert!(sent[0].url.ends_with(
            "consumingresources?id=a&objectType=DATAACTION&flowFilter=published&pageSize=100"
        ));
        assert!(
            sent[1]
                .url
                .ends_with("/api/v2/integrations/actions/a?expand=contract")
        );
    }

    #[test]
    fn tuning_requests_go_to_their_documented_paths() {
        let api = api(vec![
            HttpResponse::new(200, r#"{"results":[]}"#),
            HttpResponse::new(
                200,
                r#"{"entities":[{"id":"f","name":"Main IVR","type":"INBOUNDCALLFLOW"}]}"#,
            ),
            HttpResponse::new(
                200,
                r#"{"limits":[{"key":"actions.concurrent.executions.max","value":50}]}"#,
            ),
            HttpResponse::new(200, r#"{"entities":[]}"#),
            HttpResponse::new(200, r#"{"success":true,"finalResult":{"x":1}}"#),
        ]);
        let body = crate::latency::query_body(&["a".to_string()], "x/y");
        futures::executor::block_on(api.action_aggregates(&body)).unwrap();
        let flows = futures::executor::block_on(api.dependencies("a b")).unwrap();
        assert_eq!(flows[0].kind.as_deref(), Some("INBOUNDCALLFLOW"));
        let limits = futures::executor::block_on(api.org_limits("integrations")).unwrap();
        assert_eq!(limits[0].value, Some(50.0));
        futures::executor::block_on(api.action_history("a", "x/y")).unwrap();
        let test =
            futures::executor::block_on(api.test_action("a", &serde_json::json!({"phone": "1"})))
                .unwrap();
        assert!(test.success);

        let sent = api.transport().sent.borrow();
        let urls: Vec<(&str, &str)> = sent
            .iter()
            .map(|r| (r.method.as_str(), r.url.as_str()))
            .collect();
        assert_eq!(
            urls,
            vec![
                (
                    "POST",
                    "https://api.mypurecloud.ie/api/v2/analytics/actions/aggregates/query"
                ),
                (
                    "GET",
                    "https://api.mypurecloud.ie/api/v2/architect/dependencytracking/consumingresources?id=a+b&objectType=DATAACTION&pageSize=100"
                ),
                (
                    "GET",
                    "https://api.mypurecloud.ie/api/v2/organizations/limits/namespaces/integrations"
                ),
                (
                    "POST",
                    "https://api.mypurecloud.ie/api/v2/audits/query/realtime?expand=user"
                ),
                (
                    "POST",
                    "https://api.mypurecloud.ie/api/v2/integrations/actions/a/test"
                ),
            ]
        );
        let audit: serde_json::Value =
            serde_json::from_str(sent[3].body.as_deref().unwrap()).unwrap();
        assert_eq!(
            audit["filters"][0],
            serde_json::json!({"property": "EntityId", "value": "a"})
        );
        assert_eq!(audit["serviceName"], "Integrations");
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(
            action_path("customAuth_-_a/b c"),
            "integrations/actions/customAuth_-_a%2Fb%20c"
        );
    }

    #[test]
    fn a_patch_sends_the_version_and_whole_config() {
        let api = api(vec![HttpResponse::new(200, r#"{"id":"a","version":5}"#)]);
        let config = serde_json::from_str(r#"{"timeoutSeconds":8,"request":{"x":1}}"#).unwrap();
        let update = UpdateActionInput {
            name: "n".into(),
            category: "c".into(),
            config,
            version: 4,
        };
        let updated = futures::executor::block_on(api.patch_action("a", &update)).unwrap();
        assert_eq!(updated.version, 5);
        let sent = api.transport().sent.borrow();
        assert_eq!(sent[0].method, Method::Patch);
        assert_eq!(
            sent[0].body.as_deref(),
            Some(
                r#"{"name":"n","category":"c","config":{"timeoutSeconds":8,"request":{"x":1}},"version":4}"#
            )
        );
    }

    #[test]
    fn error_bodies_become_typed_errors() {
        let conflict = ApiError::from_response(&HttpResponse::new(
            409,
            r#"{"message":"conflict","code":"conflict","status":409}"#,
        ));
        assert!(conflict.is_version_conflict());
        assert!(!conflict.is_retryable());

        let mismatch = ApiError::from_response(&HttpResponse::new(
            400,
            r#"{"message":"The version 3 does not match the current version 4","code":"bad.request"}"#,
        ));
        assert!(mismatch.is_version_conflict());

        let invalid = ApiError::from_response(&HttpResponse::new(
            400,
            r#"{"message":"timeoutSeconds must be 1-60"}"#,
        ));
        assert!(!invalid.is_version_conflict());
        assert!(!invalid.is_retryable());

        let limited = ApiError::from_response(
            &HttpResponse::new(429, r#"{"code":"too.many.requests.retry.after"}"#)
                .with_header("Retry-After", "7")
                .with_header("ININ-Correlation-Id", "corr"),
        );
        assert!(limited.is_rate_limited());
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(limited.correlation_id(), Some("corr"));

        let expired = ApiError::from_response(&HttpResponse::new(401, "{}"));
        assert!(expired.is_session_expired());
        let forbidden = ApiError::from_response(&HttpResponse::new(
            403,
            r#"{"code":"missing.any.permissions"}"#,
        ));
        assert!(forbidden.is_forbidden());
        assert_eq!(forbidden.code(), Some("missing.any.permissions"));

        assert!(ApiError::from_response(&HttpResponse::new(503, "<html>")).is_retryable());
        assert!(!ApiError::from_response(&HttpResponse::new(501, "")).is_retryable());
        assert!(ApiError::Network("reset".into()).is_retryable());
        assert!(!ApiError::Cancelled.is_retryable());
    }

    #[test]
    fn error_messages_read_as_sentences_without_secrets() {
        let error = ApiError::from_response(&HttpResponse::new(
            403,
            r#"{"message":"You must have at least one of the following permissions assigned: [integrations:action:edit]","code":"missing.any.permissions"}"#,
        ));
        assert_eq!(
            error.to_string(),
            "Genesys answered 403 missing.any.permissions: You must have at least one of the following permissions assigned: [integrations:action:edit]"
        );
    }

    #[test]
    fn rate_limit_headers_are_remembered() {
        let api = api(vec![
            HttpResponse::new(200, r#"{"id":"u"}"#)
                .with_header("inin-ratelimit-allowed", "300")
                .with_header("inin-ratelimit-count", "12"),
        ]);
        futures::executor::block_on(api.me()).unwrap();
        let snapshot = api.rate_limit().unwrap();
        assert_eq!((snapshot.allowed, snapshot.used), (300, 12));
    }

    #[test]
    fn a_success_with_an_unreadable_body_is_a_decode_error() {
        let api = api(vec![HttpResponse::new(200, "<html>")]);
        let error = futures::executor::block_on(api.me()).unwrap_err();
        assert!(matches!(error, ApiError::Decode { status: 200, .. }));
    }
}
