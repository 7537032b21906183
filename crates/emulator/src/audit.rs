//! The audit trail of this run: one record for every successful change to an action or a
//! draft (through the API or an admin edit of the control API), rendered as the reference's
//! `AuditLogMessage` for `POST /api/v2/audits/query/realtime`.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{ActionBody, Principal};
use crate::seed::ORG_ID;

/// The service every record belongs to.
pub const SERVICE_NAME: &str = "Integrations";

/// The user that admin edits of the control API are attributed to ("another admin").
pub const OTHER_ADMIN_ID: &str = "a5e00000-0000-4000-8000-0000000000a0";
pub const OTHER_ADMIN_NAME: &str = "Alex Otheradmin";
/// The OAuth client that admin edits of the control API are attributed to.
pub const OTHER_ADMIN_CLIENT_ID: &str = "c11e0000-0000-4000-8000-0000000000a0";

/// What was done, as `AuditLogMessage.action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    Create,
    Update,
    Delete,
    Publish,
}

impl AuditAction {
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::Create => "Create",
            AuditAction::Update => "Update",
            AuditAction::Delete => "Delete",
            AuditAction::Publish => "Publish",
        }
    }
}

/// What it was done to, as `AuditLogMessage.entityType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditEntity {
    Action,
    ActionDraft,
}

impl AuditEntity {
    pub fn name(self) -> &'static str {
        match self {
            AuditEntity::Action => "Action",
            AuditEntity::ActionDraft => "ActionDraft",
        }
    }
}

/// Who did it: a user (absent for client-credentials tokens) and the OAuth client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<(String, String)>,
    pub client_id: String,
}

impl Actor {
    /// The caller of an API request, through `client_id`.
    pub fn of(principal: &Principal, client_id: &str) -> Self {
        Actor {
            user: (!principal.is_client).then(|| (principal.id.clone(), principal.name.clone())),
            client_id: client_id.to_owned(),
        }
    }

    /// The admin who makes the control API's edits.
    pub fn other_admin() -> Self {
        Actor {
            user: Some((OTHER_ADMIN_ID.to_owned(), OTHER_ADMIN_NAME.to_owned())),
            client_id: OTHER_ADMIN_CLIENT_ID.to_owned(),
        }
    }
}

/// One property's values before and after a change; an empty list means "unset".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyChange {
    pub property: &'static str,
    pub old_values: Vec<String>,
    pub new_values: Vec<String>,
}

/// One audited change.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub id: String,
    /// Orders records made within the same millisecond.
    pub sequence: u64,
    pub event_date: OffsetDateTime,
    pub actor: Actor,
    pub action: AuditAction,
    pub entity_type: AuditEntity,
    pub entity_id: String,
    pub entity_name: String,
    pub property_changes: Vec<PropertyChange>,
}

/// What is about to be recorded.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub action: AuditAction,
    pub entity_type: AuditEntity,
    pub action_id: &'a str,
    /// The body before the change (`None` when it is being created).
    pub before: Option<&'a ActionBody>,
    /// The body after the change (`None` when it is being deleted).
    pub after: Option<&'a ActionBody>,
}

/// The audit trail, oldest first.
#[derive(Clone, Debug, Default)]
pub struct AuditLog {
    records: Vec<AuditRecord>,
}

impl AuditLog {
    /// Records `change` by `actor`, now.
    pub fn record(&mut self, actor: Actor, change: Change<'_>) {
        let name = change
            .after
            .or(change.before)
            .map(|body| body.name.clone())
            .unwrap_or_default();
        let now = OffsetDateTime::now_utc();
        // Audit dates carry milliseconds, not the clock's nanoseconds.
        let event_date = now.replace_millisecond(now.millisecond()).unwrap_or(now);
        self.records.push(AuditRecord {
            id: uuid::Uuid::new_v4().to_string(),
            sequence: self.records.len() as u64,
            event_date,
            actor,
            action: change.action,
            entity_type: change.entity_type,
            entity_id: change.action_id.to_owned(),
            entity_name: name,
            property_changes: property_changes(change.before, change.after),
        });
        tracing::debug!(
            action = change.action.name(),
            entity = change.action_id,
            "audited"
        );
    }

    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }
}

