//! How stored actions and drafts look on the wire: which parts a request asked for, and
//! whether templates come inline or as URIs.

use serde_json::{Map, Value, json};

use crate::model::{
    ActionBody, ActionConfig, REQUEST_TEMPLATE_FILE, SUCCESS_TEMPLATE_FILE, StoredAction,
};

/// Which optional parts of an action a response includes.
#[derive(Clone, Copy, Debug, Default)]
pub struct View {
    pub include_config: bool,
    pub include_contract: bool,
    /// Replace inline templates by their URIs.
    pub templates_as_uris: bool,
}

/// The path of an action, or of its draft.
pub fn self_uri(action_id: &str, draft: bool) -> String {
    if draft {
        format!("/api/v2/integrations/actions/{action_id}/draft")
    } else {
        format!("/api/v2/integrations/actions/{action_id}")
    }
}

/// The URI at which one of an action's (or its draft's) templates is served.
pub fn template_uri(action_id: &str, draft: bool, file_name: &str) -> String {
    format!("{}/templates/{file_name}", self_uri(action_id, draft))
}

/// Renders the published action (`draft == false`) or its draft as the `Action` model.
pub fn action(stored: &StoredAction, body: &ActionBody, draft: bool, view: View) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(stored.id));
    object.insert("name".into(), json!(body.name));
    object.insert("integrationId".into(), json!(stored.integration_id));
    object.insert("category".into(), json!(body.category));
    if view.include_contract {
        object.insert("contract".into(), body.contract.clone());
    }
    object.insert("version".into(), json!(body.version));
    object.insert("secure".into(), json!(body.secure));
    if view.include_config {
        let uris = view.templates_as_uris || stored.templates_by_uri;
        object.insert(
            "config".into(),
            config(&stored.id, draft, &body.config, uris),
        );
    }
    object.insert("selfUri".into(), json!(self_uri(&stored.id, draft)));
    Value::Object(object)
}

/// Renders a config, moving the templates to URIs when asked.
pub fn config(action_id: &str, draft: bool, config: &ActionConfig, as_uris: bool) -> Value {
    let mut config = config.clone();
    if as_uris {
        if let Some(request) = config.request.as_mut()
            && request.request_template.take().is_some()
        {
            request.request_template_uri =
                Some(template_uri(action_id, draft, REQUEST_TEMPLATE_FILE));
        }
        if let Some(response) = config.response.as_mut()
            && response.success_template.take().is_some()
        {
            response.success_template_uri =
                Some(template_uri(action_id, draft, SUCCESS_TEMPLATE_FILE));
        }
    }
    serde_json::to_value(config).unwrap_or(Value::Null)
}
