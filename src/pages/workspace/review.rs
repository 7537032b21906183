//! Review, apply and the report: the plan before anything is sent, the apply with progress and
//! a cancel button, and what happened to each change, with conflicts, retries and undo.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use timeouts_core::engine::{
    self, ApplyEvent, ApplyOptions, ApplyReport, CancelFlag, Outcome, Stopped, Verification,
};
use timeouts_core::plan::{Change, Edit, Plan, Planner};
use timeouts_core::table::rows as table_rows;
use timeouts_core::undo;

use super::changes::snapshot_of;
use super::{Screen, WorkspaceContext, api_for};
use crate::app::AppContext;
use crate::browser::{self, LeaveGuard};
use crate::messages::count;
use crate::session;

/// Where an apply stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    /// Seconds every request waits for the rate limit, while it does.
    pub waiting: Option<u64>,
    /// One line per finished change.
    pub finished: Vec<(String, String)>,
}

/// The plan of the pending changes, as the planner sees it now.
pub fn pending_plan(workspace: WorkspaceContext) -> Plan {
    let edits: Vec<Edit> = workspace.pending.with_untracked(|pending| {
        pending
            .iter()
            .map(|(id, timeout)| Edit {
                action_id: id.clone(),
                timeout: *timeout,
            })
            .collect()
    });
    let can_edit = workspace.can_edit();
    let update_drafts = workspace.update_drafts.get_untracked();
    let latency_loaded = workspace
        .tuning
        .status
        .with_untracked(|s| matches!(s, super::latency::LatencyStatus::Loaded(_)));
    workspace.org.with_untracked(|org| {
        workspace.tuning.stats.with_untracked(|stats| {
            let mut planner = Planner::new(org, can_edit);
            planner.update_drafts = update_drafts;
            // The planner warns about timeouts below the measured p99 once figures are in.
            planner.latency = latency_loaded.then_some(stats);
            planner.plan(&edits)
        })
    })
}

