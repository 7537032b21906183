//! Wire types of the Genesys API subset, with the reference's camelCase field names.
//!
//! An action's `config` is kept as a JSON object ([`ActionConfig`]) rather than a struct, so
//! that fields this code does not know survive a read-modify-write exactly as they were read.
//! Only `timeoutSeconds` is ever touched.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::timeout::Timeout;

/// A data action, published or draft (Genesys uses one model for both).
///
/// It is deliberately not `Serialize`: it holds the full config, which must never be stored
/// or exported (see [`crate::files`] for what may be).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub integration_id: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub config: Option<ActionConfig>,
    #[serde(default)]
    pub self_uri: Option<String>,
}

impl Action {
    /// The timeout in the config; `None` when the config was not returned at all.
    pub fn timeout(&self) -> Option<Timeout> {
        self.config.as_ref().map(ActionConfig::timeout)
    }
}

/// An action's `config`, kept whole as JSON.
///
/// Its `Debug` output shows only the timeout and the top-level keys, because the request
/// headers inside a config can hold credentials.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActionConfig(pub Map<String, Value>);

/// The template files Genesys serves separately when a config holds only their URIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateFile {
    /// `config.request.requestTemplate` (`requesttemplate.vm`).
    Request,
    /// `config.response.successTemplate` (`successtemplate.vm`).
    Success,
}

impl TemplateFile {
    /// The file name in `.../templates/{fileName}`.
    pub fn file_name(self) -> &'static str {
        match self {
            TemplateFile::Request => "requesttemplate.vm",
            TemplateFile::Success => "successtemplate.vm",
        }
    }

    fn location(self) -> (&'static str, &'static str, &'static str) {
        match self {
            TemplateFile::Request => ("request", "requestTemplate", "requestTemplateUri"),
            TemplateFile::Success => ("response", "successTemplate", "successTemplateUri"),
        }
    }
}

impl ActionConfig {
    /// The configured timeout: a whole number 1 to 60 is explicit; absent or `null` is the
    /// default. A value outside the range (which Genesys should never hold) reads as default.
    pub fn timeout(&self) -> Timeout {
        Timeout::from_wire(self.0.get("timeoutSeconds"))
    }

    /// A copy with the timeout replaced: an explicit value is written, the default removes the
    /// field (as Terraform does). Every other field stays as it was, in the same order.
    pub fn with_timeout(&self, timeout: Timeout) -> ActionConfig {
        let mut fields = self.0.clone();
        match timeout.explicit_seconds() {
            Some(seconds) => {
                fields.insert("timeoutSeconds".to_string(), Value::from(seconds));
            }
            None => {
                fields.shift_remove("timeoutSeconds");
            }
        }
        ActionConfig(fields)
    }

    /// Which templates are present only as URIs, and must be fetched before a write (a write
    /// replaces the config whole, so a template left out would be lost).
    pub fn templates_by_uri(&self) -> Vec<TemplateFile> {
        [TemplateFile::Request, TemplateFile::Success]
            .into_iter()
            .filter(|file| {
                let (section, inline, uri) = file.location();
                let section = self.0.get(section).and_then(Value::as_object);
                section.is_some_and(|s| s.contains_key(uri) && !s.contains_key(inline))
            })
            .collect()
    }

    /// Puts a fetched template inline in place of its URI.
    pub fn inline_template(&mut self, file: TemplateFile, text: String) {
        let (section, inline, uri) = file.location();
        if let Some(Value::Object(section)) = self.0.get_mut(section) {
            section.shift_remove(uri);
            section.insert(inline.to_string(), Value::String(text));
        }
    }

    /// The request method (`config.request.requestType`), when present.
    pub fn request_type(&self) -> Option<&str> {
        self.0
            .get("request")
            .and_then(|r| r.get("requestType"))
            .and_then(Value::as_str)
    }

    /// The config without `timeoutSeconds`, to compare "everything else" in tests and checks.
    pub fn without_timeout(&self) -> Map<String, Value> {
        let mut fields = self.0.clone();
        fields.shift_remove("timeoutSeconds");
        fields
    }
}

impl fmt::Debug for ActionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.0.keys().map(String::as_str).collect();
        f.debug_struct("ActionConfig")
            .field("timeout", &self.timeout())
            .field("keys", &keys)
            .finish()
    }
}

