//! The core's latency, where-used, limits, history and test-run calls against the emulator.

// A panic in a test is a failed test with a useful message (as clippy.toml allows in unit tests).
#![allow(clippy::unwrap_used)]

mod support;

use support::Setup;

use genesys_emulator::{Quirk, Seed};
use timeouts_core::engine::{ApplyOptions, CancelFlag, apply};
use timeouts_core::latency::{IDS_PER_QUERY, LatencyWindow, load_latency};
use timeouts_core::load::LoadedOrg;
use timeouts_core::plan::{Edit, Planner};
use timeouts_core::suggest::{Basis, suggest};
use timeouts_core::timeout::Timeout;

fn ids(org: &LoadedOrg) -> Vec<String> {
    org.actions().iter().map(|a| a.id.clone()).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn latency_is_queried_in_batches_and_gives_suggestions() {
    let (setup, api, org) = Setup::loaded("large:250".parse().unwrap(), &[]).await;
    let ids = ids(&org);
    let before = api.requests_sent();

    let stats = load_latency(&api, &ids, LatencyWindow::Week, &CancelFlag::new())
        .await
        .unwrap();

    assert_eq!(
        api.requests_sent() - before,
        ids.len().div_ceil(IDS_PER_QUERY) as u64
    );
    assert!(!stats.is_empty());
    assert!(stats.keys().all(|id| org.action(id).is_some()));
    let busy = stats.values().find(|s| s.calls >= 20).unwrap();
    let p99 = busy.p99_ms.unwrap();
    assert!(busy.p95_ms.unwrap() <= p99);
    assert!(busy.max_ms.unwrap() >= p99);
    let suggestion = suggest(busy).unwrap();
    assert_eq!(suggestion.basis, Basis::P99);
    assert_eq!(
        suggestion.timeout,
        Timeout::Explicit(timeouts_core::suggest::seconds_covering(p99))
    );
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn missing_percentiles_fall_back_to_the_maximum() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[Quirk::NoPercentiles]).await;
    let stats = load_latency(&api, &ids(&org), LatencyWindow::Day, &CancelFlag::new())
        .await
        .unwrap();
    let busy = stats.values().find(|s| s.calls >= 20).unwrap();
    assert_eq!(busy.p99_ms, None);
    assert_eq!(suggest(busy).unwrap().basis, Basis::Max);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_history_of_an_action_shows_a_timeout_change() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let planner = Planner::new(&org, true);
    let plan = org
        .actions()
        .iter()
        .map(|a| {
            planner.plan(&[Edit {
                action_id: a.id.clone(),
                timeout: Timeout::Explicit(23),
            }])
        })
        .find(|p| p.changes.len() == 1 && p.changes[0].warnings.is_empty())
        .unwrap();
    let change = plan.changes[0].clone();
    let report = apply(
        &api,
        &org,
        &plan,
        &ApplyOptions::default(),
        &CancelFlag::new(),
        |_| {},
    )
    .await;
    assert!(report.results[0].outcome.is_applied());

    let history = api
        .action_history(&change.action_id, &LatencyWindow::Day.interval_to_now())
        .await
        .unwrap();
    let entry = history
        .iter()
        .find(|e| e.timeout_change().is_some())
        .unwrap();
    assert_eq!(
        entry.timeout_change(),
        Some((change.before, Timeout::Explicit(23)))
    );
    assert!(entry.user.as_ref().is_some_and(|u| u.name.is_some()));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn limits_dependencies_and_a_test_run_are_read() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;

    let limits = api.org_limits("integrations").await.unwrap();
    let concurrency = limits
        .iter()
        .find(|l| l.key == "actions.concurrent.executions.max")
        .unwrap();
    assert_eq!(concurrency.value, Some(50.0));

    let mut used_somewhere = 0;
    for action in org.actions().iter().take(20) {
        let flows = api.dependencies(&action.id).await.unwrap();
        used_somewhere += usize::from(!flows.is_empty());
        assert!(flows.iter().all(|f| !f.id.is_empty()));
    }
    assert!(used_somewhere > 0);

    let get_action = org
        .actions()
        .iter()
        .find(|a| {
            a.config.as_ref().and_then(|c| c.request_type()) == Some("GET")
                && !a.id.starts_with("customAuth")
        })
        .unwrap();
    let result = api
        .test_action(&get_action.id, &serde_json::json!({}))
        .await
        .unwrap();
    assert!(result.success || result.error.is_some());
    setup.shutdown().await;
}
