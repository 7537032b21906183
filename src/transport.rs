//! The browser's [`Transport`] for the core: `fetch` for requests, timers for waiting.

use std::time::Duration;

use gloo_net::http::{Method as FetchMethod, RequestBuilder};
use timeouts_core::transport::{HttpRequest, HttpResponse, Method, Transport, TransportError};

/// Sends the core's requests with the browser's `fetch`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

impl Transport for FetchTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = RequestBuilder::new(&request.url).method(fetch_method(request.method));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }

        let prepared = match request.body {
            Some(body) => builder.body(body),
            None => builder.build(),
        }
        .map_err(network_error)?;

        let response = prepared.send().await.map_err(network_error)?;
        let headers = response.headers().entries().collect();
        let status = response.status();
        let body = response.text().await.map_err(network_error)?;

        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn sleep(&self, duration: Duration) {
        gloo_timers::future::sleep(duration).await;
    }
}

fn fetch_method(method: Method) -> FetchMethod {
    match method {
        Method::Get => FetchMethod::GET,
        Method::Post => FetchMethod::POST,
        Method::Put => FetchMethod::PUT,
        Method::Patch => FetchMethod::PATCH,
        Method::Delete => FetchMethod::DELETE,
    }
}

/// A failed `fetch` says little (the browser hides CORS and network details on purpose), so
/// the error keeps only the kind of failure; it never holds the request's headers or body.
fn network_error(error: gloo_net::Error) -> TransportError {
    let kind = match error {
        gloo_net::Error::JsError(js) => js.name,
        gloo_net::Error::SerdeError(_) => "SerdeError".to_string(),
        gloo_net::Error::GlooError(message) => message,
    };
    TransportError::Network(kind)
}
