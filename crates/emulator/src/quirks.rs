//! The switchable alternatives for behaviours the reference leaves unconfirmed.
//!
//! By default the emulator answers the way the reference finds most plausible; each quirk
//! turns on one documented alternative so that clients can be tested against both.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One unconfirmed behaviour switched to its alternative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quirk {
    /// `GET /api/v2/integrations/actions` (and the drafts listing) never returns `config`,
    /// whatever `includeConfig` says, as on orgs that predate the parameter.
    ListIgnoresIncludeConfig,
    /// A stale `version` is answered with 400 "does not match the current version" instead
    /// of 409.
    #[serde(rename = "version-mismatch-400")]
    VersionMismatch400,
    /// A PATCH whose `config` omits `timeoutSeconds` keeps the stored timeout instead of
    /// clearing it.
    PatchKeepsOmittedTimeout,
    /// Every action's templates come back as `requestTemplateUri`/`successTemplateUri`
    /// instead of inline text.
    TemplatesAsUris,
    /// 429 responses carry no `Retry-After` header.
    NoRetryAfter,
    /// Action analytics leave `p95` and `p99` out of `tTotalExecution`'s stats.
    NoPercentiles,
}

impl Quirk {
    /// Every quirk, in the order the README lists them.
    pub const ALL: [Quirk; 6] = [
        Quirk::ListIgnoresIncludeConfig,
        Quirk::VersionMismatch400,
        Quirk::PatchKeepsOmittedTimeout,
        Quirk::TemplatesAsUris,
        Quirk::NoRetryAfter,
        Quirk::NoPercentiles,
    ];

    /// The kebab-case name used by `--quirk` and the control API.
    pub fn name(self) -> &'static str {
        match self {
            Quirk::ListIgnoresIncludeConfig => "list-ignores-include-config",
            Quirk::VersionMismatch400 => "version-mismatch-400",
            Quirk::PatchKeepsOmittedTimeout => "patch-keeps-omitted-timeout",
            Quirk::TemplatesAsUris => "templates-as-uris",
            Quirk::NoRetryAfter => "no-retry-after",
            Quirk::NoPercentiles => "no-percentiles",
        }
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A quirk name that matches none of the known quirks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown quirk `{0}` (known: list-ignores-include-config, version-mismatch-400, patch-keeps-omitted-timeout, templates-as-uris, no-retry-after, no-percentiles)"
)]
pub struct UnknownQuirk(pub String);

impl FromStr for Quirk {
    type Err = UnknownQuirk;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Quirk::ALL
            .into_iter()
            .find(|quirk| quirk.name() == name)
            .ok_or_else(|| UnknownQuirk(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quirk_parses_back_from_its_name() {
        for quirk in Quirk::ALL {
            assert_eq!(quirk.name().parse::<Quirk>(), Ok(quirk));
            let json = serde_json::to_string(&quirk).unwrap();
            assert_eq!(json, format!("\"{}\"", quirk.name()));
        }
    }

    #[test]
    fn an_unknown_quirk_name_is_refused() {
        assert!("no-such-quirk".parse::<Quirk>().is_err());
    }
}
