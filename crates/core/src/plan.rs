//! Plans: from the loaded state and a person's edits (one by one, in bulk, or imported), the
//! list of changes to make (before → after) with their warnings, and what was skipped and why.
//!
//! A plan holds ids, names and timeouts only, never a config, so it may be stored (pending
//! changes survive a reload) and shown freely.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::classify::{ReadOnlyReason, classify};
use crate::load::LoadedOrg;
use crate::suggest::{self, LatencyStats};
use crate::timeout::Timeout;

/// One action's wanted timeout, as typed, bulk-computed or imported.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Edit {
    pub action_id: String,
    pub timeout: Timeout,
}

/// A change to one action over a selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkOp {
    /// Set every selected action to this timeout.
    SetTo(Timeout),
    /// Lower to this many seconds where the timeout is longer (default counts as 60).
    CapAt(u8),
    /// Raise to this many seconds where the timeout is shorter.
    RaiseTo(u8),
    /// Remove the explicit timeout (Genesys then uses 60 s).
    ResetToDefault,
}

impl BulkOp {
    /// The timeout this operation gives an action whose timeout is `current`.
    pub fn apply_to(self, current: Timeout) -> Timeout {
        match self {
            BulkOp::SetTo(timeout) => timeout,
            BulkOp::CapAt(seconds) => match Timeout::explicit(seconds) {
                Some(cap) if current.effective_seconds() > seconds => cap,
                _ => current,
            },
            BulkOp::RaiseTo(seconds) => match Timeout::explicit(seconds) {
                Some(floor) if current.effective_seconds() < seconds => floor,
                _ => current,
            },
            BulkOp::ResetToDefault => Timeout::Default,
        }
    }
}

/// Something the person should know before applying a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Warning {
    /// The draft has the same (old) timeout and will be updated too, so publishing it later
    /// keeps the change.
    DraftWillBeUpdated,
    /// Draft updates are switched off: publishing the draft later would put the old timeout
    /// back.
    DraftWouldRevert { draft: Timeout },
    /// The draft has a timeout of its own and is left alone: publishing it would set that.
    DraftKeepsOwnTimeout { draft: Timeout },
    /// A function data action: its separate function timeout (1 to 15 s) is not changed.
    FunctionAction,
    /// The new timeout is below the action's measured p99: calls are likely to time out.
    BelowP99 { p99_ms: f64 },
}

impl Warning {
    /// A sentence for the review screen.
    pub fn message(&self) -> String {
        match self {
            Warning::DraftWillBeUpdated => {
                "its draft has the old timeout and will be updated too".to_string()
            }
            Warning::DraftWouldRevert { draft } => {
                format!("its draft still has {draft}: publishing the draft would undo this change")
            }
            Warning::DraftKeepsOwnTimeout { draft } => format!(
                "its draft has its own timeout ({draft}) and is left alone: publishing it would set that"
            ),
            Warning::FunctionAction => {
                "function data action: its function timeout (1 to 15 s) is a separate setting"
                    .to_string()
            }
            Warning::BelowP99 { p99_ms } => format!(
                "below the measured p99 of {}: calls are likely to time out",
                suggest::seconds_text(*p99_ms)
            ),
        }
    }
}

/// One planned change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub action_id: String,
    pub action_name: String,
    pub before: Timeout,
    pub after: Timeout,
    pub warnings: Vec<Warning>,
}

/// Why an edit did not become a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// The action already has that timeout.
    Unchanged,
    /// The action cannot be changed.
    ReadOnly(ReadOnlyReason),
    /// No loaded action has that id.
    UnknownAction,
    /// The action's config was not loaded, so its timeout is unknown.
    ConfigUnknown,
}

impl SkipReason {
    pub fn message(self) -> &'static str {
        match self {
            SkipReason::Unchanged => "already has that timeout",
            SkipReason::ReadOnly(reason) => reason.explanation(),
            SkipReason::UnknownAction => "no action with this id in the organisation",
            SkipReason::ConfigUnknown => "its configuration could not be read",
        }
    }
}

/// An edit that was left out of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skip {
    pub action_id: String,
    pub action_name: Option<String>,
    pub reason: SkipReason,
}

/// The changes to make and the edits left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub skipped: Vec<Skip>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The edits behind the changes, to store as pending work.
    pub fn edits(&self) -> Vec<Edit> {
        self.changes
            .iter()
            .map(|c| Edit {
                action_id: c.action_id.clone(),
                timeout: c.after,
            })
            .collect()
    }

    /// The number of changes with at least one warning.
    pub fn warned(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| !c.warnings.is_empty())
            .count()
    }
}

