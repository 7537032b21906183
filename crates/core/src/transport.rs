//! The HTTP seam: plain request and response values, and the trait that sends them.
//!
//! The core never opens a connection. The web app implements [`Transport`] with `fetch`, the
//! native crate with reqwest, and the tests with scripted fakes. The trait is async and not
//! `Send`, because browser futures are not.

use std::fmt;
use std::time::Duration;

use web_time::Instant;

/// An HTTP method the Genesys client uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request ready to send: method, absolute URL, headers and an optional text body.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    /// A request without headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json_body(self, body: String) -> HttpRequest {
        let mut request = self.header("Content-Type", "application/json");
        request.body = Some(body);
        request
    }

    /// Sets a form body (`application/x-www-form-urlencoded`).
    pub fn form_body(self, body: String) -> HttpRequest {
        let mut request = self.header("Content-Type", "application/x-www-form-urlencoded");
        request.body = Some(body);
        request
    }
}

/// Debug output leaves out header values and the body: they carry the bearer token, the PKCE
/// verifier and configs whose headers may hold secrets, and debug output ends up in logs.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &header_names)
            .field("body_len", &self.body.as_ref().map(String::len))
            .finish()
    }
}

/// A response: status, headers and the body as text.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// A response with a status and body and no headers (handy in tests).
    pub fn new(status: u16, body: impl Into<String>) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header (handy in tests).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> HttpResponse {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Retry-After` in whole seconds, the form Genesys sends; an HTTP date is not expected.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }

    /// The correlation id Genesys puts on every response, for support requests.
    pub fn correlation_id(&self) -> Option<&str> {
        self.header("inin-correlation-id")
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why no response arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The network failed or the connection dropped before a full response arrived. The request
    /// may or may not have reached the server.
    #[error("network error: {0}")]
    Network(String),
    /// The caller cancelled the request (for example the page closed the view).
    #[error("request cancelled")]
    Cancelled,
}

/// Sends requests and sleeps. Implementations must not follow redirects to other hosts with
/// the `Authorization` header, and must not log header values.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends one request and returns the response, whatever its status.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Waits for the given time (a timer in the browser, tokio natively).
    async fn sleep(&self, duration: Duration);

    /// The current time. Pacing reads the clock only through this, so a test transport can
    /// keep a virtual clock that its `sleep` advances.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl<T: Transport + ?Sized> Transport for &T {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        (**self).sleep(duration).await
    }

    fn now(&self) -> Instant {
        (**self).now()
    }
}

impl<T: Transport + ?Sized> Transport for std::rc::Rc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        (**self).sleep(duration).await
    }

    fn now(&self) -> Instant {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_header_values_and_body() {
        let request = HttpRequest::new(Method::Patch, "https://api.example/x")
            .header("Authorization", "Bearer secret-token")
            .json_body("{\"config\":{\"headers\":{\"X-Key\":\"hunter2\"}}}".into());
        let text = format!("{request:?}");
        assert!(!text.contains("secret-token"));
        assert!(!text.contains("hunter2"));
        assert!(text.contains("Authorization"));
    }

    #[test]
    fn headers_are_found_regardless_of_case() {
        let response = HttpResponse::new(429, "")
            .with_header("Retry-After", "17")
            .with_header("ININ-Correlation-Id", "abc");
        assert_eq!(response.retry_after(), Some(Duration::from_secs(17)));
        assert_eq!(response.correlation_id(), Some("abc"));
        assert_eq!(response.header("RETRY-AFTER"), Some("17"));
        assert!(!response.is_success());
    }

    #[test]
    fn a_retry_after_that_is_not_seconds_is_ignored() {
        let response = HttpResponse::new(429, "").with_header("retry-after", "soon");
        assert_eq!(response.retry_after(), None);
    }
}
