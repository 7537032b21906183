//! The emulator's configuration: the command-line flags and their library equivalent.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;

use crate::quirks::Quirk;

/// The largest organisation `large:N` builds.
pub const MAX_LARGE_ACTIONS: usize = 10_000;

/// Which organisation the emulator starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seed {
    /// The hand-made demo organisation described in the README.
    Demo,
    /// A generated organisation of `count` actions; the same `count` and `seed` always give
    /// the same organisation.
    Large { count: usize, seed: u64 },
}

/// A `--seed` value that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    #[error("unknown seed `{0}`: use `demo` or `large:N[:SEED]`")]
    Unknown(String),
    #[error("`{0}` is not a number of actions")]
    BadCount(String),
    #[error("`{0}` is not a whole-number seed")]
    BadSeed(String),
    #[error("large seeds hold 1 to {MAX_LARGE_ACTIONS} actions, not {0}")]
    OutOfRange(usize),
}

impl FromStr for Seed {
    type Err = SeedError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "demo" {
            return Ok(Seed::Demo);
        }
        let Some(rest) = text.strip_prefix("large:") else {
            return Err(SeedError::Unknown(text.to_owned()));
        };

        let (count_text, seed_text) = match rest.split_once(':') {
            Some((count, seed)) => (count, Some(seed)),
            None => (rest, None),
        };
        let count: usize = count_text
            .parse()
            .map_err(|_| SeedError::BadCount(count_text.to_owned()))?;
        if count == 0 || count > MAX_LARGE_ACTIONS {
            return Err(SeedError::OutOfRange(count));
        }
        let seed = match seed_text {
            Some(seed) => seed
                .parse()
                .map_err(|_| SeedError::BadSeed(seed.to_owned()))?,
            None => 1,
        };
        Ok(Seed::Large { count, seed })
    }
}

/// A browser (code or implicit grant) client and one redirect URI registered for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRedirect {
    pub client_id: String,
    pub redirect_uri: String,
}

impl FromStr for ClientRedirect {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once('=') {
            Some((id, uri)) if !id.is_empty() && !uri.is_empty() => Ok(ClientRedirect {
                client_id: id.to_owned(),
                redirect_uri: uri.to_owned(),
            }),
            _ => Err(format!("`{text}` is not ID=REDIRECT_URI")),
        }
    }
}

/// A client-credentials client: its id and secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: String,
}

impl FromStr for ClientCredentials {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once(':') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => Ok(ClientCredentials {
                client_id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            _ => Err(format!("`{text}` is not ID:SECRET")),
        }
    }
}

/// Everything the emulator can be told at start. `Default` gives the command-line defaults
/// with the demo seed.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Where the API and login origin listens.
    pub listen: SocketAddr,
    pub seed: Seed,
    /// A built app to serve on a second origin.
    pub app_dir: Option<PathBuf>,
    /// Where the app origin listens (used only with `app_dir`).
    pub app_listen: SocketAddr,
    /// API requests allowed per token per minute (see the README for the exact rule).
    pub rate_limit_per_minute: u32,
    /// Extra delay added before every `/api/v2` response.
    pub latency_ms: u64,
    /// Lifetime of every access token.
    pub token_ttl_seconds: u64,
    /// Extra redirect URIs for browser clients (new client ids are registered on the fly).
    pub clients: Vec<ClientRedirect>,
    /// Extra client-credentials clients.
    pub client_credentials: Vec<ClientCredentials>,
    /// Quirks switched on at start.
    pub quirks: Vec<Quirk>,
    /// Origins allowed by CORS; empty means any `http://127.0.0.1:*`, `http://localhost:*` or
    /// `http://[::1]:*` origin.
    pub allowed_origins: Vec<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: Seed::Demo,
            app_dir: None,
            app_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            rate_limit_per_minute: 300,
            latency_ms: 0,
            token_ttl_seconds: 86_400,
            clients: Vec::new(),
            client_credentials: Vec::new(),
            quirks: Vec::new(),
            allowed_origins: Vec::new(),
        }
    }
}

