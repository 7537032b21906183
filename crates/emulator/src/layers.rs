//! The layers around every API and login response: the correlation id and CORS.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::CORRELATION_ID;

/// The correlation header Genesys puts on every response.
pub const CORRELATION_HEADER: &str = "inin-correlation-id";

/// Gives every request a fresh correlation id, made available to error bodies (as
/// `contextId`) and returned as `ININ-Correlation-Id`.
pub async fn correlation(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let mut response = CORRELATION_ID.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(CORRELATION_HEADER), value);
    }
    response
}

/// Whether `origin` is an `http` origin on a loopback host, on any port.
pub fn is_loopback_origin(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    url.scheme() == "http"
        && matches!(
            url.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(_))
                | Some(url::Host::Ipv6(_))
        )
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => true,
        }
}

/// CORS for the app's origins: the listed ones, or any loopback origin when none are listed.
pub fn cors(allowed: &[String]) -> CorsLayer {
    let allowed: Vec<String> = allowed
        .iter()
        .map(|origin| origin.trim_end_matches('/').to_owned())
        .collect();
    let allow_origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if allowed.is_empty() {
            is_loopback_origin(origin)
        } else {
            allowed.iter().any(|allowed| allowed == origin)
        }
    });

    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("genesys-app"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static(CORRELATION_HEADER),
            HeaderName::from_static("inin-ratelimit-allowed"),
            HeaderName::from_static("inin-ratelimit-count"),
            HeaderName::from_static("inin-ratelimit-reset"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_on_any_port_are_recognised() {
        assert!(is_loopback_origin("http://127.0.0.1:8080"));
        assert!(is_loopback_origin("http://localhost:3000"));
        assert!(is_loopback_origin("http://[::1]:9000"));
        assert!(!is_loopback_origin("https://127.0.0.1:8080"));
        assert!(!is_loopback_origin("http://example.com"));
        assert!(!is_loopback_origin("http://10.0.0.1:80"));
        assert!(!is_loopback_origin("null"));
    }
}
