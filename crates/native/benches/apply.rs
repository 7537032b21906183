//! Apply benchmark: the core's engine against the emulator, beside a plain sequential loop
//! (GET then PATCH per action, no 429 retries, as the usual SDK scripts do).
//!
//! Run with `cargo bench -p timeouts-native --bench apply`. Two scenarios:
//! - rate-bound: 600 changes at the default limit of 300 requests per minute;
//! - latency-bound: 200 changes at 50 ms latency with a limit that does not bind.
//!
//! The lower bound is the least time the emulator's rule allows for the N PATCHes starting
//! with a full budget, max(0, N − capacity) / refill rate, or N × latency / concurrency cap,
//! whichever is larger. Each run uses a fresh token, so its budget starts full.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use genesys_emulator::{Emulator, EmulatorConfig, Seed};
use timeouts_core::api::Api;
use timeouts_core::auth::AccessToken;
use timeouts_core::engine::{ApplyOptions, CancelFlag, Outcome, apply, rate_limit_floor};
use timeouts_core::load::{LoadOptions, LoadedOrg, load_org};
use timeouts_core::model::UpdateActionInput;
use timeouts_core::plan::{Edit, Plan, Planner};
use timeouts_core::region::Environment;
use timeouts_core::retry::RetryPolicy;
use timeouts_core::timeout::Timeout;
use timeouts_native::ReqwestTransport;

const ADMIN: &str = "a5e00000-0000-4000-8000-000000000001";
const TARGET: Timeout = Timeout::Explicit(9);

struct Scenario {
    name: &'static str,
    changes: usize,
    rate_per_minute: u32,
    latency_ms: u64,
}

/// One measured run.
struct Figures {
    requests: u64,
    rate_limited: u64,
    wall: Duration,
    failures: usize,
    lost: usize,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let scenarios = [
        Scenario {
            name: "rate-bound",
            changes: 600,
            rate_per_minute: 300,
            latency_ms: 0,
        },
        Scenario {
            name: "latency-bound",
            changes: 200,
            rate_per_minute: 1_000_000,
            latency_ms: 50,
        },
    ];
    println!(
        "{:<14} {:<10} {:>5} {:>8} {:>6} {:>9} {:>9} {:>6} {:>8} {:>5}",
        "scenario",
        "client",
        "N",
        "requests",
        "429s",
        "wall s",
        "bound s",
        "ratio",
        "failures",
        "lost"
    );
    for scenario in &scenarios {
        runtime.block_on(run_scenario(scenario));
    }
}

async fn run_scenario(scenario: &Scenario) {
    let config = EmulatorConfig {
        seed: Seed::Large {
            count: scenario.changes * 2,
            seed: 7,
        },
        rate_limit_per_minute: scenario.rate_per_minute,
        ..EmulatorConfig::default()
    };
    let emulator = genesys_emulator::start(config).await.expect("emulator");
    let environment = Environment::Custom {
        api_base: emulator.api_url().to_string(),
        login_base: emulator.login_url().to_string(),
    };

    let loader = api(&emulator, &environment);
    let org = load_org(&loader, &LoadOptions::default(), &CancelFlag::new(), |_| {})
        .await
        .expect("load");
    let plan = plan(&org, scenario.changes);
    let latency = Duration::from_millis(scenario.latency_ms);
    let faults = genesys_emulator::Faults {
        latency_ms: scenario.latency_ms,
        ..Default::default()
    };
    emulator.set_faults(faults.clone());

    let options = ApplyOptions {
        retry: RetryPolicy {
            rate_per_minute: scenario.rate_per_minute,
            ..RetryPolicy::default()
        },
        ..ApplyOptions::default()
    };
    let bound = rate_limit_floor(scenario.changes, scenario.rate_per_minute)
        .max(latency * scenario.changes as u32 / options.concurrency as u32);

    let engine = run_engine(&emulator, &environment, &org, &plan, &options).await;
    print_row(scenario, "engine", &engine, bound);

    // Back to the seeded timeouts (a reset also clears the faults) for the same changes.
    emulator.reset();
    emulator.set_faults(faults);
    let sequential = run_sequential(&emulator, &environment, &plan).await;
    print_row(scenario, "sequential", &sequential, bound);
    if sequential.lost == 0 {
        println!(
            "{:<14} the engine is {:.1}x as fast as the sequential loop",
            "",
            sequential.wall.as_secs_f64() / engine.wall.as_secs_f64()
        );
    } else {
        println!(
            "{:<14} the sequential loop lost {} of {} changes to 429s",
            "", sequential.lost, scenario.changes
        );
    }
    emulator.shutdown().await;
}

