//! Which actions may have their timeout changed, and why not; and which are function actions.

use crate::model::{Action, Integration};

/// Why an action's timeout cannot be changed here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ReadOnlyReason {
    /// A custom authentication action: Genesys refuses a timeout on them.
    CustomAuth,
    /// A built-in action owned by Genesys: it cannot be updated through the API.
    Static,
    /// The user lacks `integrations:action:edit`.
    NoPermission,
}

impl ReadOnlyReason {
    /// A sentence for the table and for skipped bulk edits.
    pub fn explanation(self) -> &'static str {
        match self {
            ReadOnlyReason::CustomAuth => {
                "custom authentication action: Genesys does not allow a timeout on it"
            }
            ReadOnlyReason::Static => "built-in action owned by Genesys: it cannot be changed",
            ReadOnlyReason::NoPermission => {
                "you need the integrations:action:edit permission to change it"
            }
        }
    }
}

/// What the table and the planner need to know about one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classification {
    /// `None` when the timeout may be changed.
    pub read_only: Option<ReadOnlyReason>,
    /// A function data action: it also has a separate function timeout (1 to 15 s) that this
    /// product does not change.
    pub function: bool,
}

impl Classification {
    pub fn is_editable(&self) -> bool {
        self.read_only.is_none()
    }
}

/// Integration type of Genesys-hosted function data actions.
pub const FUNCTION_INTEGRATION_TYPE: &str = "function-data-actions";

/// True for a custom authentication action (`customAuth_-_{integrationId}`).
pub fn is_custom_auth(action_id: &str) -> bool {
    action_id.starts_with("customAuth")
}

/// True for a built-in action (`static…`).
pub fn is_static(action_id: &str) -> bool {
    action_id.starts_with("static")
}

/// True for a function data action: by integration type, or (as Terraform does) by a category
/// that mentions "function data action", with `_` and `-` read as spaces.
pub fn is_function(action: &Action, integration: Option<&Integration>) -> bool {
    let by_type = integration.and_then(Integration::type_id) == Some(FUNCTION_INTEGRATION_TYPE);
    let category = action.category.to_lowercase().replace(['_', '-'], " ");
    by_type || category.contains("function data action")
}

/// Classifies an action for a user who may (or may not) edit actions.
pub fn classify(
    action: &Action,
    integration: Option<&Integration>,
    can_edit: bool,
) -> Classification {
    let read_only = if is_custom_auth(&action.id) {
        Some(ReadOnlyReason::CustomAuth)
    } else if is_static(&action.id) {
        Some(ReadOnlyReason::Static)
    } else if !can_edit {
        Some(ReadOnlyReason::NoPermission)
    } else {
        None
    };
    Classification {
        read_only,
        function: is_function(action, integration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IntegrationType;

    fn action(id: &str, category: &str) -> Action {
        Action {
            id: id.into(),
            name: "n".into(),
            integration_id: "i".into(),
            category: category.into(),
            version: 1,
            secure: false,
            config: None,
            self_uri: None,
        }
    }

    fn integration(type_id: &str) -> Integration {
        Integration {
            id: "i".into(),
            name: "x".into(),
            integration_type: Some(IntegrationType {
                id: type_id.into(),
                name: None,
            }),
            intended_state: None,
            reported_state: None,
        }
    }

    #[test]
    fn custom_auth_and_static_actions_are_read_only_even_for_admins() {
        let custom = classify(&action("customAuth_-_abc", "x"), None, true);
        assert_eq!(custom.read_only, Some(ReadOnlyReason::CustomAuth));
        let builtin = classify(&action("static_lookup", "x"), None, true);
        assert_eq!(builtin.read_only, Some(ReadOnlyReason::Static));
    }

    #[test]
    fn ordinary_actions_follow_the_edit_permission() {
        assert!(classify(&action("a1", "CRM"), None, true).is_editable());
        assert_eq!(
            classify(&action("a1", "CRM"), None, false).read_only,
            Some(ReadOnlyReason::NoPermission)
        );
    }

    #[test]
    fn function_actions_are_found_by_type_or_category() {
        let web = integration("custom-rest-actions");
        let function = integration(FUNCTION_INTEGRATION_TYPE);
        assert!(classify(&action("a", "x"), Some(&function), true).function);
        assert!(!classify(&action("a", "x"), Some(&web), true).function);
        assert!(is_function(
            &action("a", "My Function_Data-Action tools"),
            None
        ));
        assert!(!is_function(&action("a", "functions"), None));
    }

    #[test]
    fn every_reason_has_an_explanation() {
        for reason in [
            ReadOnlyReason::CustomAuth,
            ReadOnlyReason::Static,
            ReadOnlyReason::NoPermission,
        ] {
            assert!(!reason.explanation().is_empty());
        }
    }
}
