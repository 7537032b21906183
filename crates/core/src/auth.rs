//! Sign-in and sign-out: PKCE verifier and challenge, `state`, the authorize, token and logout
//! requests, and the parsing of what comes back in the redirect.
//!
//! The app keeps the verifier and `state` in sessionStorage between the redirect and the
//! return; everything else here is a pure function of its inputs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::IdentityProvider;
use crate::region::Environment;
use crate::transport::{HttpRequest, HttpResponse, Method};

/// What can go wrong while signing in. Messages never include a token, code or verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the system random number generator failed: {0}")]
    Random(String),
    #[error(
        "a PKCE verifier must be 43 to 128 characters from A-Z, a-z, 0-9, '-', '.', '_' and '~'"
    )]
    BadVerifier,
    #[error("the sign-in response does not belong to this sign-in (state mismatch)")]
    StateMismatch,
    #[error("Genesys refused the sign-in: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("the sign-in response has no token")]
    MissingToken,
    #[error("the token endpoint answered with status {status} and a body that is not a token")]
    BadTokenResponse { status: u16 },
}

/// A PKCE code verifier (RFC 7636): 43 to 128 characters of the unreserved set.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// A fresh verifier of 128 characters from 96 random bytes.
    pub fn generate() -> Result<PkceVerifier, AuthError> {
        Ok(PkceVerifier(random_url_safe(96)?))
    }

    /// Wraps a verifier read back from storage, checking its form.
    pub fn from_string(text: String) -> Result<PkceVerifier, AuthError> {
        let valid_length = (43..=128).contains(&text.len());
        let valid_chars = text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'));
        if valid_length && valid_chars {
            Ok(PkceVerifier(text))
        } else {
            Err(AuthError::BadVerifier)
        }
    }

    /// The verifier, to store and to send in the token exchange.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The S256 challenge: base64url (no padding) of the SHA-256 of the verifier.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier(…)")
    }
}

/// A random `state` for one sign-in: 32 random bytes, base64url.
pub fn generate_state() -> Result<String, AuthError> {
    random_url_safe(32)
}

fn random_url_safe(bytes: usize) -> Result<String, AuthError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// What every authorize URL needs besides the grant-specific parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeParams<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub identity_provider: Option<&'a IdentityProvider>,
}

/// `GET {login}/oauth/authorize` for the Authorization Code grant with PKCE (S256).
pub fn pkce_authorize_url(
    environment: &Environment,
    params: &AuthorizeParams<'_>,
    verifier: &PkceVerifier,
) -> String {
    let challenge = verifier.challenge();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", params.client_id)
        .append_pair("redirect_uri", params.redirect_uri)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", params.state);
    append_identity_provider(&mut query, params.identity_provider);
    format!(
        "{}/oauth/authorize?{}",
        environment.login_base(),
        query.finish()
    )
}

/// `GET {login}/oauth/authorize` for the Implicit grant (`response_type=token`).
pub fn implicit_authorize_url(environment: &Environment, params: &AuthorizeParams<'_>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "token")
        .append_pair("client_id", params.client_id)
        .append_pair("redirect_uri", params.redirect_uri)
        .append_pair("state", params.state);
    append_identity_provider(&mut query, params.identity_provider);
    format!(
        "{}/oauth/authorize?{}",
        environment.login_base(),
        query.finish()
    )
}

fn append_identity_provider(
    query: &mut form_urlencoded::Serializer<'_, String>,
    provider: Option<&IdentityProvider>,
) {
    if let Some(provider) = provider {
        query
            .append_pair("org", &provider.org)
            .append_pair("provider", &provider.provider);
    }
}

/// `POST {login}/oauth/token` exchanging a code for a token (no client secret: PKCE).
pub fn token_exchange_request(
    environment: &Environment,
    client_id: &str,
    redirect_uri: &str,
    code: &str,
    verifier: &PkceVerifier,
) -> HttpRequest {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("code_verifier", verifier.as_str())
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .finish();
    HttpRequest::new(
        Method::Post,
        format!("{}/oauth/token", environment.login_base()),
    )
    .header("Accept", "application/json")
    .form_body(body)
}

