//! The Architect flows of the demo organisation that call its actions, for dependency
//! tracking: several flow types, most published, two only saved, and many actions used by
//! none.

use crate::model::Flow;
use crate::seed::uuid_like;

const FLOW_KIND: u32 = 0xf10e_0000;
const ACTION_KIND: u32 = 0xac71_0000;

/// `(name, type, saved version, published version, demo action numbers used)`.
type FlowSpec = (&'static str, &'static str, u32, Option<u32>, &'static [u64]);

const FLOWS: [FlowSpec; 8] = [
    (
        "Main IVR",
        "INBOUNDCALLFLOW",
        12,
        Some(12),
        &[1, 7, 12, 14, 23],
    ),
    (
        "Billing IVR",
        "INBOUNDCALLFLOW",
        6,
        Some(5),
        &[50, 51, 52, 58, 59],
    ),
    ("Customer care bot", "BOTFLOW", 3, Some(3), &[15, 18, 19]),
    (
        "Queue hold experience",
        "INQUEUECALLFLOW",
        7,
        Some(7),
        &[2, 7],
    ),
    ("After-call survey", "WORKFLOW", 2, None, &[27, 28]),
    ("Fraud screening", "WORKFLOW", 1, Some(1), &[32, 34]),
    ("Order status bot", "BOTFLOW", 1, None, &[18, 36]),
    ("Identify caller", "COMMONMODULEFLOW", 4, Some(4), &[5, 23]),
];

/// The id of the n-th demo action; action 12 is a static action, whose id has a prefix.
fn action_id(n: u64) -> String {
    let id = uuid_like(ACTION_KIND, n);
    if n == 11 || n == 12 {
        format!("static_-_{id}")
    } else {
        id
    }
}

/// The demo flows, ids `f10e0000-0000-4000-8000-00000000000N`.
pub fn demo() -> Vec<Flow> {
    FLOWS
        .iter()
        .enumerate()
        .map(|(n, (name, flow_type, saved, published, actions))| Flow {
            id: uuid_like(FLOW_KIND, n as u64 + 1),
            name: (*name).into(),
            flow_type: (*flow_type).into(),
            saved_version: *saved,
            published_version: *published,
            consumes: actions.iter().map(|&n| action_id(n)).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flow_uses_existing_demo_actions() {
        let (_, actions) = crate::seed::demo::build();
        for flow in demo() {
            for id in &flow.consumes {
                assert!(
                    actions.iter().any(|action| &action.id == id),
                    "{} uses unknown {id}",
                    flow.name
                );
            }
        }
    }

    #[test]
    fn some_flows_are_published_and_some_only_saved() {
        let flows = demo();
        assert!(flows.iter().any(|flow| flow.published_version.is_some()));
        assert!(flows.iter().any(|flow| flow.published_version.is_none()));
    }
}
