//! The organisation's stored records: integrations, actions with their drafts, users and
//! their rights, and the wire shapes of action configs.
//!
//! These are the emulator's own wire types, deliberately independent of the client's, so a
//! misspelled field cannot agree with itself on both sides.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The id prefix of custom authentication actions (`customAuth_-_{integrationId}`).
pub const CUSTOM_AUTH_PREFIX: &str = "customAuth";
/// The id prefix of Genesys-owned static actions.
pub const STATIC_PREFIX: &str = "static";
/// The file name under which an action's request template is served.
pub const REQUEST_TEMPLATE_FILE: &str = "requesttemplate.vm";
/// The file name under which an action's success template is served.
pub const SUCCESS_TEMPLATE_FILE: &str = "successtemplate.vm";

/// An installed integration.
#[derive(Clone, Debug)]
pub struct Integration {
    pub id: String,
    pub name: String,
    /// The integration type id, e.g. `custom-rest-actions`.
    pub type_id: String,
    pub type_name: String,
    pub notes: String,
    /// The credential type configured on the integration (e.g. `userDefinedOAuth`).
    pub credential_type: Option<String>,
}

/// The execution-time profile seeded for an action, from which latency analytics and
/// simulated test runs are computed (see `latency.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyProfile {
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    /// A rate, so it may be fractional: 20 calls a week is `20 / 7` calls per day.
    pub calls_per_day: f64,
}

/// `config.request` of an action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_url_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_template_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
}

/// `config.response` of an action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translation_map: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translation_map_defaults: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_template_uri: Option<String>,
}

/// `config` of an action as stored: templates always inline, never as URIs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseConfig>,
}

/// The editable part of an action, held once for the published action and once for its
/// draft.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionBody {
    pub name: String,
    pub category: String,
    pub secure: bool,
    pub version: u64,
    /// `{input: {inputSchema}, output: {successSchema}}`.
    pub contract: Value,
    pub config: ActionConfig,
}

/// What kind of action this is, as far as editing rules go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    Regular,
    /// `customAuth_-_…`: no `timeoutSeconds`, hidden from listings by default.
    CustomAuth,
    /// `static…`: owned by Genesys, cannot be changed.
    Static,
}

impl ActionKind {
    /// The kind an action id implies.
    pub fn of(id: &str) -> Self {
        if id.starts_with(CUSTOM_AUTH_PREFIX) {
            ActionKind::CustomAuth
        } else if id.starts_with(STATIC_PREFIX) {
            ActionKind::Static
        } else {
            ActionKind::Regular
        }
    }
}

/// A data action with its optional draft.
#[derive(Clone, Debug)]
pub struct StoredAction {
    pub id: String,
    pub integration_id: String,
    pub published: ActionBody,
    pub draft: Option<ActionBody>,
    /// Whether reads return template URIs instead of inline templates.
    pub templates_by_uri: bool,
    pub latency: LatencyProfile,
}

impl StoredAction {
    pub fn kind(&self) -> ActionKind {
        ActionKind::of(&self.id)
    }
}

/// An Architect flow that uses some actions, as dependency tracking reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub id: String,
    pub name: String,
    /// The `Dependency.type`, e.g. `INBOUNDCALLFLOW`.
    pub flow_type: String,
    /// The latest saved (checked-in) version.
    pub saved_version: u32,
    /// The published version, if the flow was ever published.
    pub published_version: Option<u32>,
    /// The ids of the actions the flow calls.
    pub consumes: Vec<String>,
}

/// One permission policy of a user, as `users/me?expand=authorization` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionPolicy {
    pub id: String,
    pub domain: String,
    pub entity_name: String,
    pub policy_name: String,
    pub action_set: Vec<String>,
}

impl PermissionPolicy {
    /// Whether this policy grants `domain:entity:action`, reading `*` as "any".
    pub fn grants(&self, permission: &str) -> bool {
        let mut parts = permission.splitn(3, ':');
        let (Some(domain), Some(entity), Some(action)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };

        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        matches(&self.domain, domain)
            && matches(&self.entity_name, entity)
            && self
                .action_set
                .iter()
                .any(|allowed| matches(allowed, action))
    }
}

/// Who is calling: a signed-in user or a client-credentials client.
#[derive(Clone, Debug)]
pub struct Principal {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub permission_policies: Vec<PermissionPolicy>,
    /// True for client-credentials tokens, which have no user context.
    pub is_client: bool,
}

impl Principal {
    /// Whether the principal holds `permission` directly or through a policy.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|held| held == permission)
            || self
                .permission_policies
                .iter()
                .any(|policy| policy.grants(permission))
    }

    /// Whether the principal holds at least one of `permissions`.
    pub fn has_any(&self, permissions: &[&str]) -> bool {
        permissions
            .iter()
            .any(|permission| self.has_permission(permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(domain: &str, entity: &str, actions: &[&str]) -> PermissionPolicy {
        PermissionPolicy {
            id: "p".into(),
            domain: domain.into(),
            entity_name: entity.into(),
            policy_name: "test".into(),
            action_set: actions.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn wildcard_policies_grant_any_matching_part() {
        assert!(policy("integrations", "*", &["*"]).grants("integrations:action:edit"));
        assert!(policy("*", "*", &["*"]).grants("audits:audit:view"));
        assert!(policy("integrations", "action", &["view"]).grants("integrations:action:view"));
        assert!(!policy("integrations", "action", &["view"]).grants("integrations:action:edit"));
        assert!(!policy("integrations", "*", &["*"]).grants("audits:audit:view"));
        assert!(!policy("*", "*", &["*"]).grants("malformed"));
    }

    #[test]
    fn action_kinds_follow_the_id_prefix() {
        assert_eq!(ActionKind::of("customAuth_-_abc"), ActionKind::CustomAuth);
        assert_eq!(ActionKind::of("static_-_abc"), ActionKind::Static);
        assert_eq!(ActionKind::of("3f0c2a9e-0000"), ActionKind::Regular);
    }
}