/// A page of a Genesys listing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing<T> {
    #[serde(default = "Vec::new")]
    pub entities: Vec<T>,
    #[serde(default)]
    pub page_size: Option<u32>,
    #[serde(default)]
    pub page_number: Option<u32>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub page_count: Option<u32>,
    #[serde(default)]
    pub next_uri: Option<String>,
}

/// The body of `PATCH /api/v2/integrations/actions/{id}` and of its `/draft`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateActionInput {
    pub name: String,
    pub category: String,
    pub config: ActionConfig,
    pub version: u64,
}

impl UpdateActionInput {
    /// The update that writes `config` over `action` at `action`'s version. Name and category
    /// are sent unchanged, as Terraform does, since whether they may be left out is unconfirmed.
    pub fn for_action(action: &Action, config: ActionConfig) -> UpdateActionInput {
        UpdateActionInput {
            name: action.name.clone(),
            category: action.category.clone(),
            config,
            version: action.version,
        }
    }
}

/// An integration (only the fields this product shows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub integration_type: Option<IntegrationType>,
    #[serde(default)]
    pub intended_state: Option<String>,
    #[serde(default)]
    pub reported_state: Option<ReportedState>,
}

impl Integration {
    /// The integration type id, such as `custom-rest-actions`.
    pub fn type_id(&self) -> Option<&str> {
        self.integration_type.as_ref().map(|t| t.id.as_str())
    }
}

/// `integrationType` of an integration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationType {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `reportedState` of an integration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportedState {
    #[serde(default)]
    pub code: Option<String>,
}

/// An id and a name, as Genesys nests organisations and clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedEntity {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `GET /api/v2/users/me?expand=authorization,organization`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMe {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub organization: Option<NamedEntity>,
    #[serde(default)]
    pub authorization: Option<UserAuthorization>,
}

/// `authorization` of a user: permission strings and permission policies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAuthorization {
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub permission_policies: Vec<PermissionPolicy>,
}

/// One permission policy of a role. Admin roles may use `*` in any of these fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionPolicy {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub entity_name: Option<String>,
    #[serde(default)]
    pub action_set: Vec<String>,
    #[serde(default)]
    pub policy_name: Option<String>,
}

/// `GET /api/v2/tokens/me`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    #[serde(default)]
    pub organization: Option<NamedEntity>,
    #[serde(default)]
    pub home_organization: Option<NamedEntity>,
    #[serde(default, rename = "OAuthClient")]
    pub oauth_client: Option<NamedEntity>,
}

/// The Genesys error body. Every field is optional: bodies vary between services.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub context_id: Option<String>,
    #[serde(default)]
    pub message_params: BTreeMap<String, String>,
}

/// A flow (or other resource) that uses an action, from Architect dependency tracking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The resource type, such as `INBOUNDCALLFLOW`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The version that uses the action (a string or number on the wire).
    #[serde(default)]
    pub version: Option<Value>,
    #[serde(default)]
    pub deleted: Option<bool>,
}

/// One organisation limit (`key`, `namespace`, `value`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limit {
    pub key: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub value: Option<f64>,
}

/// One audit record (the fields the history shows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub event_date: Option<String>,
    #[serde(default)]
    pub user: Option<NamedEntity>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub entity_type: Option<String>,
    #[serde(default)]
    pub entity: Option<NamedEntity>,
    #[serde(default)]
    pub property_changes: Vec<PropertyChange>,
}

/// A changed property of an audit record, with its old and new values as text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    #[serde(default)]
    pub property: String,
    #[serde(default)]
    pub old_values: Vec<String>,
    #[serde(default)]
    pub new_values: Vec<String>,
}

impl AuditEntry {
    /// The old and new timeout when the record carries them (a property ending in
    /// `timeoutSeconds`; an empty value reads as the default).
    pub fn timeout_change(&self) -> Option<(Timeout, Timeout)> {
        let change = self
            .property_changes
            .iter()
            .find(|c| c.property.ends_with("timeoutSeconds"))?;
        let read = |values: &[String]| match values.first().map(|v| v.trim()) {
            None | Some("") => Some(Timeout::Default),
            Some(text) => Timeout::parse_input(text).ok(),
        };
        Some((read(&change.old_values)?, read(&change.new_values)?))
    }
}

