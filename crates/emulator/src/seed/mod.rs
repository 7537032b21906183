//! The seeded organisations (`demo` and `large:N[:SEED]`), their users and clients.
//!
//! Every id is deterministic and UUID-shaped, so tests and the README can name them.

mod demo;
mod flows;
mod large;

use serde_json::{Value, json};

use crate::config::Seed;
use crate::model::{
    ActionBody, ActionConfig, Flow, Integration, LatencyProfile, PermissionPolicy, Principal,
    RequestConfig, ResponseConfig, StoredAction,
};

/// Client id of the demo browser client (authorization code + PKCE, or implicit).
pub const DEMO_BROWSER_CLIENT_ID: &str = "c11e0000-0000-4000-8000-000000000001";
/// Client id of the demo client-credentials client.
pub const DEMO_CREDENTIALS_CLIENT_ID: &str = "c11e0000-0000-4000-8000-000000000002";
/// Secret of the demo client-credentials client.
pub const DEMO_CREDENTIALS_CLIENT_SECRET: &str = "emulator-secret";

/// The organisation every seed belongs to.
pub const ORG_ID: &str = "0e600000-0000-4000-8000-000000000001";
pub const ORG_NAME: &str = "Emulated Org";

/// Dana Admin: may view and edit actions.
pub const ADMIN_USER_ID: &str = "a5e00000-0000-4000-8000-000000000001";
/// Victor Viewer: may only view actions.
pub const VIEWER_USER_ID: &str = "a5e00000-0000-4000-8000-000000000002";
/// Nora Agent: holds no integrations permission at all.
pub const NO_ACCESS_USER_ID: &str = "a5e00000-0000-4000-8000-000000000003";
/// Wren Wildcard: an admin whose rights come only as `*` permission policies.
pub const WILDCARD_USER_ID: &str = "a5e00000-0000-4000-8000-000000000004";

/// The permissions an editing admin holds.
const ADMIN_PERMISSIONS: &[&str] = &[
    "integrations:action:view",
    "integrations:action:edit",
    "integrations:action:add",
    "integrations:action:delete",
    "integrations:action:execute",
    "integrations:actionFunction:view",
    "integrations:integration:view",
    "audits:audit:view",
    "architect:dependencyTracking:view",
];

/// What a seed produces.
#[derive(Debug)]
pub struct SeedData {
    pub integrations: Vec<Integration>,
    pub actions: Vec<StoredAction>,
    pub users: Vec<Principal>,
    /// Flows that use actions (the generated seed has none).
    pub flows: Vec<Flow>,
}

/// Builds the organisation for `seed`.
pub fn build(seed: &Seed) -> SeedData {
    let (integrations, actions, flows) = match seed {
        Seed::Demo => {
            let (integrations, actions) = demo::build();
            (integrations, actions, flows::demo())
        }
        Seed::Large { count, seed } => {
            let (integrations, actions) = large::build(*count, *seed);
            (integrations, actions, Vec::new())
        }
    };
    SeedData {
        integrations,
        actions,
        users: users(),
        flows,
    }
}

/// A UUID-shaped id: `kind` names the record type, `n` numbers it.
pub(crate) fn uuid_like(kind: u32, n: u64) -> String {
    format!("{kind:08x}-0000-4000-8000-{n:012x}")
}

/// The four seeded users.
pub fn users() -> Vec<Principal> {
    vec![
        user(ADMIN_USER_ID, "Dana Admin", "Admin", ADMIN_PERMISSIONS),
        user(
            VIEWER_USER_ID,
            "Victor Viewer",
            "Viewer",
            &["integrations:action:view", "integrations:integration:view"],
        ),
        user(
            NO_ACCESS_USER_ID,
            "Nora Agent",
            "Agent",
            &["conversation:communication:view", "routing:queue:view"],
        ),
        Principal {
            id: WILDCARD_USER_ID.into(),
            name: "Wren Wildcard".into(),
            email: Some("wren.wildcard@example.com".into()),
            roles: vec!["Master Admin".into()],
            permissions: Vec::new(),
            permission_policies: ["integrations", "audits", "architect"]
                .iter()
                .enumerate()
                .map(|(n, domain)| PermissionPolicy {
                    id: uuid_like(0x90c1_0000, 100 + n as u64),
                    domain: (*domain).into(),
                    entity_name: "*".into(),
                    policy_name: format!("{domain}-all"),
                    action_set: vec!["*".into()],
                })
                .collect(),
            is_client: false,
        },
    ]
}

