//! The emulated organisation and the run-time state around it (tokens, codes, rate buckets,
//! quirks, faults), shared by every handler behind one mutex.
//!
//! Handlers never hold the lock across an `.await`, so a plain `std::sync::Mutex` is enough.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::audit::{Actor, AuditLog, Change};
use crate::config::EmulatorConfig;
use crate::faults::FaultState;
use crate::limits::RateLimiter;
use crate::model::{Flow, Integration, Principal, StoredAction};
use crate::quirks::Quirk;
use crate::seed::{self, SeedData};

/// How long an authorization code may wait before it is exchanged.
pub const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The base URLs of the running emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Urls {
    /// e.g. `http://127.0.0.1:41234`, no trailing slash.
    pub api: String,
    pub login: String,
    pub app: Option<String>,
}

impl Urls {
    /// URLs for a router driven in process without a socket.
    pub fn in_process() -> Self {
        Urls {
            api: "http://127.0.0.1:9".into(),
            login: "http://127.0.0.1:9".into(),
            app: None,
        }
    }
}

/// An issued access token.
#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub principal_id: String,
    pub client_id: String,
    pub expires_at: Instant,
    pub revoked: bool,
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug)]
pub struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub user_id: String,
    pub issued_at: Instant,
}

/// A client-credentials client and the rights its tokens carry.
#[derive(Clone, Debug)]
pub struct CredentialsClient {
    pub secret: String,
    pub principal: Principal,
}

/// Counters of the API traffic since the last reset, for assertions.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestCounts {
    /// Every `/api/v2` request that reached the emulator.
    pub api_requests: u64,
    /// Requests answered with 429 (by the bucket or a forced burst).
    pub rate_limited: u64,
    /// Requests failed or dropped by an injected fault.
    pub faulted: u64,
    /// Requests per `METHOD /route/{pattern}`.
    pub by_route: BTreeMap<String, u64>,
}

/// The whole mutable state of the emulator.
#[derive(Debug)]
pub struct Org {
    pub integrations: Vec<Integration>,
    pub actions: Vec<StoredAction>,
    action_index: HashMap<String, usize>,
    pub users: Vec<Principal>,
    /// Browser clients and their registered redirect URIs.
    pub browser_clients: BTreeMap<String, Vec<String>>,
    pub credentials_clients: BTreeMap<String, CredentialsClient>,
    pub tokens: HashMap<String, TokenRecord>,
    pub codes: HashMap<String, CodeRecord>,
    pub quirks: BTreeSet<Quirk>,
    pub faults: FaultState,
    pub limiter: RateLimiter,
    pub counts: RequestCounts,
    /// Overrides merged into the app's generated `config.json`.
    pub app_config_overrides: Map<String, Value>,
    /// Flows that use actions, for dependency tracking.
    pub flows: Vec<Flow>,
    /// Every change to an action or draft made in this run.
    pub audit: AuditLog,
    /// How many times each action has been tested since the start or the last reset.
    pub test_runs: HashMap<String, u64>,
    /// Simulated durations forced on the next test of an action, in milliseconds.
    pub forced_test_ms: HashMap<String, u64>,
}

impl Org {
    /// Builds the organisation described by `config`, with the clients it registers.
    pub fn new(config: &EmulatorConfig, urls: &Urls) -> Self {
        let SeedData {
            integrations,
            actions,
            users,
            flows,
        } = seed::build(&config.seed);

        let mut org = Org {
            integrations,
            actions: Vec::new(),
            action_index: HashMap::new(),
            users,
            browser_clients: BTreeMap::new(),
            credentials_clients: BTreeMap::new(),
            tokens: HashMap::new(),
            codes: HashMap::new(),
            quirks: config.quirks.iter().copied().collect(),
            faults: FaultState::new(config.latency_ms),
            limiter: RateLimiter::new(config.rate_limit_per_minute),
            counts: RequestCounts::default(),
            app_config_overrides: Map::new(),
            flows,
            audit: AuditLog::default(),
            test_runs: HashMap::new(),
            forced_test_ms: HashMap::new(),
        };
        org.replace_actions(actions);
        org.register_clients(config, urls);
        org
    }