/// The properties that differ between the two bodies: the name, `config.timeoutSeconds` and
/// `version`, each only when it changed.
pub fn property_changes(
    before: Option<&ActionBody>,
    after: Option<&ActionBody>,
) -> Vec<PropertyChange> {
    const PROPERTIES: [&str; 3] = ["name", "config.timeoutSeconds", "version"];
    PROPERTIES
        .iter()
        .filter_map(|property| {
            let old_values = before
                .map(|body| values(body, property))
                .unwrap_or_default();
            let new_values = after.map(|body| values(body, property)).unwrap_or_default();
            (old_values != new_values).then_some(PropertyChange {
                property,
                old_values,
                new_values,
            })
        })
        .collect()
}

/// The values of one audited property; an unset timeout has none.
fn values(body: &ActionBody, property: &str) -> Vec<String> {
    match property {
        "name" => vec![body.name.clone()],
        "config.timeoutSeconds" => body
            .config
            .timeout_seconds
            .map(|seconds| seconds.to_string())
            .into_iter()
            .collect(),
        _ => vec![body.version.to_string()],
    }
}

impl AuditRecord {
    /// The record as `AuditLogMessage`; `expand_user` adds the user's name.
    pub fn render(&self, expand_user: bool) -> Value {
        let user = self.actor.user.as_ref().map(|(id, name)| {
            if expand_user {
                json!({ "id": id, "name": name, "selfUri": format!("/api/v2/users/{id}") })
            } else {
                json!({ "id": id, "selfUri": format!("/api/v2/users/{id}") })
            }
        });
        let changes: Vec<Value> = self
            .property_changes
            .iter()
            .map(|change| {
                json!({
                    "property": change.property,
                    "oldValues": change.old_values,
                    "newValues": change.new_values,
                })
            })
            .collect();

        let mut message = json!({
            "id": self.id,
            "userHomeOrgId": ORG_ID,
            "client": { "id": self.actor.client_id },
            "remoteIp": ["127.0.0.1"],
            "serviceName": SERVICE_NAME,
            "level": "USER",
            "eventDate": self.event_date.format(&Rfc3339).unwrap_or_default(),
            "action": self.action.name(),
            "entity": { "id": self.entity_id, "name": self.entity_name },
            "entityType": self.entity_type.name(),
            "status": "SUCCESS",
            "application": "Integrations",
            "propertyChanges": changes,
        });
        if let (Some(user), Value::Object(object)) = (user, &mut message) {
            object.insert("user".into(), user);
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed;

    fn body(timeout: Option<u32>, version: u64) -> ActionBody {
        ActionBody {
            name: "Lookup".into(),
            category: "CRM".into(),
            secure: false,
            version,
            contract: json!({}),
            config: seed::config(timeout, "GET", "https://x.example/"),
        }
    }

    #[test]
    fn a_timeout_change_lists_old_and_new_values_and_the_version() {
        let changes = property_changes(Some(&body(Some(20), 3)), Some(&body(Some(15), 4)));
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].property, "config.timeoutSeconds");
        assert_eq!(changes[0].old_values, vec!["20"]);
        assert_eq!(changes[0].new_values, vec!["15"]);
        assert_eq!(changes[1].property, "version");
    }

    #[test]
    fn an_unset_timeout_is_an_empty_list_and_unchanged_ones_are_left_out() {
        let cleared = property_changes(Some(&body(Some(20), 3)), Some(&body(None, 4)));
        assert_eq!(cleared[0].new_values, Vec::<String>::new());
        let same = property_changes(Some(&body(Some(20), 3)), Some(&body(Some(20), 4)));
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].property, "version");
    }

    #[test]
    fn creation_and_deletion_compare_with_nothing() {
        let created = property_changes(None, Some(&body(Some(9), 1)));
        assert!(created.iter().all(|change| change.old_values.is_empty()));
        assert_eq!(created.len(), 3);
        let deleted = property_changes(Some(&body(None, 2)), None);
        assert_eq!(deleted.len(), 2);
    }
}
