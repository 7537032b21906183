//! Running inside Genesys Cloud as a Client Application: the `gcTargetEnv` and `gcHostOrigin`
//! values that Genesys fills into the application URL, checked against the known regions.
//!
//! The admin installs the page with a URL such as
//! `https://timeouts.example.com/?gcTargetEnv={{gcTargetEnv}}&gcHostOrigin={{gcHostOrigin}}`.
//! Anyone can craft such a link, so both values are accepted only when they name a known
//! Genesys Cloud environment and that environment's own application origin.

use crate::region::Region;

/// Where the hosting Genesys Cloud lives, from a checked application URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAppContext {
    /// The region the organisation is in; sign-in goes there.
    pub region: Region,
}

impl ClientAppContext {
    /// The origin of the Genesys Cloud user interface that frames the page.
    pub fn host_origin(&self) -> String {
        host_origin_of(self.region)
    }
}

/// Why the application URL's Genesys values were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientAppError {
    #[error(
        "this page was opened for the Genesys Cloud environment {0:?}, which is not a known region; open it from Genesys Cloud or without the gcTargetEnv parameter"
    )]
    UnknownEnvironment(String),
    #[error(
        "this page was opened for a Genesys Cloud host {0:?} that does not belong to the named region"
    )]
    UnknownHostOrigin(String),
    #[error("the application URL gives gcHostOrigin without gcTargetEnv")]
    MissingEnvironment,
    #[error(
        "the application URL still holds the placeholder {0:?}: open the page from Genesys Cloud, which fills it in"
    )]
    Placeholder(String),
}

/// The origin of the Genesys Cloud user interface of a region (`https://apps.{env}`).
pub fn host_origin_of(region: Region) -> String {
    format!("https://apps.{}", region.env_host())
}

/// Reads `gcTargetEnv` and `gcHostOrigin` from a query string (with or without `?`).
/// Returns `Ok(None)` when neither is present: the page is not running as a Client Application.
pub fn from_query(query: &str) -> Result<Option<ClientAppContext>, ClientAppError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut environment = None;
    let mut host_origin = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "gcTargetEnv" => environment = Some(value.into_owned()),
            "gcHostOrigin" => host_origin = Some(value.into_owned()),
            _ => {}
        }
    }

    let environment = match (environment, &host_origin) {
        (None, None) => return Ok(None),
        (None, Some(_)) => return Err(ClientAppError::MissingEnvironment),
        (Some(environment), _) => environment,
    };
    for value in std::iter::once(&environment).chain(host_origin.as_ref()) {
        if value.contains("{{") {
            return Err(ClientAppError::Placeholder(shorten(value)));
        }
    }

    let region = Region::parse(environment.trim())
        .map_err(|_| ClientAppError::UnknownEnvironment(shorten(&environment)))?;
    if let Some(origin) = host_origin
        && origin.trim_end_matches('/') != host_origin_of(region)
    {
        return Err(ClientAppError::UnknownHostOrigin(shorten(&origin)));
    }
    Ok(Some(ClientAppContext { region }))
}

/// Keeps hostile input short in messages.
fn shorten(value: &str) -> String {
    value.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_page_load_is_not_a_client_application() {
        assert_eq!(from_query(""), Ok(None));
        assert_eq!(from_query("?code=abc&state=x"), Ok(None));
    }

    #[test]
    fn a_known_environment_and_its_own_origin_are_accepted() {
        let context = from_query(
            "?gcTargetEnv=mypurecloud.ie&gcHostOrigin=https%3A%2F%2Fapps.mypurecloud.ie",
        )
        .unwrap()
        .unwrap();
        assert_eq!(context.region.env_host(), "mypurecloud.ie");
        assert_eq!(context.host_origin(), "https://apps.mypurecloud.ie");
    }

    #[test]
    fn the_environment_alone_is_enough() {
        let context = from_query("gcTargetEnv=usw2.pure.cloud").unwrap().unwrap();
        assert_eq!(context.region.env_host(), "usw2.pure.cloud");
    }

    #[test]
    fn a_crafted_environment_is_refused() {
        assert!(matches!(
            from_query("gcTargetEnv=evil.example.com"),
            Err(ClientAppError::UnknownEnvironment(_))
        ));
        assert!(matches!(
            from_query("gcTargetEnv=mypurecloud.com.evil.example"),
            Err(ClientAppError::UnknownEnvironment(_))
        ));
    }

    #[test]
    fn an_origin_of_another_host_or_region_is_refused() {
        for origin in [
            "https://evil.example.com",
            "https://apps.mypurecloud.de",
            "http://apps.mypurecloud.ie",
            "https://apps.mypurecloud.ie.evil.example",
        ] {
            let query = format!("gcTargetEnv=mypurecloud.ie&gcHostOrigin={origin}");
            assert!(
                matches!(
                    from_query(&query),
                    Err(ClientAppError::UnknownHostOrigin(_))
                ),
                "{origin} was accepted"
            );
        }
    }

    #[test]
    fn unfilled_placeholders_and_a_lone_origin_are_explained() {
        assert!(matches!(
            from_query("gcTargetEnv={{gcTargetEnv}}"),
            Err(ClientAppError::Placeholder(_))
        ));
        assert_eq!(
            from_query("gcHostOrigin=https://apps.mypurecloud.ie"),
            Err(ClientAppError::MissingEnvironment)
        );
    }
}