/// The review screen.
#[component]
pub fn Review() -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let plan = Memo::new(move |_| {
        workspace.pending.track();
        workspace.update_drafts.track();
        workspace.tuning.stats.track();
        pending_plan(workspace)
    });

    let app_for_snapshot = app.clone();
    let download_snapshot = move |_| {
        let ids: Vec<String> =
            plan.with_untracked(|p| p.changes.iter().map(|c| c.action_id.clone()).collect());
        let snapshot = snapshot_of(&app_for_snapshot, workspace, &ids);
        let stamp = snapshot.meta.exported_at.replace(':', "-");
        let _ = browser::download(
            &format!("timeouts-before-{stamp}.json"),
            "application/json",
            &snapshot.to_json(),
        );
    };
    let app_for_apply = app.clone();
    let confirm = move |_| start_apply(app_for_apply.clone(), workspace, plan.get_untracked());
    let back = move |_| workspace.screen.set(Screen::Table);

    let session_warning = {
        let app = app.clone();
        move || {
            let estimate = plan.with(|p| engine::estimated_duration(p, &apply_options(workspace)));
            let remaining = app
                .session
                .with(|s| s.as_ref().and_then(|s| s.remaining_ms()))?;
            (estimate.as_millis() as u64 + 60_000 > remaining).then(|| {
                let app = app.clone();
                let sign_in_again = move |_| {
                    if let Some(current) = app.session.get_untracked() {
                        let _ = session::begin_sign_in(&app.config, &current.environment);
                    }
                };
                view! {
                    <div class="notice warn" role="alert">
                        <p>
                            {format!(
                                "This apply needs about {} but your session ends in {}. Sign in again first; your pending changes are kept.",
                                minutes(estimate),
                                minutes(Duration::from_millis(remaining)),
                            )}
                        </p>
                        <button on:click=sign_in_again>"Sign in again now"</button>
                    </div>
                }
            })
        }
    };

    view! {
        <section aria-labelledby="review-heading" class="review">
            <h2 id="review-heading">"Review changes"</h2>
            <p>
                {move || {
                    plan.with(|p| {
                        format!(
                            "{} will be sent to Genesys Cloud; {} with warnings; {} skipped. Nothing is sent until you apply.",
                            count(p.changes.len(), "change", "changes"),
                            p.warned(),
                            p.skipped.len(),
                        )
                    })
                }}
            </p>
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || workspace.update_drafts.get()
                    on:change=move |event| workspace.update_drafts.set(event_target_checked(&event))
                />
                " Also update drafts that still have the old timeout"
            </label>
            <Show when=move || !workspace.update_drafts.get()>
                <p class="notice warn">
                    "Drafts will not be updated: publishing such a draft later puts the old timeout back."
                </p>
            </Show>
            {session_warning}
            <div class="table-wrap">
                <table class="actions plan">
                    <thead>
                        <tr>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Now"</th>
                            <th scope="col">"After"</th>
                            <th scope="col">"Warnings"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || plan.get().changes.into_iter().map(|change| view! { <PlanRow change /> }).collect_view()}
                    </tbody>
                </table>
            </div>
            {move || {
                let skipped = plan.get().skipped;
                (!skipped.is_empty())
                    .then(|| {
                        view! {
                            <h3>"Skipped"</h3>
                            <ul>
                                {skipped
                                    .into_iter()
                                    .map(|skip| {
                                        let name = skip.action_name.unwrap_or(skip.action_id);
                                        view! { <li>{format!("{name}: {}", skip.reason.message())}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
            }}
            <div class="toolbar">
                <button on:click=download_snapshot>"Download current timeouts (JSON)"</button>
                <button
                    class="primary"
                    on:click=confirm
                    disabled=move || plan.with(|p| p.changes.is_empty())
                >
                    {move || format!("Apply {}", plan.with(|p| count(p.changes.len(), "change", "changes")))}
                </button>
                <button on:click=back>"Back to the table"</button>
            </div>
        </section>
    }
}

#[component]
fn PlanRow(change: Change) -> impl IntoView {
    let warnings = change
        .warnings
        .iter()
        .map(|w| view! { <li>{w.message()}</li> })
        .collect_view();
    view! {
        <tr>
            <th scope="row">{change.action_name.clone()}</th>
            <td>{change.before.to_string()}</td>
            <td>{change.after.to_string()}</td>
            <td>
                <ul class="warnings">{warnings}</ul>
            </td>
        </tr>
    }
}

fn minutes(duration: Duration) -> String {
    let minutes = duration.as_secs().div_ceil(60).max(1);
    count(minutes as usize, "minute", "minutes")
}

fn apply_options(workspace: WorkspaceContext) -> ApplyOptions {
    ApplyOptions {
        update_drafts: workspace.update_drafts.get_untracked(),
        ..ApplyOptions::default()
    }
}

/// Runs the engine on `plan`, showing progress, and then the report.
pub fn start_apply(app: AppContext, workspace: WorkspaceContext, plan: Plan) {
    let cancel = CancelFlag::new();
    workspace.cancel.set(Some(cancel.clone()));
    workspace.progress.set(Progress {
        total: plan.changes.len(),
        ..Progress::default()
    });
    workspace.screen.set(Screen::Applying);
    app.announcer.announce(format!(
        "Applying {}.",
        count(plan.changes.len(), "change", "changes")
    ));
    spawn_local(run_apply(app, workspace, plan, cancel));
}

async fn run_apply(app: AppContext, workspace: WorkspaceContext, plan: Plan, cancel: CancelFlag) {
    let Some(current) = app.session.get_untracked() else {
        return;
    };
    let _leave_guard = LeaveGuard::new();
    let api = api_for(&current);
    let options = apply_options(workspace);

    let org = workspace.org.get_untracked();
    let announcer = app.announcer;
    let told_of_waiting = std::cell::Cell::new(false);
    let on_event = |event: ApplyEvent<'_>| match event {
        ApplyEvent::ChangeFinished {
            result,
            done,
            total,
        } => {
            if result.outcome.is_applied() {
                // Finished changes leave the pending list at once, so a reload mid-apply
                // keeps exactly the unfinished ones.
                workspace.pending.update(|pending| {
                    pending.remove(&result.change.action_id);
                });
            }
            let line = (
                result.change.action_name.clone(),
                outcome_text(&result.outcome),
            );
            workspace.progress.update(|p| {
                p.done = done;
                p.total = total;
                p.waiting = None;
                p.finished.push(line);
            });
            if let Some(milestone) = milestone_text(done, total) {
                announcer.announce(milestone);
            }
        }
        ApplyEvent::RateLimited { pause } => {
            let seconds = pause.as_secs().max(1);
            workspace.progress.update(|p| p.waiting = Some(seconds));
            // Once per apply: a long apply paced by the rate limit would otherwise say little
            // else.
            if !told_of_waiting.replace(true) {
                announcer.announce(format!(
                    "Waiting for the rate limit, resuming in {seconds} s."
                ));
            }
        }
        ApplyEvent::Verifying { .. } => workspace.progress.update(|p| p.waiting = None),
    };
    let report = engine::apply(&api, &org, &plan, &options, &cancel, on_event).await;

    absorb(workspace, &report);
    announcer.announce(finished_text(&report));
    let expired = report.stopped == Some(Stopped::SessionExpired);
    workspace.report.set(Some(report));
    workspace.cancel.set(None);
    workspace.screen.set(Screen::Report);
    if expired {
        super::remember_resume(workspace, true);
        let pending = workspace.pending.with_untracked(BTreeMap::len);
        app.session_expired(pending);
    }
}

/// "5 of 20 changes done.", when `done` is the first change past a quarter of the apply; the
/// last change is left to [`finished_text`].
fn milestone_text(done: usize, total: usize) -> Option<String> {
    let quarter = |n: usize| n * 4 / total.max(1);
    let passed = done > 0 && done < total && quarter(done) != quarter(done - 1);
    passed.then(|| format!("{done} of {total} changes done."))
}

/// "Apply finished: 5 changes applied, 1 failed.", naming only the outcomes that happened.
fn finished_text(report: &ApplyReport) -> String {
    let counts = report.counts();
    let opening = match report.stopped {
        Some(Stopped::SessionExpired) => "Apply stopped because the session ended",
        Some(Stopped::Cancelled) => "Apply cancelled",
        None => "Apply finished",
    };
    let mut outcomes = vec![count(counts.applied, "change applied", "changes applied")];
    let others = [
        (counts.conflicts, "conflict", "conflicts"),
        (counts.failed, "failed", "failed"),
        (counts.not_started, "not started", "not started"),
        (counts.skipped, "skipped", "skipped"),
    ];
    outcomes.extend(
        others
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| count(n, one, many)),
    );
    format!("{opening}: {}.", outcomes.join(", "))
}

/// Puts what Genesys now holds into the table.
fn absorb(workspace: WorkspaceContext, report: &ApplyReport) {
    let can_edit = workspace.can_edit();
    workspace.org.update(|org| {
        org.update_actions(report.updated_actions.iter().cloned());
        org.update_drafts(report.updated_drafts.iter().cloned());
    });
    workspace.set_rows(
        workspace
            .org
            .with_untracked(|org| table_rows(org, can_edit)),
    );
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Applied { .. } => "applied".to_string(),
        Outcome::Skipped { reason } => format!("skipped: {reason}"),
        Outcome::Conflict { remote } => format!("conflict: another admin set {remote}"),
        Outcome::Failed { reason } => format!("failed: {reason}"),
        Outcome::NotStarted => "not started".to_string(),
    }
}

/// The apply in progress.
#[component]
pub fn Applying() -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let cancel = move |_| {
        if let Some(flag) = workspace.cancel.get_untracked() {
            flag.cancel();
        }
    };
    view! {
        <section aria-labelledby="apply-heading" class="applying">
            <h2 id="apply-heading">"Applying changes"</h2>
            <div role="status" aria-live="polite">
                {move || {
                    let p = workspace.progress.get();
                    let waiting = p
                        .waiting
                        .map(|s| format!(" Waiting for the rate limit, resuming in {s} s."))
                        .unwrap_or_default();
                    format!("{} of {} done.{waiting}", p.done, p.total)
                }}
            </div>
            <progress
                max=move || workspace.progress.with(|p| p.total.max(1))
                value=move || workspace.progress.with(|p| p.done)
            ></progress>
            <button on:click=cancel>"Cancel"</button>
            <ul class="outcomes">
                {move || {
                    workspace
                        .progress
                        .get()
                        .finished
                        .into_iter()
                        .map(|(name, outcome)| view! { <li>{format!("{name}: {outcome}")}</li> })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

/// What the last apply did, with the follow-ups it offers.
#[component]
pub fn Report() -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let back = move |_| workspace.screen.set(Screen::Table);

    move || {
        let Some(report) = workspace.report.get() else {
            return ().into_any();
        };
        let counts = report.counts();
        let stopped = match report.stopped {
            Some(Stopped::SessionExpired) => Some(
                "The session ended during the apply: the changes not started are still pending.",
            ),
            Some(Stopped::Cancelled) => {
                Some("The apply was cancelled: the changes not started are still pending.")
            }
            None => None,
        };
        let summary = format!(
            "{} applied, {} conflicts, {} failed, {} not started, {} skipped.",
            counts.applied, counts.conflicts, counts.failed, counts.not_started, counts.skipped
        );

        let rows = report
            .results
            .iter()
            .map(|result| {
                let verification = match &result.verification {
                    Some(Verification::Confirmed) => "Genesys holds the new value".to_string(),
                    Some(Verification::DefaultNotCleared { kept }) => {
                        format!("Genesys kept {kept} instead of clearing it")
                    }
                    Some(Verification::Mismatch { remote }) => format!("Genesys now holds {remote}"),
                    Some(Verification::Unreadable { reason }) => format!("could not check: {reason}"),
                    None => String::new(),
                };
                let conflict = match result.outcome {
                    Outcome::Conflict { remote } => Some((result.change.clone(), remote)),
                    _ => None,
                };
                view! {
                    <tr>
                        <th scope="row">{result.change.action_name.clone()}</th>
                        <td>{format!("{} → {}", result.change.before, result.change.after)}</td>
                        <td>{outcome_text(&result.outcome)}</td>
                        <td>{verification}</td>
                        <td>{conflict.map(|(change, remote)| view! { <ConflictChoice change remote /> })}</td>
                    </tr>
                }
            })
            .collect_view();

        let follow_ups = follow_ups(app.clone(), workspace, &report);
        view! {
            <section aria-labelledby="report-heading" class="report">
                <h2 id="report-heading">"Apply finished"</h2>
                {stopped.map(|s| view! { <p class="notice warn" role="alert">{s}</p> })}
                <p role="status">{summary}</p>
                <div class="table-wrap">
                    <table class="actions">
                        <thead>
                            <tr>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Change"</th>
                                <th scope="col">"Outcome"</th>
                                <th scope="col">"Check"</th>
                                <th scope="col">"Decide"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {follow_ups}
                <button on:click=back>"Back to the table"</button>
            </section>
        }
        .into_any()
    }
}

/// Retry the failed changes, set 60 s where a reset was not cleared, and undo.
fn follow_ups(app: AppContext, workspace: WorkspaceContext, report: &ApplyReport) -> impl IntoView {
    let failed = report.failed_plan();
    let sixty = report.explicit_sixty_plan();
    let inverse = undo::inverse_plan(report);

    let retry_app = app.clone();
    let retry = (!failed.changes.is_empty()).then(|| {
        let label = format!("Retry {}", count(failed.changes.len(), "failed change", "failed changes"));
        view! {
            <button on:click=move |_| start_apply(retry_app.clone(), workspace, failed.clone())>{label}</button>
        }
    });
    let sixty_button = (!sixty.changes.is_empty()).then(|| {
        let label = format!(
            "Review setting 60 s explicitly on {}",
            count(sixty.changes.len(), "action", "actions")
        );
        view! { <button on:click=move |_| review_plan(workspace, &sixty)>{label}</button> }
    });
    let undo_button = (!inverse.changes.is_empty()).then(|| {
        view! { <button on:click=move |_| review_plan(workspace, &inverse)>"Undo this apply"</button> }
    });
    view! { <div class="toolbar">{retry} {sixty_button} {undo_button}</div> }
}

/// Makes a plan's changes the pending changes and opens the review.
fn review_plan(workspace: WorkspaceContext, plan: &Plan) {
    workspace.pending.set(
        plan.changes
            .iter()
            .map(|change| (change.action_id.clone(), change.after))
            .collect(),
    );
    workspace.screen.set(Screen::Review);
}

/// The person's choice on a conflict: overwrite with their value, or keep the other admin's.
#[component]
fn ConflictChoice(change: Change, remote: timeouts_core::timeout::Timeout) -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let decided = RwSignal::new(None::<&'static str>);
    let name = change.action_name.clone();

    let overwrite_change = Change {
        before: remote,
        ..change.clone()
    };
    let overwrite = move |_| {
        decided.set(Some("overwriting"));
        let plan = Plan {
            changes: vec![overwrite_change.clone()],
            skipped: Vec::new(),
        };
        start_apply(app.clone(), workspace, plan);
    };
    let action_id = change.action_id.clone();
    let keep_theirs = move |_| {
        workspace.pending.update(|pending| {
            pending.remove(&action_id);
        });
        decided.set(Some("kept the other admin's value"));
    };

    move || match decided.get() {
        Some(choice) => view! { <span>{choice}</span> }.into_any(),
        None => view! {
            <button aria-label=format!("Keep mine for {name}") on:click=overwrite.clone()>
                {format!("Keep mine ({})", change.after)}
            </button>
            <button aria-label=format!("Keep theirs for {name}") on:click=keep_theirs.clone()>
                {format!("Keep theirs ({remote})")}
            </button>
        }
        .into_any(),
    }
}