/// What planning needs besides the edits.
#[derive(Clone, Copy, Debug)]
pub struct Planner<'a> {
    pub org: &'a LoadedOrg,
    /// Whether the user may edit actions.
    pub can_edit: bool,
    /// Whether drafts with the old timeout will be updated too (the engine's option).
    pub update_drafts: bool,
    /// Latency figures by action id, once loaded.
    pub latency: Option<&'a HashMap<String, LatencyStats>>,
}

impl<'a> Planner<'a> {
    pub fn new(org: &'a LoadedOrg, can_edit: bool) -> Planner<'a> {
        Planner {
            org,
            can_edit,
            update_drafts: true,
            latency: None,
        }
    }

    /// Plans edits; a later edit of the same action replaces an earlier one.
    pub fn plan(&self, edits: &[Edit]) -> Plan {
        let mut latest: Vec<&Edit> = Vec::new();
        let mut position: HashMap<&str, usize> = HashMap::new();
        for edit in edits {
            match position.get(edit.action_id.as_str()) {
                Some(&i) => latest[i] = edit,
                None => {
                    position.insert(&edit.action_id, latest.len());
                    latest.push(edit);
                }
            }
        }

        let mut plan = Plan::default();
        for edit in latest {
            match self.change_for(edit) {
                Ok(change) => plan.changes.push(change),
                Err(skip) => plan.skipped.push(skip),
            }
        }
        plan
    }

    /// Plans a bulk operation over the selected action ids.
    pub fn plan_bulk<'i>(&self, action_ids: impl IntoIterator<Item = &'i str>, op: BulkOp) -> Plan {
        let edits: Vec<Edit> = action_ids
            .into_iter()
            .map(|id| {
                let current = self.org.action(id).and_then(|a| a.timeout());
                Edit {
                    action_id: id.to_string(),
                    timeout: current.map_or(Timeout::Default, |c| op.apply_to(c)),
                }
            })
            .collect();
        self.plan(&edits)
    }

    fn change_for(&self, edit: &Edit) -> Result<Change, Skip> {
        let skip = |name: Option<&str>, reason| Skip {
            action_id: edit.action_id.clone(),
            action_name: name.map(str::to_string),
            reason,
        };
        let action = self
            .org
            .action(&edit.action_id)
            .ok_or_else(|| skip(None, SkipReason::UnknownAction))?;
        let name = Some(action.name.as_str());
        let integration = self.org.integration_of(action);
        let class = classify(action, integration, self.can_edit);
        if let Some(reason) = class.read_only {
            return Err(skip(name, SkipReason::ReadOnly(reason)));
        }
        let before = action
            .timeout()
            .ok_or_else(|| skip(name, SkipReason::ConfigUnknown))?;
        if before == edit.timeout {
            return Err(skip(name, SkipReason::Unchanged));
        }

        let mut warnings = self.draft_warnings(&edit.action_id, before, edit.timeout);
        if class.function {
            warnings.push(Warning::FunctionAction);
        }
        let stats = self.latency.and_then(|l| l.get(&edit.action_id));
        if let Some(stats) = stats.filter(|s| suggest::is_below_p99(edit.timeout, s)) {
            // The flag also fires on the maximum when p99 is missing; name what was used.
            let p99_ms = stats.p99_ms.or(stats.max_ms).unwrap_or_default();
            warnings.push(Warning::BelowP99 { p99_ms });
        }

        Ok(Change {
            action_id: edit.action_id.clone(),
            action_name: action.name.clone(),
            before,
            after: edit.timeout,
            warnings,
        })
    }

