//! The demo organisation: six integrations and sixty actions chosen to show every case the
//! app must handle (unset and explicit timeouts, secure, static and custom-auth actions,
//! drafts, templates served by URI, awkward names, and varied latency profiles).

use crate::model::{Integration, LatencyProfile, StoredAction};
use crate::seed::{action, config, contract, uuid_like};

const INTEGRATION_KIND: u32 = 0x17e6_0000;
const ACTION_KIND: u32 = 0xac71_0000;

/// What a seeded action's draft looks like.
#[derive(Clone, Copy)]
enum Draft {
    None,
    /// A draft identical to the published action.
    Same,
    /// A draft whose timeout differs from the published one.
    Timeout(u32),
}

#[derive(Clone, Copy, PartialEq)]
enum Special {
    None,
    Static,
    CustomAuth,
}

struct Spec {
    integration: usize,
    name: &'static str,
    timeout: Option<u32>,
    method: &'static str,
    secure: bool,
    draft: Draft,
    by_uri: bool,
    special: Special,
    latency: Option<LatencyProfile>,
}

fn spec(integration: usize, name: &'static str, timeout: Option<u32>) -> Spec {
    Spec {
        integration,
        name,
        timeout,
        method: "GET",
        secure: false,
        draft: Draft::None,
        by_uri: false,
        special: Special::None,
        latency: None,
    }
}

impl Spec {
    fn method(self, method: &'static str) -> Self {
        Spec { method, ..self }
    }
    fn secure(self) -> Self {
        Spec {
            secure: true,
            ..self
        }
    }
    fn draft(self, draft: Draft) -> Self {
        Spec { draft, ..self }
    }
    fn by_uri(self) -> Self {
        Spec {
            by_uri: true,
            ..self
        }
    }
    fn special(self, special: Special) -> Self {
        Spec { special, ..self }
    }
    /// p50, p95, p99 in milliseconds and calls per day.
    fn latency(self, p50: u64, p95: u64, p99: u64, calls: u64) -> Self {
        self.profile(p50, p95, p99, calls as f64)
    }
    /// Like [`Spec::latency`], with a weekly call count, for the few-calls edge cases.
    fn weekly(self, p50: u64, p95: u64, p99: u64, calls_per_week: u64) -> Self {
        self.profile(p50, p95, p99, calls_per_week as f64 / 7.0)
    }
    fn profile(self, p50: u64, p95: u64, p99: u64, calls_per_day: f64) -> Self {
        let profile = LatencyProfile {
            p50_ms: p50,
            p95_ms: p95,
            p99_ms: p99,
            calls_per_day,
        };
        Spec {
            latency: Some(profile),
            ..self
        }
    }
}

fn integrations() -> Vec<Integration> {
    let table: [(&str, &str, &str, Option<&str>); 6] = [
        (
            "Genesys Cloud Data Actions",
            "purecloud-data-actions",
            "Genesys Cloud Data Actions",
            Some("clientCredentials"),
        ),
        (
            "Acme CRM (web services)",
            "custom-rest-actions",
            "Web Services Data Actions",
            Some("userDefinedOAuth"),
        ),
        (
            "Billing Functions",
            "function-data-actions",
            "Genesys Cloud Function Data Actions",
            None,
        ),
        (
            "Order Lambda",
            "aws-lambda-data-actions",
            "AWS Lambda Data Actions",
            Some("awsRole"),
        ),
        (
            "Salesforce",
            "salesforce-datadip",
            "Salesforce Data Actions",
            Some("userDefinedOAuth"),
        ),
        (
            "Legacy Billing (web services)",
            "custom-rest-actions",
            "Web Services Data Actions",
            Some("basicAuth"),
        ),
    ];
    table
        .iter()
        .enumerate()
        .map(|(n, (name, type_id, type_name, credential))| Integration {
            id: uuid_like(INTEGRATION_KIND, n as u64 + 1),
            name: (*name).into(),
            type_id: (*type_id).into(),
            type_name: (*type_name).into(),
            notes: format!("Demo {type_name} integration"),
            credential_type: credential.map(str::to_owned),
        })
        .collect()
}

