//! What the signed-in user may do, from `users/me?expand=authorization`.
//!
//! Genesys grants rights as plain strings (`integrations:action:edit`) and as permission
//! policies (`domain`, `entityName`, `actionSet`). Admin roles may use `*` in any part of
//! either form, so every comparison treats `*` as "anything".

use crate::model::UserAuthorization;

/// A permission, as `domain:entity:action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Permission {
    pub domain: &'static str,
    pub entity: &'static str,
    pub action: &'static str,
}

impl Permission {
    const fn new(domain: &'static str, entity: &'static str, action: &'static str) -> Permission {
        Permission {
            domain,
            entity,
            action,
        }
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.domain, self.entity, self.action)
    }
}

/// `integrations:action:view`: list and read actions and drafts.
pub const ACTION_VIEW: Permission = Permission::new("integrations", "action", "view");
/// `bridge:actions:view`: the alternative that also allows reading actions.
pub const BRIDGE_ACTIONS_VIEW: Permission = Permission::new("bridge", "actions", "view");
/// `integrations:action:edit`: PATCH actions and drafts.
pub const ACTION_EDIT: Permission = Permission::new("integrations", "action", "edit");
/// `integrations:action:execute`: test runs.
pub const ACTION_EXECUTE: Permission = Permission::new("integrations", "action", "execute");
/// `bridge:actions:execute`: the alternative for test runs.
pub const BRIDGE_ACTIONS_EXECUTE: Permission = Permission::new("bridge", "actions", "execute");
/// `integrations:integration:view`: list integrations.
pub const INTEGRATION_VIEW: Permission = Permission::new("integrations", "integration", "view");
/// `audits:audit:view`: change history.
pub const AUDIT_VIEW: Permission = Permission::new("audits", "audit", "view");
/// `architect:dependencyTracking:view`: where an action is used.
pub const DEPENDENCY_VIEW: Permission = Permission::new("architect", "dependencyTracking", "view");

/// The user's granted permissions, ready to be asked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Permissions {
    grants: Vec<[String; 3]>,
}

impl Permissions {
    /// Gathers the strings and the policies of a user's authorization.
    pub fn from_authorization(authorization: &UserAuthorization) -> Permissions {
        let strings = authorization.permissions.iter().map(|p| split(p));
        let policies = authorization.permission_policies.iter().flat_map(|policy| {
            let domain = policy.domain.clone().unwrap_or_default();
            let entity = policy.entity_name.clone().unwrap_or_default();
            policy
                .action_set
                .iter()
                .map(move |action| [domain.clone(), entity.clone(), action.clone()])
        });
        Permissions {
            grants: strings.chain(policies).collect(),
        }
    }

    /// True when some grant covers the permission, `*` matching any part.
    pub fn has(&self, wanted: Permission) -> bool {
        let parts = [wanted.domain, wanted.entity, wanted.action];
        self.grants.iter().any(|grant| {
            grant
                .iter()
                .zip(parts)
                .all(|(granted, wanted)| granted == "*" || granted.eq_ignore_ascii_case(wanted))
        })
    }

    /// True when any of the permissions is granted (Genesys checks "ANY of").
    pub fn has_any(&self, wanted: &[Permission]) -> bool {
        wanted.iter().any(|p| self.has(*p))
    }

    /// May list and read actions.
    pub fn can_view_actions(&self) -> bool {
        self.has_any(&[ACTION_VIEW, BRIDGE_ACTIONS_VIEW])
    }

    /// May change actions and drafts.
    pub fn can_edit_actions(&self) -> bool {
        self.has(ACTION_EDIT)
    }

    /// May list integrations (names and types in the table).
    pub fn can_view_integrations(&self) -> bool {
        self.has(INTEGRATION_VIEW)
    }

    /// May run an action's test.
    pub fn can_test_actions(&self) -> bool {
        self.has_any(&[ACTION_EXECUTE, BRIDGE_ACTIONS_EXECUTE])
    }

