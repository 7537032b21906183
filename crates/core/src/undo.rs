//! Undo: the inverse of a finished apply, as an ordinary plan to review and apply.
//!
//! Each applied change becomes a change from its new timeout back to its old one. The engine
//! applies it with the usual conflict rule, so an action someone changed again since is
//! reported as a conflict rather than overwritten.

use crate::engine::ApplyReport;
use crate::plan::{Change, Plan};

/// The plan that puts back the timeouts an apply replaced.
pub fn inverse_plan(report: &ApplyReport) -> Plan {
    let changes = report
        .results
        .iter()
        .filter(|result| result.outcome.is_applied())
        .map(|result| Change {
            action_id: result.change.action_id.clone(),
            action_name: result.change.action_name.clone(),
            before: result.change.after,
            after: result.change.before,
            warnings: Vec::new(),
        })
        .collect();
    Plan {
        changes,
        skipped: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ChangeResult, DraftOutcome, Outcome};
    use crate::timeout::Timeout;

    fn result(id: &str, before: Timeout, after: Timeout, outcome: Outcome) -> ChangeResult {
        ChangeResult {
            change: Change {
                action_id: id.into(),
                action_name: id.into(),
                before,
                after,
                warnings: Vec::new(),
            },
            outcome,
            verification: None,
        }
    }

    #[test]
    fn only_applied_changes_are_inverted() {
        let applied = Outcome::Applied {
            new_version: 4,
            draft: DraftOutcome::NoDraft,
        };
        let report = ApplyReport {
            results: vec![
                result(
                    "a",
                    Timeout::Explicit(20),
                    Timeout::Explicit(8),
                    applied.clone(),
                ),
                result(
                    "b",
                    Timeout::Default,
                    Timeout::Explicit(8),
                    Outcome::NotStarted,
                ),
                result("c", Timeout::Explicit(5), Timeout::Default, applied),
                result(
                    "d",
                    Timeout::Explicit(5),
                    Timeout::Explicit(6),
                    Outcome::Conflict {
                        remote: Timeout::Explicit(9),
                    },
                ),
            ],
            ..ApplyReport::default()
        };
        let plan = inverse_plan(&report);
        let pairs: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (c.action_id.as_str(), c.before, c.after))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("a", Timeout::Explicit(8), Timeout::Explicit(20)),
                ("c", Timeout::Default, Timeout::Explicit(5)),
            ]
        );
    }
}