fn specs() -> Vec<Spec> {
    use Draft::{Same, Timeout};
    vec![
        // Genesys Cloud Data Actions.
        spec(0, "Get user presence", Some(5)).latency(120, 400, 900, 5_000),
        spec(0, "Get queue estimated wait time", None).latency(200, 600, 1_200, 12_000),
        spec(0, "Get conversation attributes", Some(10)),
        spec(0, "Set participant data", Some(15)).method("POST"),
        spec(0, "Lookup external contact by phone", Some(8)).draft(Same),
        spec(0, "Get agent skills", None).weekly(250, 700, 1_100, 19),
        spec(0, "Get queue observations", Some(3)).latency(900, 2_600, 4_200, 30_000),
        spec(0, "Create callback", Some(20)).method("POST"),
        spec(0, "Récupérer le profil de l'agent", Some(12)),
        spec(0, "Statistiques de file d'attente", None),
        spec(0, "Get Genesys Cloud wrap-up codes", None).special(Special::Static),
        spec(0, "Get Genesys Cloud user by email", Some(30)).special(Special::Static),
        // Acme CRM, a web services integration with a custom authentication action.
        spec(1, "Acme CRM (web services) custom auth", None)
            .method("POST")
            .special(Special::CustomAuth),
        spec(1, "Lookup account by phone", Some(20)).latency(300, 1_500, 4_000, 25_000),
        spec(1, "Lookup account by email", None),
        spec(1, "Create support case", Some(30))
            .method("POST")
            .secure(),
        spec(1, "Update case status", Some(10)).method("PATCH"),
        spec(1, "Get open orders", Some(15))
            .draft(Timeout(25))
            .latency(1_100, 6_000, 14_000, 8_000),
        spec(1, "Fetch loyalty tier 🏆", Some(6)).latency(1_500, 5_200, 9_000, 2_400),
        spec(1, "<script>alert(1)</script> lookup", Some(9)),
        spec(1, "Fetch & merge <b>profile</b>", None),
        spec(1, "Check payment card (PCI)", Some(12)).secure(),
        spec(1, "Verify caller PIN", Some(4))
            .secure()
            .latency(800, 3_100, 5_500, 40_000),
        spec(1, "Consultar saldo de conta – São Paulo", None),
        spec(1, "Kundendaten abrufen (Größe)", Some(25)),
        spec(1, "Delete stale lead", Some(10)).method("DELETE"),
        spec(1, "Get NPS score 📊", Some(60)).latency(150, 300, 450, 900),
        spec(1, "Escalate VIP ticket 🚨", Some(2))
            .method("POST")
            .latency(700, 2_200, 3_000, 600),
        // Billing Functions.
        spec(2, "Calculate late fee", Some(15)).latency(200, 500, 800, 3_000),
        spec(2, "Compute refund amount", Some(10)).weekly(180, 450, 700, 20),
        spec(2, "Validate IBAN", Some(5)).draft(Same),
        spec(2, "Normalise phone number", Some(3)).latency(50, 110, 150, 90_000),
        spec(2, "Generate payment link", None),
        spec(2, "Score fraud risk", Some(15)).latency(4_000, 11_000, 16_000, 7_000),
        spec(2, "Convert currency", Some(8)),
        // Order Lambda.
        spec(3, "Get order status", Some(10)),
        spec(3, "Cancel order", Some(20)).method("POST"),
        spec(3, "Reserve inventory", None),
        spec(3, "Estimate delivery date 📦", Some(7)),
        spec(3, "Lookup warranty", Some(45)).latency(60, 180, 300, 4_000),
        spec(3, "Get return label", Some(12)).draft(Same),
        spec(3, "Sync order notes", Some(30)).method("PUT"),
        // Salesforce: templates are served by URI.
        spec(4, "Get contact by phone", Some(10)).by_uri(),
        spec(4, "Get account owner", None)
            .by_uri()
            .latency(400, 900, 1_300, 12),
        spec(4, "Create task", Some(20)).method("POST").by_uri(),
        spec(4, "Update opportunity stage", Some(15))
            .method("PATCH")
            .by_uri(),
        spec(4, "Find case by number", Some(5))
            .by_uri()
            .latency(1_200, 4_000, 7_000, 15_000),
        spec(4, "Log call activity", None).method("POST"),
        spec(4, "Get entitlement", Some(25)).secure(),
        // Legacy Billing.
        spec(5, "Get invoice", Some(30)),
        spec(5, "Get balance", None),
        spec(5, "Post payment", Some(60)).method("POST").secure(),
        spec(5, "Get payment history", Some(20)),
        spec(5, "Lookup billing address", Some(10)),
        spec(5, "Get statement PDF link", Some(40)).latency(12_000, 45_000, 70_000, 500),
        spec(5, "Suspend account", Some(15))
            .method("POST")
            .latency(500, 900, 1_400, 0),
        spec(5, "Reactivate account", Some(15))
            .method("POST")
            .draft(Same),
        spec(5, "Check service outage", None).latency(9_000, 40_000, 58_000, 3_000),
        spec(5, "Get tariff", Some(1)).latency(400, 1_200, 1_800, 6_000),
        spec(5, "Get meter reading", Some(8)),
    ]
}

/// A plausible profile for actions the table leaves unspecified.
fn default_latency(n: u64) -> LatencyProfile {
    let p50 = 80 + (n * 37) % 400;
    LatencyProfile {
        p50_ms: p50,
        p95_ms: p50 * 3,
        p99_ms: p50 * 5,
        calls_per_day: (50 + (n * 1_373) % 20_000) as f64,
    }
}