fn api(emulator: &Emulator, environment: &Environment) -> Api<ReqwestTransport> {
    let issued = emulator.issue_user_token(ADMIN).expect("token");
    let token = AccessToken {
        token: issued.access_token,
        expires_in: Some(issued.expires_in),
    };
    Api::new(
        ReqwestTransport::new().expect("client"),
        environment,
        &token,
    )
}

/// N changes to editable actions without drafts (drafts would add requests beyond N).
fn plan(org: &LoadedOrg, changes: usize) -> Plan {
    let edits: Vec<Edit> = org
        .actions()
        .iter()
        .filter(|a| org.draft(&a.id).is_none())
        .map(|a| Edit {
            action_id: a.id.clone(),
            timeout: TARGET,
        })
        .collect();
    let mut plan = Planner::new(org, true).plan(&edits);
    assert!(
        plan.changes.len() >= changes,
        "only {} eligible actions",
        plan.changes.len()
    );
    plan.changes.truncate(changes);
    plan
}

async fn run_engine(
    emulator: &Emulator,
    environment: &Environment,
    org: &LoadedOrg,
    plan: &Plan,
    options: &ApplyOptions,
) -> Figures {
    let api = api(emulator, environment);
    let started = Instant::now();
    let report = apply(&api, org, plan, options, &CancelFlag::new(), |_| {}).await;
    let wall = started.elapsed();
    Figures {
        requests: report.requests_sent,
        rate_limited: u64::from(report.rate_limited),
        wall,
        failures: report
            .results
            .iter()
            .filter(|r| !matches!(r.outcome, Outcome::Applied { .. }))
            .count(),
        lost: lost_changes(emulator, plan),
    }
}

/// GET then PATCH per action, one at a time, giving up on any error.
async fn run_sequential(emulator: &Emulator, environment: &Environment, plan: &Plan) -> Figures {
    let api = api(emulator, environment);
    let started = Instant::now();
    let mut failures = 0;
    let mut rate_limited = 0;
    for change in &plan.changes {
        let result = async {
            let action = api.action(&change.action_id).await?;
            let config = action
                .config
                .clone()
                .unwrap_or_default()
                .with_timeout(change.after);
            let update = UpdateActionInput::for_action(&action, config);
            api.patch_action(&change.action_id, &update).await
        }
        .await;
        if let Err(error) = result {
            failures += 1;
            rate_limited += u64::from(error.is_rate_limited());
        }
    }
    Figures {
        requests: api.requests_sent(),
        rate_limited,
        wall: started.elapsed(),
        failures,
        lost: lost_changes(emulator, plan),
    }
}

/// Changes that Genesys does not hold at the end.
fn lost_changes(emulator: &Emulator, plan: &Plan) -> usize {
    plan.changes
        .iter()
        .filter(|change| {
            let stored = emulator.stored_action(&change.action_id).expect("stored");
            Timeout::from_wire(stored["config"].get("timeoutSeconds")) != change.after
        })
        .count()
}

fn print_row(scenario: &Scenario, client: &str, figures: &Figures, bound: Duration) {
    println!(
        "{:<14} {:<10} {:>5} {:>8} {:>6} {:>9.2} {:>9.2} {:>6.3} {:>8} {:>5}",
        scenario.name,
        client,
        scenario.changes,
        figures.requests,
        figures.rate_limited,
        figures.wall.as_secs_f64(),
        bound.as_secs_f64(),
        figures.wall.as_secs_f64() / bound.as_secs_f64(),
        figures.failures,
        figures.lost
    );
}
