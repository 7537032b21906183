//! The one error type of the API: it renders the Genesys error body.
//!
//! Every `/api/v2` failure, whatever its cause, becomes an [`ApiError`] whose body carries
//! `message`, `code`, `status`, `messageParams`, `contextId`, `details` and `errors`, with
//! `contextId` equal to the response's `ININ-Correlation-Id`. OAuth endpoints use their own
//! `{error, error_description}` body (see `oauth.rs`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

tokio::task_local! {
    /// The correlation id of the request being served, set by the correlation middleware so
    /// that error bodies can repeat it as `contextId`.
    pub static CORRELATION_ID: String;
}

/// The correlation id of the current request, or a fresh one outside a request.
pub fn current_correlation_id() -> String {
    CORRELATION_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string())
}

/// A failed API call, rendered as a Genesys error body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// `messageParams`, as ordered name/value pairs (kept small so `Result`s stay cheap).
    pub message_params: Vec<(String, String)>,
    /// Entries of `details`: `{errorCode, fieldName, entityId, entityName}` objects.
    pub details: Vec<Value>,
    /// Seconds to put in `Retry-After` (429 only; `None` leaves the header out).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            message_params: Vec::new(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 `bad.request`: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad.request", message)
    }

    /// 400 `invalid.value` naming the field at fault.
    pub fn invalid_value(field: &str, message: impl Into<String>) -> Self {
        let mut error = ApiError::new(StatusCode::BAD_REQUEST, "invalid.value", message);
        error
            .details
            .push(json!({ "errorCode": "invalid.value", "fieldName": field }));
        error
    }

    /// 401 `authentication.required`: no bearer token at all.
    pub fn authentication_required() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    }

    /// 401 `bad.credentials`: an unknown or revoked token.
    pub fn bad_credentials() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad.credentials",
            "Invalid login credentials.",
        )
    }

    /// 401 `credentials.expired`: a token past its lifetime.
    pub fn credentials_expired() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "credentials.expired",
            "The supplied credentials are expired and cannot be used.",
        )
    }

    /// 403 `missing.any.permissions` naming the permissions that would have been enough.
    pub fn missing_any_permissions(permissions: &[&str]) -> Self {
        let list = permissions.join(", ");
        let mut error = ApiError::new(
            StatusCode::FORBIDDEN,
            "missing.any.permissions",
            format!(
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: [{list}]"
            ),
        );
        error.message_params.push(("permissions".into(), list));
        error
    }

    /// 404 `not.found`.
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not.found", what)
    }

    /// 429 `too.many.requests.retry.after`, with the normalised message.
    pub fn too_many_requests(retry_after_seconds: u64, send_header: bool) -> Self {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests.retry.after",
            format!(
                "Rate limit exceeded the maximum. Retry the request in [{retry_after_seconds}] seconds"
            ),
        );
        error.retry_after = send_header.then_some(retry_after_seconds);
        error
    }

    /// The error body as JSON, with `contextId` set to `correlation_id`.
    pub fn body(&self, correlation_id: &str) -> Value {
        let params: Map<String, Value> = self
            .message_params
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        json!({
            "message": self.message,
            "code": self.code,
            "status": self.status.as_u16(),
            "messageParams": params,
            "contextId": correlation_id,
            "details": self.details,
            "errors": [],
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Client mistakes are normal traffic for an emulator, and its only server errors are
        // the faults a test asked for, so neither is worth more than a debug line.
        tracing::debug!(status = %self.status, code = %self.code, "answering with an error");

        let body = self.body(&current_correlation_id());
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_every_genesys_field() {
        let body = ApiError::missing_any_permissions(&["integrations:action:edit"]).body("abc");
        assert_eq!(body["status"], 403);
        assert_eq!(body["code"], "missing.any.permissions");
        assert_eq!(body["contextId"], "abc");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("[integrations:action:edit]")
        );
        assert!(body["details"].is_array());
        assert!(body["errors"].is_array());
        assert!(body["messageParams"].is_object());
    }

    #[test]
    fn a_429_message_names_the_wait() {
        let error = ApiError::too_many_requests(17, true);
        assert_eq!(
            error.message,
            "Rate limit exceeded the maximum. Retry the request in [17] seconds"
        );
        assert_eq!(error.retry_after, Some(17));
        assert_eq!(ApiError::too_many_requests(3, false).retry_after, None);
    }
}
