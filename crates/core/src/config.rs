//! The deployment's `config.json`, parsed and checked, so that the app only asks for it.
//!
//! ```json
//! {"clientId": "…", "region": "mypurecloud.ie", "redirectUri": "https://…/",
//!  "org": "…", "provider": "…", "grant": "pkce",
//!  "emulator": {"apiBase": "http://127.0.0.1:4000", "loginBase": "http://127.0.0.1:4000"}}
//! ```
//!
//! `region` is a Genesys environment host or SDK key, or `"emulator"`, which requires the
//! `emulator` section. That section is the only way a non-Genesys host enters the product.

use serde::Deserialize;

use crate::region::{Environment, Region};

/// How the app obtains a token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grant {
    /// Authorization Code with PKCE: the default, and what Genesys recommends for browser apps.
    #[default]
    Pkce,
    /// The Implicit grant, for organisations whose OAuth client still uses it.
    Implicit,
}

/// A validated `config.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// The OAuth client id.
    pub client_id: String,
    /// The environment to offer first (a region, or the emulator).
    pub default_environment: Environment,
    /// The redirect URI registered on the OAuth client; `None` means "the page's own address".
    pub redirect_uri: Option<String>,
    /// The external identity provider's organisation and provider name, always given together.
    pub identity_provider: Option<IdentityProvider>,
    /// The grant type of the OAuth client.
    pub grant: Grant,
}

/// `org` and `provider` for sign-in through an external identity provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityProvider {
    pub org: String,
    pub provider: String,
}

