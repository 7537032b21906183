//! Genesys Cloud regions, and the environment (API and login base URLs) a session talks to.
//!
//! A [`Region`] can only be one of the environments Genesys publishes in its SDKs, so a region
//! read back from a URL or from storage can never point the sign-in at another host. The one
//! exception, an [`Environment::custom`] with explicit base URLs (the emulator), is built only
//! from the deployment's own configuration and has no parser at all.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Genesys Cloud region, as listed by the official SDKs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    UsEast1,
    EuWest1,
    ApSoutheast2,
    ApNortheast1,
    EuCentral1,
    UsWest2,
    CaCentral1,
    ApNortheast2,
    EuWest2,
    ApSouth1,
    UsEast2,
    SaEast1,
    MeCentral1,
    ApNortheast3,
    EuCentral2,
    MxCentral1,
    ApSoutheast1,
    EuscDeEast1,
}

/// Why a region name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a Genesys Cloud region")]
pub struct UnknownRegion {
    /// What was given, shortened so that a pasted essay does not end up in a message.
    pub name: String,
}

/// One row of the region table: SDK key, environment host and a place name.
struct RegionInfo {
    key: &'static str,
    env: &'static str,
    place: &'static str,
}

impl Region {
    /// Every region, in the order the SDKs list them.
    pub const ALL: [Region; 18] = [
        Region::UsEast1,
        Region::EuWest1,
        Region::ApSoutheast2,
        Region::ApNortheast1,
        Region::EuCentral1,
        Region::UsWest2,
        Region::CaCentral1,
        Region::ApNortheast2,
        Region::EuWest2,
        Region::ApSouth1,
        Region::UsEast2,
        Region::SaEast1,
        Region::MeCentral1,
        Region::ApNortheast3,
        Region::EuCentral2,
        Region::MxCentral1,
        Region::ApSoutheast1,
        Region::EuscDeEast1,
    ];

    fn info(self) -> RegionInfo {
        // The place names come from the AWS region codes; Genesys does not publish labels.
        let (key, env, place) = match self {
            Region::UsEast1 => ("us_east_1", "mypurecloud.com", "Americas (US East)"),
            Region::EuWest1 => ("eu_west_1", "mypurecloud.ie", "EMEA (Dublin)"),
            Region::ApSoutheast2 => (
                "ap_southeast_2",
                "mypurecloud.com.au",
                "Asia Pacific (Sydney)",
            ),
            Region::ApNortheast1 => ("ap_northeast_1", "mypurecloud.jp", "Asia Pacific (Tokyo)"),
            Region::EuCentral1 => ("eu_central_1", "mypurecloud.de", "EMEA (Frankfurt)"),
            Region::UsWest2 => ("us_west_2", "usw2.pure.cloud", "Americas (US West)"),
            Region::CaCentral1 => ("ca_central_1", "cac1.pure.cloud", "Americas (Canada)"),
            Region::ApNortheast2 => ("ap_northeast_2", "apne2.pure.cloud", "Asia Pacific (Seoul)"),
            Region::EuWest2 => ("eu_west_2", "euw2.pure.cloud", "EMEA (London)"),
            Region::ApSouth1 => ("ap_south_1", "aps1.pure.cloud", "Asia Pacific (Mumbai)"),
            Region::UsEast2 => (
                "us_east_2",
                "use2.us-gov-pure.cloud",
                "Americas (US East 2, FedRAMP)",
            ),
            Region::SaEast1 => ("sa_east_1", "sae1.pure.cloud", "Americas (São Paulo)"),
            Region::MeCentral1 => ("me_central_1", "mec1.pure.cloud", "EMEA (UAE)"),
            Region::ApNortheast3 => ("ap_northeast_3", "apne3.pure.cloud", "Asia Pacific (Osaka)"),
            Region::EuCentral2 => ("eu_central_2", "euc2.pure.cloud", "EMEA (Zurich)"),
            Region::MxCentral1 => ("mx_central_1", "mxc1.pure.cloud", "Americas (Mexico)"),
            Region::ApSoutheast1 => (
                "ap_southeast_1",
                "apse1.pure.cloud",
                "Asia Pacific (Jakarta)",
            ),
            Region::EuscDeEast1 => (
                "eusc_de_east_1",
                "edee1.eusc-pure.cloud",
                "EU Sovereign Cloud (Germany)",
            ),
        };
        RegionInfo { key, env, place }
    }

    /// The SDK's name for the region, such as `eu_west_1`.
    pub fn sdk_key(self) -> &'static str {
        self.info().key
    }

    /// The environment host, such as `mypurecloud.ie`: the stable name to store and show.
    pub fn env_host(self) -> &'static str {
        self.info().env
    }

    /// A place name for pickers, such as "EMEA (Dublin)".
    pub fn place(self) -> &'static str {
        self.info().place
    }

    /// `https://api.{env}`.
    pub fn api_base(self) -> String {
        format!("https://api.{}", self.env_host())
    }

    /// `https://login.{env}`.
    pub fn login_base(self) -> String {
        format!("https://login.{}", self.env_host())
    }

    /// Accepts an environment host (`mypurecloud.ie`) or an SDK key (`eu_west_1`), ignoring case
    /// and surrounding spaces. Anything else is refused, including hosts with `api.`/`login.`
    /// prefixes or schemes: a stored or linked region is a name from the list, never a URL.
    pub fn parse(name: &str) -> Result<Region, UnknownRegion> {
        let wanted = name.trim().to_ascii_lowercase();
        Region::ALL
            .into_iter()
            .find(|region| region.env_host() == wanted || region.sdk_key() == wanted)
            .ok_or_else(|| UnknownRegion {
                name: name.chars().take(64).collect(),
            })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.env_host())
    }
}

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::parse(s)
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.env_host())
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Region::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Where a session's API and login requests go: a Genesys region, or a custom pair of base URLs
/// from the deployment's configuration (the emulator).
///
/// There is deliberately no way to build the custom variant from a string read at run time:
/// only [`crate::config::AppConfig`] creates one, from the `emulator` section of `config.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// One of the published Genesys Cloud regions.
    Genesys(Region),
    /// Explicit base URLs, without a trailing slash.
    Custom {
        api_base: String,
        login_base: String,
    },
}