/// `{login}/logout?client_id=…[&redirect_uri=…]`, where the browser goes after the token has
/// been revoked with [`crate::api::Api::revoke_token`].
pub fn logout_url(
    environment: &Environment,
    client_id: &str,
    redirect_uri: Option<&str>,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("client_id", client_id);
    if let Some(uri) = redirect_uri {
        query.append_pair("redirect_uri", uri);
    }
    format!("{}/logout?{}", environment.login_base(), query.finish())
}

/// An access token and its lifetime. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    /// Seconds the token is valid for from when it was issued, if Genesys said.
    pub expires_in: Option<u64>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"…")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: Option<String>,
    expires_in: Option<u64>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Reads the token endpoint's answer: a token, or the `{error, error_description}` refusal.
pub fn parse_token_response(response: &HttpResponse) -> Result<AccessToken, AuthError> {
    let body: TokenBody =
        serde_json::from_str(&response.body).map_err(|_| AuthError::BadTokenResponse {
            status: response.status,
        })?;
    if let Some(error) = body.error {
        return Err(AuthError::Refused {
            error,
            description: body.error_description,
        });
    }
    match body.access_token {
        Some(token) if response.is_success() && !token.is_empty() => Ok(AccessToken {
            token,
            expires_in: body.expires_in,
        }),
        _ => Err(AuthError::BadTokenResponse {
            status: response.status,
        }),
    }
}

/// What the redirect back from the authorize page carried.
#[derive(Clone, PartialEq, Eq)]
pub enum Callback {
    /// Nothing sign-in related: a normal page load.
    None,
    /// Authorization Code grant: a code to exchange.
    Code { code: String, state: Option<String> },
    /// Implicit grant: the token itself.
    Token {
        token: AccessToken,
        state: Option<String>,
    },
    /// The sign-in was refused or failed (`error`, `error_description`).
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Callback::None => f.write_str("Callback::None"),
            Callback::Code { .. } => f.write_str("Callback::Code(…)"),
            Callback::Token { token, .. } => write!(f, "Callback::Token({token:?})"),
            Callback::Error {
                error, description, ..
            } => write!(f, "Callback::Error({error}, {description:?})"),
        }
    }
}

/// What a verified callback yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// A code to exchange with [`token_exchange_request`].
    Code(String),
    /// A token, from the implicit grant.
    Token(AccessToken),
}

impl Callback {
    /// Parses `location.search` (with or without the leading `?`) after a code-grant redirect.
    pub fn from_query(query: &str) -> Callback {
        let pairs = Pairs::parse(query.strip_prefix('?').unwrap_or(query));
        if let Some(callback) = pairs.error() {
            return callback;
        }
        match pairs.get("code") {
            Some(code) => Callback::Code {
                code,
                state: pairs.get("state"),
            },
            None => Callback::None,
        }
    }

    /// Parses `location.hash` (with or without the leading `#`) after an implicit redirect.
    pub fn from_fragment(fragment: &str) -> Callback {
        let pairs = Pairs::parse(fragment.strip_prefix('#').unwrap_or(fragment));
        if let Some(callback) = pairs.error() {
            return callback;
        }
        match pairs.get("access_token") {
            Some(token) => Callback::Token {
                token: AccessToken {
                    token,
                    expires_in: pairs.get("expires_in").and_then(|v| v.parse().ok()),
                },
                state: pairs.get("state"),
            },
            None => Callback::None,
        }
    }

    /// True when the address held sign-in parameters, which the app must remove from the
    /// address bar (history.replaceState) whatever the outcome.
    pub fn is_present(&self) -> bool {
        !matches!(self, Callback::None)
    }