/// What is wrong with a `config.json`, in words an administrator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config.json is not valid JSON or has a field of the wrong type: {0}")]
    Malformed(String),
    #[error("config.json has no \"clientId\": set it to the id of the OAuth client")]
    MissingClientId,
    #[error("config.json has no \"region\": set it to an environment such as \"mypurecloud.com\"")]
    MissingRegion,
    #[error("config.json names region {0:?}, which is not a Genesys Cloud region")]
    UnknownRegion(String),
    #[error(
        "config.json sets region \"emulator\" but has no \"emulator\" section with \"apiBase\" and \"loginBase\""
    )]
    MissingEmulator,
    #[error(
        "config.json: {field} must be an http or https address without a path, query or trailing slash, not {value:?}"
    )]
    BadBaseUrl { field: &'static str, value: String },
    #[error("config.json: \"redirectUri\" must be an absolute http or https address, not {0:?}")]
    BadRedirectUri(String),
    #[error("config.json: \"org\" and \"provider\" must be given together")]
    HalfIdentityProvider,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    client_id: Option<String>,
    region: Option<String>,
    redirect_uri: Option<String>,
    org: Option<String>,
    provider: Option<String>,
    #[serde(default)]
    grant: Grant,
    emulator: Option<RawEmulator>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEmulator {
    api_base: String,
    login_base: String,
}

impl AppConfig {
    /// Parses and validates the text of `config.json`.
    pub fn from_json(text: &str) -> Result<AppConfig, ConfigError> {
        let raw: RawConfig =
            serde_json::from_str(text).map_err(|e| ConfigError::Malformed(e.to_string()))?;

        let client_id = non_empty(raw.client_id).ok_or(ConfigError::MissingClientId)?;
        let region = non_empty(raw.region).ok_or(ConfigError::MissingRegion)?;
        let default_environment = environment_from(&region, raw.emulator)?;
        let redirect_uri = non_empty(raw.redirect_uri)
            .map(|uri| check_redirect_uri(&uri).map(|()| uri))
            .transpose()?;
        let identity_provider = match (non_empty(raw.org), non_empty(raw.provider)) {
            (Some(org), Some(provider)) => Some(IdentityProvider { org, provider }),
            (None, None) => None,
            _ => return Err(ConfigError::HalfIdentityProvider),
        };

        Ok(AppConfig {
            client_id,
            default_environment,
            redirect_uri,
            identity_provider,
            grant: raw.grant,
        })
    }

    /// True when the deployment talks to the emulator rather than a Genesys region; the region
    /// picker is then pointless.
    pub fn is_emulator(&self) -> bool {
        matches!(self.default_environment, Environment::Custom { .. })
    }

    /// The environment for a region the person picked; on an emulator deployment the emulator
    /// stays in use whatever was picked, so a stored region cannot leave it.
    pub fn environment_for(&self, region: Region) -> Environment {
        if self.is_emulator() {
            self.default_environment.clone()
        } else {
            Environment::Genesys(region)
        }
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn environment_from(
    region: &str,
    emulator: Option<RawEmulator>,
) -> Result<Environment, ConfigError> {
    if region.eq_ignore_ascii_case("emulator") {
        let emulator = emulator.ok_or(ConfigError::MissingEmulator)?;
        check_base_url("emulator.apiBase", &emulator.api_base)?;
        check_base_url("emulator.loginBase", &emulator.login_base)?;
        return Ok(Environment::custom(emulator.api_base, emulator.login_base));
    }

    Region::parse(region)
        .map(Environment::Genesys)
        .map_err(|_| ConfigError::UnknownRegion(region.chars().take(64).collect()))
}

/// Splits `scheme://authority/rest` and checks the scheme and authority.
fn split_http_url(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority_ok = !authority.is_empty()
        && !authority.contains('@')
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    authority_ok.then_some((authority, tail))
}

/// The emulator's base URLs must be plain loopback addresses: whoever can edit `config.json`
/// must not be able to send sign-in to another host through this section.
fn check_base_url(field: &'static str, value: &str) -> Result<(), ConfigError> {
    match split_http_url(value) {
        Some((authority, "")) if is_loopback(authority) => Ok(()),
        _ => Err(ConfigError::BadBaseUrl {
            field,
            value: value.to_string(),
        }),
    }
}

fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn check_redirect_uri(value: &str) -> Result<(), ConfigError> {
    match split_http_url(value) {
        Some((_, tail)) if !tail.contains('#') => Ok(()),
        _ => Err(ConfigError::BadRedirectUri(value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_config_uses_pkce_and_the_given_region() {
        let config =
            AppConfig::from_json(r#"{"clientId":"abc","region":"mypurecloud.ie"}"#).unwrap();
        assert_eq!(config.client_id, "abc");
        assert_eq!(
            config.default_environment,
            Environment::Genesys(Region::EuWest1)
        );
        assert_eq!(config.grant, Grant::Pkce);
        assert_eq!(config.redirect_uri, None);
        assert_eq!(config.identity_provider, None);
        assert!(!config.is_emulator());
    }

    #[test]
    fn a_full_config_is_read() {
        let config = AppConfig::from_json(
            r#"{"clientId":"abc","region":"eu_central_1","redirectUri":"https://app.example/timeouts/",
                "org":"acme","provider":"okta","grant":"implicit"}"#,
        )
        .unwrap();
        assert_eq!(
            config.default_environment,
            Environment::Genesys(Region::EuCentral1)
        );
        assert_eq!(
            config.redirect_uri.as_deref(),
            Some("https://app.example/timeouts/")
        );
        assert_eq!(
            config.identity_provider,
            Some(IdentityProvider {
                org: "acme".into(),
                provider: "okta".into()
            })
        );
        assert_eq!(config.grant, Grant::Implicit);
    }

    #[test]
    fn the_emulator_section_accepts_only_loopback_hosts() {
        let config = |base: &str| {
            AppConfig::from_json(&format!(
                r#"{{"clientId":"a","region":"emulator","emulator":{{"apiBase":"{base}","loginBase":"http://127.0.0.1:1"}}}}"#
            ))
        };
        assert!(config("http://127.0.0.1:4000").is_ok());
        assert!(config("http://localhost:4000").is_ok());
        assert!(config("http://[::1]:4000").is_ok());
        assert!(matches!(
            config("https://login.evil.example"),
            Err(ConfigError::BadBaseUrl { .. })
        ));
        assert!(matches!(
            config("http://10.0.0.1:4000"),
            Err(ConfigError::BadBaseUrl { .. })
        ));
    }

    #[test]
    fn the_emulator_needs_its_base_urls() {
        let config = AppConfig::from_json(
            r#"{"clientId":"abc","region":"emulator",
                "emulator":{"apiBase":"http://127.0.0.1:4000","loginBase":"http://127.0.0.1:4001"}}"#,
        )
        .unwrap();
        assert!(config.is_emulator());
        assert_eq!(
            config.default_environment.api_base(),
            "http://127.0.0.1:4000"
        );
        assert_eq!(
            config.environment_for(Region::UsEast1).login_base(),
            "http://127.0.0.1:4001"
        );

        let missing = AppConfig::from_json(r#"{"clientId":"abc","region":"emulator"}"#);
        assert_eq!(missing, Err(ConfigError::MissingEmulator));
    }

    #[test]
    fn bad_configs_are_refused_with_a_reason() {
        let cases = [
            ("not json", "Malformed"),
            (r#"{"region":"mypurecloud.ie"}"#, "MissingClientId"),
            (
                r#"{"clientId":"  ","region":"mypurecloud.ie"}"#,
                "MissingClientId",
            ),
            (r#"{"clientId":"a"}"#, "MissingRegion"),
            (
                r#"{"clientId":"a","region":"evil.example"}"#,
                "UnknownRegion",
            ),
            (
                r#"{"clientId":"a","region":"mypurecloud.ie","grant":"password"}"#,
                "Malformed",
            ),
            (
                r#"{"clientId":"a","region":"mypurecloud.ie","org":"acme"}"#,
                "HalfIdentityProvider",
            ),
            (
                r#"{"clientId":"a","region":"mypurecloud.ie","redirectUri":"javascript:alert(1)"}"#,
                "BadRedirectUri",
            ),
            (
                r#"{"clientId":"a","region":"mypurecloud.ie","redirectUri":"https://x.example/#frag"}"#,
                "BadRedirectUri",
            ),
            (
                r#"{"clientId":"a","region":"emulator","emulator":{"apiBase":"ftp://x","loginBase":"http://127.0.0.1:1"}}"#,
                "BadBaseUrl",
            ),
            (
                r#"{"clientId":"a","region":"emulator","emulator":{"apiBase":"http://127.0.0.1:1/","loginBase":"http://127.0.0.1:1"}}"#,
                "BadBaseUrl",
            ),
            (
                r#"{"clientId":"a","region":"emulator","emulator":{"apiBase":"http://u@127.0.0.1:1","loginBase":"http://127.0.0.1:1"}}"#,
                "BadBaseUrl",
            ),
        ];
        for (text, expected) in cases {
            let error = AppConfig::from_json(text).unwrap_err();
            assert!(
                format!("{error:?}").starts_with(expected),
                "{text}: got {error:?}, expected {expected}"
            );
            assert!(error.to_string().contains("config.json"));
        }
    }

    #[test]
    fn a_real_deployment_follows_the_picked_region() {
        let config =
            AppConfig::from_json(r#"{"clientId":"abc","region":"mypurecloud.com"}"#).unwrap();
        assert_eq!(
            config.environment_for(Region::ApNortheast1),
            Environment::Genesys(Region::ApNortheast1)
        );
    }
}