fn url_for(integration: &Integration, name: &str) -> String {
    let slug: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect::<String>()
        .trim()
        .to_lowercase()
        .replace(' ', "-");
    match integration.type_id.as_str() {
        "purecloud-data-actions" => format!("/api/v2/{slug}/${{input.id}}"),
        "function-data-actions" => format!("function://billing/{slug}"),
        "aws-lambda-data-actions" => {
            format!("arn:aws:lambda:us-east-1:123456789012:function:{slug}")
        }
        "salesforce-datadip" => format!("/services/data/v58.0/query?q={slug}"),
        _ => format!("https://crm.example.com/api/{slug}?q=${{input.query}}"),
    }
}

/// Builds the demo integrations and actions.
pub fn build() -> (Vec<Integration>, Vec<StoredAction>) {
    let integrations = integrations();
    let actions = specs()
        .into_iter()
        .enumerate()
        .map(|(n, spec)| build_action(&integrations, n as u64 + 1, spec))
        .collect();
    (integrations, actions)
}

fn build_action(integrations: &[Integration], n: u64, spec: Spec) -> StoredAction {
    let integration = &integrations[spec.integration];
    let id = match spec.special {
        Special::CustomAuth => format!("customAuth_-_{}", integration.id),
        Special::Static => format!("static_-_{}", uuid_like(ACTION_KIND, n)),
        Special::None => uuid_like(ACTION_KIND, n),
    };
    let body = (
        config(spec.timeout, spec.method, &url_for(integration, spec.name)),
        contract(spec.name, &["query"]),
    );
    let latency = spec.latency.unwrap_or_else(|| default_latency(n));

    let mut action = action(id, integration, spec.name, body, latency);
    action.published.secure = spec.secure;
    action.templates_by_uri = spec.by_uri;
    // Actions that have been edited a few times start above version 1, as in a real org.
    action.published.version = 1 + n % 4;
    action.draft = match spec.draft {
        Draft::None => None,
        Draft::Same => Some(draft_of(&action.published, None)),
        Draft::Timeout(timeout) => Some(draft_of(&action.published, Some(timeout))),
    };
    action
}

fn draft_of(
    published: &crate::model::ActionBody,
    timeout: Option<u32>,
) -> crate::model::ActionBody {
    let mut draft = published.clone();
    draft.version = 1;
    if let Some(timeout) = timeout {
        draft.config.timeout_seconds = Some(timeout);
    }
    draft
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActionKind;

    #[test]
    fn the_demo_has_every_documented_variety() {
        let (integrations, actions) = build();
        assert_eq!(actions.len(), 60);
        assert!(integrations.len() >= 5);

        let kinds = |kind| actions.iter().filter(|a| a.kind() == kind).count();
        assert_eq!(kinds(ActionKind::CustomAuth), 1);
        assert_eq!(kinds(ActionKind::Static), 2);

        assert!(
            actions
                .iter()
                .any(|a| a.published.config.timeout_seconds.is_none())
        );
        assert!(actions.iter().any(|a| a.published.secure));
        assert!(actions.iter().any(|a| a.templates_by_uri));
        assert!(
            actions
                .iter()
                .any(|a| a.published.name.contains("<script>"))
        );
        assert!(actions.iter().any(|a| a.published.name.contains('é')));
        assert!(actions.iter().any(|a| a.published.name.contains('📦')));

        let drafts: Vec<_> = actions
            .iter()
            .filter_map(|a| Some((a, a.draft.as_ref()?)))
            .collect();
        let differing = drafts
            .iter()
            .filter(|(a, d)| a.published.config.timeout_seconds != d.config.timeout_seconds)
            .count();
        assert_eq!(differing, 1);
        assert!(drafts.len() >= 3);
    }

    #[test]
    fn some_p99s_exceed_the_timeout_and_some_are_far_below() {
        let (_, actions) = build();
        let timeout_ms =
            |a: &StoredAction| u64::from(a.published.config.timeout_seconds.unwrap_or(60)) * 1000;
        assert!(actions.iter().any(|a| a.latency.p99_ms > timeout_ms(a)));
        assert!(
            actions
                .iter()
                .any(|a| a.latency.p99_ms * 10 < timeout_ms(a))
        );
    }

    #[test]
    fn call_counts_cover_the_suggestion_edges() {
        let (_, actions) = build();
        let weekly: Vec<u64> = actions
            .iter()
            .map(|a| crate::latency::calls_in(&a.latency, 7.0 * 86_400.0))
            .collect();
        assert!(weekly.contains(&0));
        assert!(weekly.contains(&19));
        assert!(weekly.contains(&20));
        assert!(actions.iter().any(|a| a.latency.p99_ms > 60_000));
    }

    #[test]
    fn action_ids_are_unique() {
        let (_, actions) = build();
        let mut ids: Vec<_> = actions.iter().map(|a| a.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), actions.len());
    }
}