    fn draft_warnings(&self, action_id: &str, before: Timeout, after: Timeout) -> Vec<Warning> {
        let Some(draft) = self.org.draft(action_id).and_then(|d| d.timeout()) else {
            return Vec::new();
        };
        if draft == after {
            Vec::new()
        } else if draft == before && self.update_drafts {
            vec![Warning::DraftWillBeUpdated]
        } else if draft == before {
            vec![Warning::DraftWouldRevert { draft }]
        } else {
            vec![Warning::DraftKeepsOwnTimeout { draft }]
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Action, ActionConfig, Integration, IntegrationType};
    use serde_json::json;

    pub(crate) fn action(id: &str, name: &str, timeout: Option<u8>) -> Action {
        let mut config = json!({"request": {"requestType": "GET"}, "response": {}});
        if let Some(seconds) = timeout {
            config["timeoutSeconds"] = json!(seconds);
        }
        Action {
            id: id.into(),
            name: name.into(),
            integration_id: "web".into(),
            category: "CRM".into(),
            version: 3,
            secure: false,
            config: Some(serde_json::from_value::<ActionConfig>(config).unwrap()),
            self_uri: None,
        }
    }

    pub(crate) fn org() -> LoadedOrg {
        let mut function = action("fn1", "Function one", Some(10));
        function.integration_id = "fx".into();
        let mut unloaded = action("noconfig", "No config", None);
        unloaded.config = None;
        let actions = vec![
            action("a20", "Twenty", Some(20)),
            action("a5", "Five", Some(5)),
            action("dflt", "Default", None),
            action("d-same", "Draft same", Some(30)),
            action("d-own", "Draft own", Some(30)),
            action("customAuth_-_web", "Auth", None),
            action("static_x", "Built in", Some(10)),
            function,
            unloaded,
        ];
        let drafts = vec![
            action("d-same", "Draft same", Some(30)),
            action("d-own", "Draft own", Some(45)),
        ];
        let integrations = vec![Integration {
            id: "fx".into(),
            name: "Functions".into(),
            integration_type: Some(IntegrationType {
                id: "function-data-actions".into(),
                name: None,
            }),
            intended_state: None,
            reported_state: None,
        }];
        LoadedOrg::new(integrations, actions, drafts)
    }

    fn edit(id: &str, timeout: Timeout) -> Edit {
        Edit {
            action_id: id.into(),
            timeout,
        }
    }

    #[test]
    fn edits_become_changes_with_before_and_after() {
        let org = org();
        let plan = Planner::new(&org, true).plan(&[edit("a20", Timeout::Explicit(8))]);
        assert_eq!(plan.changes.len(), 1);
        let change = &plan.changes[0];
        assert_eq!(
            (change.before, change.after),
            (Timeout::Explicit(20), Timeout::Explicit(8))
        );
        assert_eq!(change.action_name, "Twenty");
        assert!(change.warnings.is_empty());
        assert_eq!(plan.edits(), vec![edit("a20", Timeout::Explicit(8))]);
    }

    #[test]
    fn no_ops_read_only_and_unknown_actions_are_skipped_with_reasons() {
        let org = org();
        let plan = Planner::new(&org, true).plan(&[
            edit("a20", Timeout::Explicit(20)),
            edit("dflt", Timeout::Default),
            edit("customAuth_-_web", Timeout::Explicit(10)),
            edit("static_x", Timeout::Explicit(5)),
            edit("ghost", Timeout::Explicit(5)),
            edit("noconfig", Timeout::Explicit(5)),
        ]);
        assert!(plan.is_empty());
        let reasons: Vec<SkipReason> = plan.skipped.iter().map(|s| s.reason).collect();
        assert_eq!(
            reasons,
            vec![
                SkipReason::Unchanged,
                SkipReason::Unchanged,
                SkipReason::ReadOnly(ReadOnlyReason::CustomAuth),
                SkipReason::ReadOnly(ReadOnlyReason::Static),
                SkipReason::UnknownAction,
                SkipReason::ConfigUnknown,
            ]
        );
    }

    #[test]
    fn sixty_and_default_are_different_so_switching_is_a_change() {
        let org = org();
        let plan = Planner::new(&org, true).plan(&[edit("dflt", Timeout::Explicit(60))]);
        assert_eq!(plan.changes.len(), 1);
    }

    #[test]
    fn a_viewer_gets_no_changes() {
        let org = org();
        let plan = Planner::new(&org, false).plan(&[edit("a20", Timeout::Explicit(8))]);
        assert!(plan.is_empty());
        assert_eq!(
            plan.skipped[0].reason,
            SkipReason::ReadOnly(ReadOnlyReason::NoPermission)
        );
    }

    #[test]
    fn the_last_edit_of_an_action_wins() {
        let org = org();
        let plan = Planner::new(&org, true).plan(&[
            edit("a20", Timeout::Explicit(8)),
            edit("a5", Timeout::Explicit(6)),
            edit("a20", Timeout::Explicit(9)),
        ]);
        assert_eq!(plan.changes.len(), 2);
        assert_eq!(plan.changes[0].after, Timeout::Explicit(9));
    }

    #[test]
    fn drafts_are_warned_about_by_their_timeout() {
        let org = org();
        let mut planner = Planner::new(&org, true);
        let edits = [
            edit("d-same", Timeout::Explicit(10)),
            edit("d-own", Timeout::Explicit(10)),
        ];

        let plan = planner.plan(&edits);
        assert_eq!(plan.changes[0].warnings, vec![Warning::DraftWillBeUpdated]);
        assert_eq!(
            plan.changes[1].warnings,
            vec![Warning::DraftKeepsOwnTimeout {
                draft: Timeout::Explicit(45)
            }]
        );

        planner.update_drafts = false;
        let plan = planner.plan(&edits);
        assert_eq!(
            plan.changes[0].warnings,
            vec![Warning::DraftWouldRevert {
                draft: Timeout::Explicit(30)
            }]
        );
        assert_eq!(plan.warned(), 2);

        let to_draft_value = planner.plan(&[edit("d-own", Timeout::Explicit(45))]);
        assert!(to_draft_value.changes[0].warnings.is_empty());
    }

    #[test]
    fn function_actions_and_low_timeouts_are_warned_about() {
        let org = org();
        let latency = HashMap::from([(
            "a20".to_string(),
            LatencyStats {
                calls: 100,
                p99_ms: Some(4_000.0),
                ..LatencyStats::default()
            },
        )]);
        let mut planner = Planner::new(&org, true);
        planner.latency = Some(&latency);
        let plan = planner.plan(&[
            edit("fn1", Timeout::Explicit(12)),
            edit("a20", Timeout::Explicit(3)),
        ]);
        assert_eq!(plan.changes[0].warnings, vec![Warning::FunctionAction]);
        assert_eq!(
            plan.changes[1].warnings,
            vec![Warning::BelowP99 { p99_ms: 4_000.0 }]
        );
        assert!(
            plan.changes[1].warnings[0]
                .message()
                .contains("p99 of 4 s:")
        );

        let fine = planner.plan(&[edit("a20", Timeout::Explicit(4))]);
        assert!(fine.changes[0].warnings.is_empty());
    }

    #[test]
    fn bulk_operations_compute_each_target_and_skip_no_ops() {
        let org = org();
        let planner = Planner::new(&org, true);
        let ids = ["a20", "a5", "dflt", "static_x"];
        let afters = |op| {
            planner
                .plan_bulk(ids, op)
                .changes
                .iter()
                .map(|c| (c.action_id.clone(), c.after))
                .collect::<Vec<_>>()
        };
        use Timeout::{Default as D, Explicit as E};
        let owned = |v: &[(&str, Timeout)]| {
            v.iter()
                .map(|(i, t)| (i.to_string(), *t))
                .collect::<Vec<_>>()
        };

        assert_eq!(
            afters(BulkOp::SetTo(E(15))),
            owned(&[("a20", E(15)), ("a5", E(15)), ("dflt", E(15))])
        );
        assert_eq!(
            afters(BulkOp::CapAt(10)),
            owned(&[("a20", E(10)), ("dflt", E(10))])
        );
        assert_eq!(afters(BulkOp::RaiseTo(10)), owned(&[("a5", E(10))]));
        assert_eq!(
            afters(BulkOp::ResetToDefault),
            owned(&[("a20", D), ("a5", D)])
        );
        assert_eq!(afters(BulkOp::CapAt(60)), owned(&[]));

        let plan = planner.plan_bulk(ids, BulkOp::CapAt(10));
        assert_eq!(plan.skipped.len(), 2);
        assert!(
            plan.skipped
                .iter()
                .any(|s| s.reason == SkipReason::ReadOnly(ReadOnlyReason::Static))
        );
    }

    #[test]
    fn bulk_targets_follow_their_rules() {
        use Timeout::{Default as D, Explicit as E};
        assert_eq!(BulkOp::CapAt(30).apply_to(D), E(30));
        assert_eq!(BulkOp::CapAt(30).apply_to(E(30)), E(30));
        assert_eq!(BulkOp::RaiseTo(30).apply_to(D), D);
        assert_eq!(BulkOp::RaiseTo(30).apply_to(E(29)), E(30));
        assert_eq!(BulkOp::RaiseTo(0).apply_to(E(5)), E(5));
        assert_eq!(BulkOp::CapAt(0).apply_to(E(5)), E(5));
        assert_eq!(BulkOp::SetTo(D).apply_to(E(5)), D);
    }

    #[test]
    fn plans_serialise_without_configs() {
        let org = org();
        let plan = Planner::new(&org, true).plan(&[edit("a20", Timeout::Explicit(8))]);
        let text = serde_json::to_string(&plan).unwrap();
        assert!(!text.contains("requestType"));
        let back: Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan);
    }
}
