//! The generated `large:N[:SEED]` organisation: N actions spread over many integrations,
//! drawn from a seeded generator so the same N and SEED always give the same org.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::model::{ActionBody, Integration, LatencyProfile, StoredAction};
use crate::seed::{action, config, contract, uuid_like};

const INTEGRATION_KIND: u32 = 0x17e6_1000;
const ACTION_KIND: u32 = 0xac71_1000;

/// Actions per integration, roughly; a large org has many integrations.
const ACTIONS_PER_INTEGRATION: usize = 40;

const TYPES: [(&str, &str); 5] = [
    ("custom-rest-actions", "Web Services Data Actions"),
    ("purecloud-data-actions", "Genesys Cloud Data Actions"),
    (
        "function-data-actions",
        "Genesys Cloud Function Data Actions",
    ),
    ("aws-lambda-data-actions", "AWS Lambda Data Actions"),
    ("salesforce-datadip", "Salesforce Data Actions"),
];

const VERBS: [&str; 10] = [
    "Get", "Lookup", "Create", "Update", "Fetch", "Sync", "Validate", "Check", "Cancel", "Post",
];

const NOUNS: [&str; 12] = [
    "account",
    "order",
    "invoice",
    "case",
    "contact",
    "balance",
    "ticket",
    "profile",
    "shipment",
    "payment",
    "lead",
    "subscription",
];

/// A small helper over the generator for the draws below.
struct Draw(ChaCha8Rng);

impl Draw {
    fn below(&mut self, bound: u64) -> u64 {
        self.0.next_u64() % bound
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Builds `count` actions over `ceil(count / 40)` integrations.
pub fn build(count: usize, seed: u64) -> (Vec<Integration>, Vec<StoredAction>) {
    let mut draw = Draw(ChaCha8Rng::seed_from_u64(seed));
    let integration_count = count.div_ceil(ACTIONS_PER_INTEGRATION).max(1);

    let integrations: Vec<Integration> = (0..integration_count)
        .map(|n| {
            let (type_id, type_name) = TYPES[n % TYPES.len()];
            Integration {
                id: uuid_like(INTEGRATION_KIND, n as u64 + 1),
                name: format!("{type_name} {:03}", n + 1),
                type_id: type_id.into(),
                type_name: type_name.into(),
                notes: String::new(),
                credential_type: None,
            }
        })
        .collect();

    let actions = (0..count)
        .map(|n| {
            let integration = &integrations[n * integration_count / count];
            build_action(&mut draw, integration, n)
        })
        .collect();
    (integrations, actions)
}

fn build_action(draw: &mut Draw, integration: &Integration, n: usize) -> StoredAction {
    let verb = VERBS[draw.below(VERBS.len() as u64) as usize];
    let noun = NOUNS[draw.below(NOUNS.len() as u64) as usize];
    let name = format!("{verb} {noun} {:05}", n + 1);

    let timeout = if draw.chance(20) {
        None
    } else {
        Some(1 + draw.below(60) as u32)
    };
    let method = if matches!(verb, "Create" | "Post" | "Cancel") {
        "POST"
    } else {
        "GET"
    };
    let url = format!("https://svc{}.example.com/{noun}/${{input.id}}", n % 97);
    let body = (config(timeout, method, &url), contract(&name, &["id"]));

    let p50 = 40 + draw.below(3_000);
    let latency = LatencyProfile {
        p50_ms: p50,
        p95_ms: p50 * (2 + draw.below(3)),
        p99_ms: p50 * (4 + draw.below(8)),
        calls_per_day: draw.below(50_000) as f64,
    };

    let mut action = action(
        uuid_like(ACTION_KIND, n as u64 + 1),
        integration,
        &name,
        body,
        latency,
    );
    action.published.secure = draw.chance(10);
    action.published.version = 1 + draw.below(5);
    if draw.chance(5) {
        action.draft = Some(ActionBody {
            version: 1,
            ..action.published.clone()
        });
    }
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_count_and_seed_give_the_same_org() {
        let (_, first) = build(300, 42);
        let (_, second) = build(300, 42);
        let summary = |actions: &[StoredAction]| {
            actions
                .iter()
                .map(|a| {
                    (
                        a.id.clone(),
                        a.published.name.clone(),
                        a.published.config.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(summary(&first), summary(&second));
    }

    #[test]
    fn another_seed_gives_another_org() {
        let (_, first) = build(300, 1);
        let (_, second) = build(300, 2);
        let timeouts = |actions: &[StoredAction]| {
            actions
                .iter()
                .map(|a| a.published.config.timeout_seconds)
                .collect::<Vec<_>>()
        };
        assert_ne!(timeouts(&first), timeouts(&second));
    }

    #[test]
    fn ten_thousand_actions_spread_over_many_integrations() {
        let (integrations, actions) = build(10_000, 1);
        assert_eq!(actions.len(), 10_000);
        assert_eq!(integrations.len(), 250);
        assert!(actions.iter().all(|a| {
            a.published
                .config
                .timeout_seconds
                .is_none_or(|t| (1..=60).contains(&t))
        }));
    }
}