/// The command line of the `genesys-emulator` binary.
#[derive(Debug, Parser)]
#[command(
    name = "genesys-emulator",
    version,
    about = "A loopback emulator of the Genesys Cloud API subset used by Data Action Timeouts"
)]
pub struct Cli {
    /// Address of the API and login origin.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// `demo` or `large:N[:SEED]`.
    #[arg(long, default_value = "demo")]
    pub seed: Seed,
    /// Directory of a built app to serve on its own origin.
    #[arg(long)]
    pub app_dir: Option<PathBuf>,
    /// Address of the app origin.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub app_listen: SocketAddr,
    /// API requests per token per minute.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: u32,
    /// Delay added to every API response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub token_ttl: u64,
    /// Register a redirect URI for a browser client: ID=REDIRECT_URI (repeatable).
    #[arg(long = "client")]
    pub clients: Vec<ClientRedirect>,
    /// Register a client-credentials client: ID:SECRET (repeatable).
    #[arg(long = "client-credentials")]
    pub client_credentials: Vec<ClientCredentials>,
    /// Switch on a quirk by name (repeatable; see the README).
    #[arg(long = "quirk")]
    pub quirks: Vec<Quirk>,
    /// Allow a CORS origin (repeatable); without it any loopback origin is allowed.
    #[arg(long = "allow-origin")]
    pub allowed_origins: Vec<String>,
}

impl From<Cli> for EmulatorConfig {
    fn from(cli: Cli) -> Self {
        EmulatorConfig {
            listen: cli.listen,
            seed: cli.seed,
            app_dir: cli.app_dir,
            app_listen: cli.app_listen,
            rate_limit_per_minute: cli.rate_limit,
            latency_ms: cli.latency_ms,
            token_ttl_seconds: cli.token_ttl,
            clients: cli.clients,
            client_credentials: cli.client_credentials,
            quirks: cli.quirks,
            allowed_origins: cli.allowed_origins,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_from_their_documented_forms() {
        assert_eq!("demo".parse(), Ok(Seed::Demo));
        assert_eq!(
            "large:2500".parse(),
            Ok(Seed::Large {
                count: 2500,
                seed: 1
            })
        );
        assert_eq!("large:10:7".parse(), Ok(Seed::Large { count: 10, seed: 7 }));
    }

    #[test]
    fn malformed_or_oversized_seeds_are_refused() {
        assert!("large".parse::<Seed>().is_err());
        assert!("large:x".parse::<Seed>().is_err());
        assert!("large:10:x".parse::<Seed>().is_err());
        assert_eq!(
            "large:10001".parse::<Seed>(),
            Err(SeedError::OutOfRange(10_001))
        );
        assert_eq!("large:0".parse::<Seed>(), Err(SeedError::OutOfRange(0)));
    }

    #[test]
    fn the_command_line_defaults_match_the_library_defaults() {
        let from_cli = EmulatorConfig::from(Cli::parse_from(["genesys-emulator"]));
        let default = EmulatorConfig::default();
        assert_eq!(from_cli.listen, default.listen);
        assert_eq!(from_cli.seed, default.seed);
        assert_eq!(
            from_cli.rate_limit_per_minute,
            default.rate_limit_per_minute
        );
        assert_eq!(from_cli.token_ttl_seconds, default.token_ttl_seconds);
    }

    #[test]
    fn repeatable_flags_collect_every_value() {
        let cli = Cli::parse_from([
            "genesys-emulator",
            "--client",
            "app=http://127.0.0.1:8080/",
            "--client-credentials",
            "svc:s3cret",
            "--quirk",
            "no-retry-after",
            "--quirk",
            "templates-as-uris",
        ]);
        assert_eq!(cli.clients[0].redirect_uri, "http://127.0.0.1:8080/");
        assert_eq!(cli.client_credentials[0].secret, "s3cret");
        assert_eq!(
            cli.quirks,
            vec![Quirk::NoRetryAfter, Quirk::TemplatesAsUris]
        );
    }
}
