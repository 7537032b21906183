//! A native transport for the core, used by tests, benchmarks and scripts.
//!
//! [`ReqwestTransport`] sends the core's requests with reqwest and sleeps with tokio. It never
//! follows redirects, so a bearer token is never carried to another host.

use std::time::Duration;

use timeouts_core::transport::{HttpRequest, HttpResponse, Method, Transport, TransportError};

/// The core's [`Transport`] over reqwest.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct BuildError(#[from] reqwest::Error);

impl ReqwestTransport {
    /// A transport with a 30-second request timeout and no redirects.
    pub fn new() -> Result<ReqwestTransport, BuildError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(ReqwestTransport { client })
    }

    fn method(method: Method) -> reqwest::Method {
        match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = self
            .client
            .request(Self::method(request.method), &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }

        let response = builder.send().await.map_err(network_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect();
        let body = response.text().await.map_err(network_error)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Describes a reqwest failure without its URL (which is harmless here, but the habit keeps
/// query strings out of logs).
fn network_error(error: reqwest::Error) -> TransportError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the connection dropped while reading the response"
    } else {
        "the connection failed"
    };
    TransportError::Network(kind.to_string())
}