impl Environment {
    /// Builds a custom environment; the caller has validated the URLs (see `config`).
    pub(crate) fn custom(api_base: String, login_base: String) -> Environment {
        Environment::Custom {
            api_base,
            login_base,
        }
    }

    /// The API base URL, such as `https://api.mypurecloud.ie`, without a trailing slash.
    pub fn api_base(&self) -> String {
        match self {
            Environment::Genesys(region) => region.api_base(),
            Environment::Custom { api_base, .. } => api_base.clone(),
        }
    }

    /// The login base URL, such as `https://login.mypurecloud.ie`, without a trailing slash.
    pub fn login_base(&self) -> String {
        match self {
            Environment::Genesys(region) => region.login_base(),
            Environment::Custom { login_base, .. } => login_base.clone(),
        }
    }

    /// The short name to show and to key stored data with: the env host, or `emulator`.
    pub fn name(&self) -> String {
        match self {
            Environment::Genesys(region) => region.env_host().to_string(),
            Environment::Custom { .. } => "emulator".to_string(),
        }
    }

    /// The region, when this is a real Genesys environment.
    pub fn region(&self) -> Option<Region> {
        match self {
            Environment::Genesys(region) => Some(*region),
            Environment::Custom { .. } => None,
        }
    }
}

impl From<Region> for Environment {
    fn from(region: Region) -> Self {
        Environment::Genesys(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_eighteen_distinct_regions() {
        let mut hosts: Vec<_> = Region::ALL.iter().map(|r| r.env_host()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        assert_eq!(hosts.len(), 18);

        let mut keys: Vec<_> = Region::ALL.iter().map(|r| r.sdk_key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 18);
    }

    #[test]
    fn every_region_round_trips_through_host_and_key() {
        for region in Region::ALL {
            assert_eq!(Region::parse(region.env_host()), Ok(region));
            assert_eq!(Region::parse(region.sdk_key()), Ok(region));
            assert_eq!(region.to_string().parse::<Region>(), Ok(region));
        }
    }

    #[test]
    fn parsing_ignores_case_and_surrounding_spaces() {
        assert_eq!(Region::parse("  MyPureCloud.IE "), Ok(Region::EuWest1));
        assert_eq!(Region::parse("EU_WEST_1"), Ok(Region::EuWest1));
    }

    #[test]
    fn hosts_are_built_from_the_environment() {
        assert_eq!(Region::EuWest1.api_base(), "https://api.mypurecloud.ie");
        assert_eq!(Region::EuWest1.login_base(), "https://login.mypurecloud.ie");
        assert_eq!(
            Region::EuscDeEast1.api_base(),
            "https://api.edee1.eusc-pure.cloud"
        );
        assert_eq!(
            Region::UsEast2.login_base(),
            "https://login.use2.us-gov-pure.cloud"
        );
    }

    #[test]
    fn names_that_are_not_on_the_list_are_refused() {
        for name in [
            "",
            "emulator",
            "evil.example",
            "api.mypurecloud.ie",
            "https://login.mypurecloud.ie",
            "mypurecloud.ie.evil.example",
            "mypurecloud.ie/",
            "http://127.0.0.1:8080",
            "eu-west-1",
        ] {
            assert!(Region::parse(name).is_err(), "{name:?} was accepted");
        }
    }

    #[test]
    fn a_stored_region_deserialises_only_from_the_list() {
        let region: Region = serde_json::from_str("\"mypurecloud.de\"").unwrap();
        assert_eq!(region, Region::EuCentral1);
        assert!(serde_json::from_str::<Region>("\"fake.example\"").is_err());
        assert_eq!(
            serde_json::to_string(&Region::EuCentral1).unwrap(),
            "\"mypurecloud.de\""
        );
    }

    #[test]
    fn environments_report_their_bases_and_names() {
        let real = Environment::from(Region::ApSoutheast2);
        assert_eq!(real.api_base(), "https://api.mypurecloud.com.au");
        assert_eq!(real.name(), "mypurecloud.com.au");
        assert_eq!(real.region(), Some(Region::ApSoutheast2));

        let custom = Environment::custom(
            "http://127.0.0.1:4000".to_string(),
            "http://127.0.0.1:4001".to_string(),
        );
        assert_eq!(custom.api_base(), "http://127.0.0.1:4000");
        assert_eq!(custom.login_base(), "http://127.0.0.1:4001");
        assert_eq!(custom.name(), "emulator");
        assert_eq!(custom.region(), None);
    }
}