    /// Checks the returned `state` against the one stored before the redirect and yields the
    /// code or token. An error response is reported as [`AuthError::Refused`] only when its
    /// state matches too; otherwise it is a [`AuthError::StateMismatch`], since it may be forged.
    pub fn verify(self, expected_state: Option<&str>) -> Result<Option<Verified>, AuthError> {
        let state_ok = |received: &Option<String>| match (expected_state, received.as_deref()) {
            (Some(expected), Some(received)) => constant_time_eq(expected, received),
            _ => false,
        };
        match self {
            Callback::None => Ok(None),
            Callback::Code { code, state } if state_ok(&state) => Ok(Some(Verified::Code(code))),
            Callback::Token { token, state } if state_ok(&state) => {
                Ok(Some(Verified::Token(token)))
            }
            Callback::Error {
                error,
                description,
                state,
            } if state_ok(&state) => Err(AuthError::Refused { error, description }),
            _ => Err(AuthError::StateMismatch),
        }
    }
}

/// Compares without stopping at the first difference, so timing says nothing about `state`.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn parse(text: &str) -> Pairs {
        Pairs(
            form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    }

    fn error(&self) -> Option<Callback> {
        self.get("error").map(|error| Callback::Error {
            error,
            description: self.get("error_description"),
            state: self.get("state"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::Region;

    #[test]
    fn the_rfc_7636_appendix_b_vector_gives_the_published_challenge() {
        let verifier =
            PkceVerifier::from_string("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into())
                .unwrap();
        assert_eq!(
            verifier.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_verifiers_are_valid_and_different() {
        let a = PkceVerifier::generate().unwrap();
        let b = PkceVerifier::generate().unwrap();
        assert_eq!(a.as_str().len(), 128);
        assert!(PkceVerifier::from_string(a.as_str().to_string()).is_ok());
        assert_ne!(a, b);
        assert_eq!(a.challenge().len(), 43);
        assert!(!a.challenge().contains(['=', '+', '/']));
    }

    #[test]
    fn malformed_verifiers_are_refused() {
        for text in ["short", &"a".repeat(129), &format!("{}!", "a".repeat(50))] {
            assert_eq!(
                PkceVerifier::from_string(text.to_string()),
                Err(AuthError::BadVerifier)
            );
        }
        assert!(PkceVerifier::from_string("a".repeat(43)).is_ok());
    }

    #[test]
    fn states_are_random_and_url_safe() {
        let a = generate_state().unwrap();
        assert_ne!(a, generate_state().unwrap());
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    fn params(provider: Option<&IdentityProvider>) -> AuthorizeParams<'_> {
        AuthorizeParams {
            client_id: "client-1",
            redirect_uri: "https://app.example/cb?x=1",
            state: "st ate",
            identity_provider: provider,
        }
    }

    #[test]
    fn the_pkce_authorize_url_has_every_parameter_encoded() {
        let env = Environment::from(Region::EuWest1);
        let verifier = PkceVerifier::from_string("a".repeat(43)).unwrap();
        let url = pkce_authorize_url(&env, &params(None), &verifier);
        assert_eq!(
            url,
            format!(
                "https://login.mypurecloud.ie/oauth/authorize?response_type=code&client_id=client-1\
                 &redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&code_challenge={}\
                 &code_challenge_method=S256&state=st+ate",
                verifier.challenge()
            )
        );
    }

    #[test]
    fn the_implicit_url_carries_org_and_provider_when_configured() {
        let env = Environment::from(Region::UsEast1);
        let provider = IdentityProvider {
            org: "acme".into(),
            provider: "okta".into(),
        };
        let url = implicit_authorize_url(&env, &params(Some(&provider)));
        assert!(
            url.starts_with("https://login.mypurecloud.com/oauth/authorize?response_type=token&")
        );
        assert!(url.ends_with("&state=st+ate&org=acme&provider=okta"));
    }

    #[test]
    fn the_token_exchange_is_a_form_post_without_a_secret() {
        let env = Environment::from(Region::EuWest1);
        let verifier = PkceVerifier::from_string("v".repeat(43)).unwrap();
        let request =
            token_exchange_request(&env, "c", "https://app.example/", "the code", &verifier);
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url, "https://login.mypurecloud.ie/oauth/token");
        assert_eq!(
            request.body.as_deref(),
            Some(
                "grant_type=authorization_code&code=the+code&code_verifier=vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\
                 &client_id=c&redirect_uri=https%3A%2F%2Fapp.example%2F"
            )
        );
        assert!(request.headers.iter().all(|(n, _)| n != "Authorization"));
    }

    #[test]
    fn the_logout_url_names_the_client_and_return_address() {
        let env = Environment::from(Region::EuWest1);
        assert_eq!(
            logout_url(&env, "c", Some("https://app.example/")),
            "https://login.mypurecloud.ie/logout?client_id=c&redirect_uri=https%3A%2F%2Fapp.example%2F"
        );
        assert_eq!(
            logout_url(&env, "c", None),
            "https://login.mypurecloud.ie/logout?client_id=c"
        );
    }

    #[test]
    fn token_responses_yield_a_token_or_the_refusal() {
        let ok = HttpResponse::new(
            200,
            r#"{"access_token":"t","token_type":"bearer","expires_in":86399}"#,
        );
        assert_eq!(
            parse_token_response(&ok),
            Ok(AccessToken {
                token: "t".into(),
                expires_in: Some(86399)
            })
        );

        let refused = HttpResponse::new(
            400,
            r#"{"error":"invalid_grant","error_description":"bad verifier"}"#,
        );
        assert_eq!(
            parse_token_response(&refused),
            Err(AuthError::Refused {
                error: "invalid_grant".into(),
                description: Some("bad verifier".into())
            })
        );

        let html = HttpResponse::new(502, "<html>");
        assert_eq!(
            parse_token_response(&html),
            Err(AuthError::BadTokenResponse { status: 502 })
        );
    }

    #[test]
    fn a_code_callback_is_accepted_only_with_the_stored_state() {
        let callback = Callback::from_query("?code=abc&state=s1");
        assert!(callback.is_present());
        assert_eq!(
            callback.clone().verify(Some("s1")),
            Ok(Some(Verified::Code("abc".into())))
        );
        assert_eq!(
            callback.clone().verify(Some("s2")),
            Err(AuthError::StateMismatch)
        );
        assert_eq!(callback.verify(None), Err(AuthError::StateMismatch));
        assert_eq!(
            Callback::from_query("?code=abc").verify(Some("s1")),
            Err(AuthError::StateMismatch)
        );
    }

    #[test]
    fn an_error_callback_is_reported_in_words_when_its_state_matches() {
        let callback = Callback::from_query(
            "error=access_denied&error_description=User+denied+access&state=s1",
        );
        let error = callback.clone().verify(Some("s1")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Genesys refused the sign-in: access_denied (User denied access)"
        );
        assert_eq!(
            callback.verify(Some("other")),
            Err(AuthError::StateMismatch)
        );
    }

    #[test]
    fn an_implicit_fragment_yields_the_token_and_its_lifetime() {
        let callback =
            Callback::from_fragment("#access_token=tok&expires_in=3600&token_type=bearer&state=s1");
        let verified = callback.verify(Some("s1")).unwrap();
        assert_eq!(
            verified,
            Some(Verified::Token(AccessToken {
                token: "tok".into(),
                expires_in: Some(3600)
            }))
        );
    }

    #[test]
    fn an_ordinary_page_load_has_no_callback() {
        assert_eq!(Callback::from_query(""), Callback::None);
        assert_eq!(Callback::from_query("?tab=actions"), Callback::None);
        assert_eq!(Callback::from_fragment("#top"), Callback::None);
        assert_eq!(Callback::None.verify(Some("s")), Ok(None));
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let callback = Callback::from_fragment("access_token=very-secret&state=s");
        assert!(!format!("{callback:?}").contains("very-secret"));
        let code = Callback::from_query("code=secret-code&state=s");
        assert!(!format!("{code:?}").contains("secret-code"));
        let verifier = PkceVerifier::generate().unwrap();
        assert!(!format!("{verifier:?}").contains(verifier.as_str()));
    }
}
