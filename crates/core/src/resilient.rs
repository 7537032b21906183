//! Single calls made with the same pacing and retry rules as the loader and the engine, for
//! requests outside them (who is signed in, re-reading a few actions).

use std::time::Duration;

use crate::api::{Api, ApiError};
use crate::retry::{CallError, Pacer, RetryPolicy};
use crate::transport::Transport;

/// Runs `op` once, retrying on 429 (after `Retry-After`), 5xx and dropped connections as
/// `policy` says. `on_pause` hears of each wait for the rate limit, so a page can show it.
pub async fn call<T, R, F, Fut>(
    api: &Api<T>,
    policy: &RetryPolicy,
    on_pause: &dyn Fn(Duration),
    op: F,
) -> Result<R, ApiError>
where
    T: Transport,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<R, ApiError>>,
{
    let pacer = Pacer::new(policy.clone(), api.rate_limit());
    let never_stop = || false;
    match pacer.call(api.transport(), &never_stop, on_pause, op).await {
        Ok(value) => Ok(value),
        Err(CallError::Api(error)) => Err(error),
        Err(CallError::Interrupted) => Err(ApiError::Cancelled),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;
    use crate::auth::AccessToken;
    use crate::region::{Environment, Region};
    use crate::transport::{HttpRequest, HttpResponse, TransportError};

    /// Answers from a script and records how long it was asked to sleep.
    struct Scripted {
        answers: RefCell<VecDeque<HttpResponse>>,
        slept: RefCell<Vec<Duration>>,
    }

    impl Transport for Scripted {
        async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.answers
                .borrow_mut()
                .pop_front()
                .ok_or_else(|| TransportError::Network("script ran out".into()))
        }

        async fn sleep(&self, duration: Duration) {
            self.slept.borrow_mut().push(duration);
        }
    }

    fn api(answers: Vec<HttpResponse>) -> Api<Scripted> {
        let transport = Scripted {
            answers: RefCell::new(answers.into()),
            slept: RefCell::new(Vec::new()),
        };
        let token = AccessToken {
            token: "t".into(),
            expires_in: None,
        };
        Api::new(transport, &Environment::Genesys(Region::ALL[0]), &token)
    }

    #[test]
    fn a_rate_limited_call_waits_and_succeeds() {
        let api = api(vec![
            HttpResponse::new(429, "{}").with_header("Retry-After", "1"),
            HttpResponse::new(200, r#"{"id":"u1"}"#),
        ]);
        let paused = std::cell::Cell::new(None);
        let on_pause = |pause| paused.set(Some(pause));
        let me =
            futures::executor::block_on(call(&api, &RetryPolicy::default(), &on_pause, || {
                api.me()
            }));
        assert_eq!(me.map(|m| m.id), Ok("u1".to_string()));
        assert_eq!(paused.get(), Some(Duration::from_secs(1)));
        assert!(!api.transport().slept.borrow().is_empty());
    }

    #[test]
    fn a_client_error_is_not_retried() {
        let api = api(vec![
            HttpResponse::new(403, r#"{"code":"missing.any.permissions"}"#),
            HttpResponse::new(200, r#"{"id":"u1"}"#),
        ]);
        let me =
            futures::executor::block_on(call(&api, &RetryPolicy::default(), &|_| {}, || api.me()));
        assert_eq!(me.map_err(|e| e.status()), Err(Some(403)));
    }
}