fn user(id: &str, name: &str, role: &str, permissions: &[&str]) -> Principal {
    let first = name.split(' ').next().unwrap_or(name).to_lowercase();
    let last = name.split(' ').next_back().unwrap_or(name).to_lowercase();
    Principal {
        id: id.into(),
        name: name.into(),
        email: Some(format!("{first}.{last}@example.com")),
        roles: vec![role.into()],
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        permission_policies: policies_for(permissions),
        is_client: false,
    }
}

/// One policy per permission, the way a role without wildcards is reported.
fn policies_for(permissions: &[&str]) -> Vec<PermissionPolicy> {
    permissions
        .iter()
        .enumerate()
        .filter_map(|(n, permission)| {
            let mut parts = permission.splitn(3, ':');
            let (domain, entity, action) = (parts.next()?, parts.next()?, parts.next()?);
            Some(PermissionPolicy {
                id: uuid_like(0x90c1_0000, n as u64 + 1),
                domain: domain.into(),
                entity_name: entity.into(),
                policy_name: format!("{domain}-{entity}-{action}"),
                action_set: vec![action.into()],
            })
        })
        .collect()
}

/// The rights carried by a client-credentials client's tokens: those of an editing admin.
pub fn credentials_client_principal(client_id: &str) -> Principal {
    Principal {
        id: client_id.into(),
        name: format!("Client {client_id}"),
        email: None,
        roles: vec!["Admin".into()],
        permissions: ADMIN_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
        permission_policies: policies_for(ADMIN_PERMISSIONS),
        is_client: true,
    }
}

/// An input/output contract with the given input fields (all strings).
pub(crate) fn contract(title: &str, inputs: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = inputs
        .iter()
        .map(|field| ((*field).to_owned(), json!({ "type": "string" })))
        .collect();
    json!({
        "input": { "inputSchema": {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": format!("{title} input"),
            "type": "object",
            "required": inputs,
            "properties": properties,
            "additionalProperties": true,
        } },
        "output": { "successSchema": {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": format!("{title} output"),
            "type": "object",
            "properties": { "result": { "type": "string" } },
            "additionalProperties": true,
        } },
    })
}

/// A complete request/response config, as the services store it.
pub(crate) fn config(timeout: Option<u32>, method: &str, url: &str) -> ActionConfig {
    let mut headers = serde_json::Map::new();
    headers.insert("Accept".into(), json!("application/json"));
    if method != "GET" {
        headers.insert("Content-Type".into(), json!("application/json"));
    }
    let mut translation = serde_json::Map::new();
    translation.insert("result".into(), json!("$.result"));
    let mut defaults = serde_json::Map::new();
    defaults.insert("result".into(), json!("\"\""));

    ActionConfig {
        timeout_seconds: timeout,
        request: Some(RequestConfig {
            request_url_template: Some(url.to_owned()),
            request_template: Some("${input.rawRequest}".into()),
            request_template_uri: None,
            request_type: Some(method.to_owned()),
            headers: Some(headers),
        }),
        response: Some(ResponseConfig {
            translation_map: Some(translation),
            translation_map_defaults: Some(defaults),
            success_template: Some("{\"result\": ${result}}".into()),
            success_template_uri: None,
        }),
    }
}

/// A published action with no draft.
pub(crate) fn action(
    id: String,
    integration: &Integration,
    name: &str,
    body: (ActionConfig, Value),
    latency: LatencyProfile,
) -> StoredAction {
    let (config, contract) = body;
    StoredAction {
        id,
        integration_id: integration.id.clone(),
        published: ActionBody {
            name: name.to_owned(),
            category: integration.name.clone(),
            secure: false,
            version: 1,
            contract,
            config,
        },
        draft: None,
        templates_by_uri: false,
        latency,
    }
}