/// The result of `POST .../{actionId}/test`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestExecutionResult {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub error: Option<ErrorBody>,
    #[serde(default)]
    pub final_result: Option<Value>,
    #[serde(default)]
    pub operations: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(value: Value) -> ActionConfig {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn an_action_reads_with_the_wire_names() {
        let action: Action = serde_json::from_value(json!({
            "id": "a1", "name": "Lookup", "integrationId": "i1", "category": "CRM",
            "version": 4, "secure": true, "config": {"timeoutSeconds": 20},
            "selfUri": "/api/v2/integrations/actions/a1", "contract": {"input": {}}
        }))
        .unwrap();
        assert_eq!(action.integration_id, "i1");
        assert_eq!(action.version, 4);
        assert!(action.secure);
        assert_eq!(action.timeout(), Some(Timeout::Explicit(20)));
    }

    #[test]
    fn replacing_the_timeout_keeps_every_other_field_including_unknown_ones() {
        let original = config(json!({
            "timeoutSeconds": 20,
            "request": {"requestType": "GET", "headers": {"X-Secret": "s"}, "futureField": [1, 2]},
            "response": {"translationMap": {}, "successTemplate": "${rawResult}"},
            "somethingNew": {"nested": true}
        }));

        let changed = original.with_timeout(Timeout::Explicit(8));
        assert_eq!(changed.timeout(), Timeout::Explicit(8));
        assert_eq!(changed.without_timeout(), original.without_timeout());

        let reset = original.with_timeout(Timeout::Default);
        assert!(!reset.0.contains_key("timeoutSeconds"));
        assert_eq!(reset.without_timeout(), original.without_timeout());
    }

    #[test]
    fn template_uris_are_found_and_inlined() {
        let mut with_uris = config(json!({
            "request": {"requestType": "POST", "requestTemplateUri": "/x/templates/requesttemplate.vm"},
            "response": {"successTemplateUri": "/x/templates/successtemplate.vm", "translationMap": {}}
        }));
        assert_eq!(
            with_uris.templates_by_uri(),
            vec![TemplateFile::Request, TemplateFile::Success]
        );

        with_uris.inline_template(TemplateFile::Request, "${input.rawRequest}".into());
        assert_eq!(with_uris.templates_by_uri(), vec![TemplateFile::Success]);
        assert_eq!(
            with_uris.0["request"]["requestTemplate"],
            json!("${input.rawRequest}")
        );
        assert!(with_uris.0["request"].get("requestTemplateUri").is_none());
    }

    #[test]
    fn config_debug_output_hides_headers() {
        let secret = config(json!({"request": {"headers": {"Authorization": "Basic c2VjcmV0"}}}));
        let text = format!("{secret:?}");
        assert!(!text.contains("c2VjcmV0"));
        assert!(text.contains("request"));
    }

    #[test]
    fn listings_and_users_read_with_missing_fields() {
        let listing: Listing<Action> = serde_json::from_value(json!({
            "entities": [{"id": "a"}], "pageCount": 3, "total": 250, "pageNumber": 1
        }))
        .unwrap();
        assert_eq!(listing.page_count, Some(3));
        assert_eq!(listing.entities[0].config, None);

        let me: UserMe = serde_json::from_value(json!({
            "id": "u", "name": "Dana",
            "organization": {"id": "o", "name": "Acme"},
            "authorization": {"permissions": ["a:b:c"],
                "permissionPolicies": [{"domain": "*", "entityName": "*", "actionSet": ["*"]}]}
        }))
        .unwrap();
        let authorization = me.authorization.unwrap();
        assert_eq!(authorization.permissions, vec!["a:b:c"]);
        assert_eq!(authorization.permission_policies[0].action_set, vec!["*"]);

        let audit: AuditEntry = serde_json::from_value(json!({
            "id": "e", "propertyChanges": [
                {"property": "config.timeoutSeconds", "oldValues": ["20"], "newValues": []}]
        }))
        .unwrap();
        assert_eq!(
            audit.timeout_change(),
            Some((Timeout::Explicit(20), Timeout::Default))
        );

        let token: TokenInfo = serde_json::from_value(
            json!({"organization": {"id": "o"}, "OAuthClient": {"id": "c"}}),
        )
        .unwrap();
        assert_eq!(token.oauth_client.unwrap().id, "c");
    }
}