    /// May read the change history.
    pub fn can_view_audits(&self) -> bool {
        self.has(AUDIT_VIEW)
    }

    /// May see where actions are used.
    pub fn can_view_dependencies(&self) -> bool {
        self.has(DEPENDENCY_VIEW)
    }
}

/// `a:b:c` into three parts; a shorter string (such as a bare `*`) is padded with `*` when it
/// ends in a wildcard, and with an impossible value otherwise.
fn split(permission: &str) -> [String; 3] {
    let mut parts = permission.splitn(3, ':').map(str::to_string);
    let first = parts.next().unwrap_or_default();
    let fill = if permission.ends_with('*') {
        "*"
    } else {
        "\u{0}"
    };
    let second = parts.next().unwrap_or_else(|| fill.to_string());
    let third = parts.next().unwrap_or_else(|| fill.to_string());
    [first, second, third]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PermissionPolicy;

    fn from_strings(strings: &[&str]) -> Permissions {
        Permissions::from_authorization(&UserAuthorization {
            permissions: strings.iter().map(|s| s.to_string()).collect(),
            permission_policies: Vec::new(),
        })
    }

    fn from_policy(domain: &str, entity: &str, actions: &[&str]) -> Permissions {
        Permissions::from_authorization(&UserAuthorization {
            permissions: Vec::new(),
            permission_policies: vec![PermissionPolicy {
                domain: Some(domain.into()),
                entity_name: Some(entity.into()),
                action_set: actions.iter().map(|s| s.to_string()).collect(),
                policy_name: None,
            }],
        })
    }

    #[test]
    fn plain_strings_grant_exactly_what_they_name() {
        let viewer = from_strings(&["integrations:action:view", "integrations:integration:view"]);
        assert!(viewer.can_view_actions());
        assert!(viewer.can_view_integrations());
        assert!(!viewer.can_edit_actions());
        assert!(!viewer.can_view_audits());
    }

    #[test]
    fn the_bridge_permission_also_allows_viewing() {
        assert!(from_strings(&["bridge:actions:view"]).can_view_actions());
    }

    #[test]
    fn wildcards_in_strings_cover_every_matching_part() {
        let cases: [(&str, bool, bool); 6] = [
            ("*", true, true),
            ("*:*:*", true, true),
            ("integrations:*:*", true, false),
            ("integrations:action:*", true, false),
            ("integrations:*:edit", true, false),
            ("audits:*:*", false, true),
        ];
        for (grant, edits, audits) in cases {
            let p = from_strings(&[grant]);
            assert_eq!(p.can_edit_actions(), edits, "{grant}");
            assert_eq!(p.can_view_audits(), audits, "{grant}");
        }
    }

    #[test]
    fn wildcard_policies_are_understood() {
        assert!(from_policy("*", "*", &["*"]).can_edit_actions());
        assert!(from_policy("integrations", "*", &["*"]).can_edit_actions());
        assert!(from_policy("integrations", "action", &["view", "edit"]).can_edit_actions());
        assert!(!from_policy("integrations", "action", &["view"]).can_edit_actions());
        assert!(!from_policy("integrations", "integration", &["*"]).can_edit_actions());
        assert!(from_policy("architect", "dependencyTracking", &["view"]).can_view_dependencies());
    }

    #[test]
    fn nothing_granted_means_nothing_allowed() {
        let none = Permissions::default();
        assert!(!none.can_view_actions());
        assert!(!none.can_edit_actions());
        assert!(!from_strings(&["integrations"]).can_view_actions());
        assert!(!from_strings(&["directory:user:view"]).can_view_actions());
    }

    #[test]
    fn permissions_print_as_genesys_names_them() {
        assert_eq!(ACTION_EDIT.to_string(), "integrations:action:edit");
        assert_eq!(
            DEPENDENCY_VIEW.to_string(),
            "architect:dependencyTracking:view"
        );
    }
}