    fn register_clients(&mut self, config: &EmulatorConfig, urls: &Urls) {
        let mut demo_redirects = Vec::new();
        if let Some(app) = &urls.app {
            demo_redirects.push(format!("{app}/"));
        }
        self.browser_clients
            .insert(seed::DEMO_BROWSER_CLIENT_ID.to_owned(), demo_redirects);
        for client in &config.clients {
            let uris = self
                .browser_clients
                .entry(client.client_id.clone())
                .or_default();
            if !uris.contains(&client.redirect_uri) {
                uris.push(client.redirect_uri.clone());
            }
        }

        let mut credentials = vec![(
            seed::DEMO_CREDENTIALS_CLIENT_ID.to_owned(),
            seed::DEMO_CREDENTIALS_CLIENT_SECRET.to_owned(),
        )];
        credentials.extend(
            config
                .client_credentials
                .iter()
                .map(|client| (client.client_id.clone(), client.secret.clone())),
        );
        for (id, secret) in credentials {
            let principal = seed::credentials_client_principal(&id);
            self.credentials_clients
                .insert(id, CredentialsClient { secret, principal });
        }
    }

    /// Replaces every action (used by seeding and reset).
    pub fn replace_actions(&mut self, actions: Vec<StoredAction>) {
        self.action_index = actions
            .iter()
            .enumerate()
            .map(|(position, action)| (action.id.clone(), position))
            .collect();
        self.actions = actions;
    }

    pub fn action(&self, id: &str) -> Option<&StoredAction> {
        self.action_index
            .get(id)
            .map(|&position| &self.actions[position])
    }

    pub fn action_mut(&mut self, id: &str) -> Option<&mut StoredAction> {
        let position = *self.action_index.get(id)?;
        self.actions.get_mut(position)
    }

    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations
            .iter()
            .find(|integration| integration.id == id)
    }

    pub fn user(&self, id: &str) -> Option<&Principal> {
        self.users.iter().find(|user| user.id == id)
    }

    /// The user or client a token speaks for.
    pub fn principal(&self, id: &str) -> Option<&Principal> {
        self.user(id).or_else(|| {
            self.credentials_clients
                .values()
                .map(|client| &client.principal)
                .find(|principal| principal.id == id)
        })
    }

    /// Adds `change` by `actor` to the audit trail.
    pub fn audit(&mut self, actor: Actor, change: Change<'_>) {
        self.audit.record(actor, change);
    }

    pub fn has_quirk(&self, quirk: Quirk) -> bool {
        self.quirks.contains(&quirk)
    }

    /// Issues a token for `principal_id` on behalf of `client_id`.
    pub fn issue_token(&mut self, principal_id: &str, client_id: &str, ttl: Duration) -> String {
        let token = format!("emu-{}", uuid::Uuid::new_v4().simple());
        self.tokens.insert(
            token.clone(),
            TokenRecord {
                principal_id: principal_id.to_owned(),
                client_id: client_id.to_owned(),
                expires_at: Instant::now() + ttl,
                revoked: false,
            },
        );
        token
    }

    /// Whether `redirect_uri` is registered, exactly, for browser client `client_id`.
    pub fn is_registered_redirect(&self, client_id: &str, redirect_uri: &str) -> bool {
        self.browser_clients
            .get(client_id)
            .is_some_and(|uris| uris.iter().any(|uri| uri == redirect_uri))
    }
}

/// The state every handler reads: fixed configuration plus the locked organisation.
#[derive(Clone, Debug)]
pub struct AppState {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: EmulatorConfig,
    urls: Urls,
    org: Mutex<Org>,
}

impl AppState {
    pub fn new(config: EmulatorConfig, urls: Urls) -> Self {
        let org = Org::new(&config, &urls);
        AppState {
            shared: Arc::new(Shared {
                config,
                urls,
                org: Mutex::new(org),
            }),
        }
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    pub fn urls(&self) -> &Urls {
        &self.shared.urls
    }

    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.shared.config.token_ttl_seconds)
    }

    /// Locks the organisation. A panic while the lock was held cannot leave it half-updated
    /// in a way that matters to an emulator, so a poisoned lock is simply taken over.
    pub fn org(&self) -> MutexGuard<'_, Org> {
        self.shared
            .org
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts the organisation back to its seeded state: actions, drafts, quirks (as configured
    /// at start), faults, rate buckets and counters. Tokens and clients survive, so signed-in
    /// sessions keep working.
    pub fn reset(&self) {
        let fresh = Org::new(&self.shared.config, &self.shared.urls);
        let mut org = self.org();
        let tokens = std::mem::take(&mut org.tokens);
        *org = fresh;
        org.tokens = tokens;
    }
}
