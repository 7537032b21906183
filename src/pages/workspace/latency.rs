//! Latency beside every timeout: the window picker and loading of analytics, the p95, p99,
//! call count, suggestion and flag columns, the flag filter, "Use suggested", and the
//! organisation's limits.
//!
//! The figures and the rules come from the core (`latency`, `suggest`); this module only
//! keeps them in signals and draws them.

use std::collections::{BTreeSet, HashMap};

use leptos::prelude::*;
use leptos::task::spawn_local;
use timeouts_core::latency::{LatencyWindow, load_latency};
use timeouts_core::model::Limit;
use timeouts_core::retry::CancelFlag;
use timeouts_core::suggest::{self, Basis, LatencyFlag, LatencyStats, NoSuggestion, seconds_text};
// Counts are shown the same way across the workspace.
pub use timeouts_core::suggest::grouped;
use timeouts_core::table::{self, FlagFilter, Row, row_flag};
use timeouts_core::timeout::Timeout;

use super::{WorkspaceContext, api_for};
use crate::app::AppContext;
use crate::messages;

/// Where loading the latency stands.
#[derive(Clone, Debug, PartialEq)]
pub enum LatencyStatus {
    NotLoaded,
    Loading,
    /// Figures for this window are in [`Tuning::stats`].
    Loaded(LatencyWindow),
    Failed(String),
}

/// The latency state shared by the table, the review and the details panel.
#[derive(Clone, Copy)]
pub struct Tuning {
    pub window: RwSignal<LatencyWindow>,
    pub status: RwSignal<LatencyStatus>,
    /// Figures by action id; an action without calls in the window is absent.
    pub stats: RwSignal<HashMap<String, LatencyStats>>,
    pub flag_filter: RwSignal<FlagFilter>,
    /// The action whose details panel is open.
    pub details: RwSignal<Option<String>>,
}

impl Tuning {
    pub fn new() -> Self {
        Tuning {
            window: RwSignal::new(LatencyWindow::Week),
            status: RwSignal::new(LatencyStatus::NotLoaded),
            stats: RwSignal::new(HashMap::new()),
            flag_filter: RwSignal::new(FlagFilter::All),
            details: RwSignal::new(None),
        }
    }

    /// Whether figures are shown (tracked).
    pub fn loaded(&self) -> bool {
        matches!(self.status.get(), LatencyStatus::Loaded(_))
    }
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning::new()
    }
}

/// The figures of one action once latency is loaded: `None` before, zero calls when the
/// action had none in the window.
pub fn stats_of(tuning: Tuning, action_id: &str) -> Option<LatencyStats> {
    if !tuning.loaded() {
        return None;
    }
    Some(
        tuning
            .stats
            .with(|stats| stats.get(action_id).cloned())
            .unwrap_or_default(),
    )
}

/// Drops from `shown` (indexes into `rows`) the rows the flag filter does not keep; the
/// rule is the core's, this only reads the signals.
pub fn keep_flagged(tuning: Tuning, rows: &[Row], shown: &mut Vec<usize>) {
    if !tuning.loaded() {
        return;
    }
    let filter = tuning.flag_filter.get();
    tuning
        .stats
        .with(|stats| table::retain_flagged(rows, shown, filter, stats));
}

/// The words for a flag, as shown in the table and the filter.
pub fn flag_text(flag: LatencyFlag) -> &'static str {
    match flag {
        LatencyFlag::BelowP99 => "timeout below p99: calls likely time out",
        LatencyFlag::FarAboveP99 => {
            "default or high timeout far above p99: holds concurrency longer than needed"
        }
    }
}

/// What the Suggested column says when there is no suggestion.
pub fn no_suggestion_text(reason: NoSuggestion) -> String {
    match reason {
        NoSuggestion::TooFewCalls { calls } => {
            format!(
                "no suggestion: {}",
                messages::count(calls as usize, "call", "calls")
            )
        }
        NoSuggestion::NoLatency => "no suggestion: no latency figures".to_string(),
    }
}

/// The suggestion a row may take as a pending change: only editable actions with a
/// suggestion.
fn usable_suggestion(row: &Row, stats: &LatencyStats) -> Option<Timeout> {
    let editable = row.classification.is_editable() && row.timeout.is_some();
    editable
        .then(|| suggest::suggest(stats).ok())
        .flatten()
        .map(|s| s.timeout)
}

/// Queues `timeout` for an action, or drops the pending change when it equals the current.
fn queue(workspace: WorkspaceContext, row: &Row, timeout: Timeout) {
    workspace.pending.update(|pending| {
        if Some(timeout) == row.timeout {
            pending.remove(&row.id);
        } else {
            pending.insert(row.id.clone(), timeout);
        }
    });
}

/// Loads the latency of every action for the chosen window.
fn start_loading(app: AppContext, workspace: WorkspaceContext) {
    let tuning = workspace.tuning;
    let Some(session) = app.session.get_untracked() else {
        return;
    };
    let window = tuning.window.get_untracked();
    let ids: Vec<String> = workspace
        .rows
        .with_untracked(|rows| rows.iter().map(|r| r.id.clone()).collect());
    tuning.status.set(LatencyStatus::Loading);

    spawn_local(async move {
        let api = api_for(&session);
        match load_latency(&api, &ids, window, &CancelFlag::new()).await {
            Ok(stats) => {
                tuning.stats.set(stats);
                tuning.status.set(LatencyStatus::Loaded(window));
            }
            Err(error) => {
                let message = error.api_error().map_or_else(
                    || "Loading latency was cancelled.".to_string(),
                    messages::describe,
                );
                tuning.status.set(LatencyStatus::Failed(format!(
                    "Latency could not be loaded. {message}"
                )));
            }
        }
    });
}

fn window_label(window: LatencyWindow) -> &'static str {
    match window {
        LatencyWindow::Day => "last 24 hours",
        LatencyWindow::Week => "last 7 days",
        LatencyWindow::Month => "last 30 days",
    }
}

/// The window picker, the load button, the fallback note, the flag filter and "Use
/// suggested" for the selection.
#[component]
pub fn LatencyBar() -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let tuning = workspace.tuning;
    let outcome = RwSignal::new(None::<String>);

    let window_app = app.clone();
    let on_window = move |event| {
        let window = match event_target_value(&event).as_str() {
            "day" => LatencyWindow::Day,
            "month" => LatencyWindow::Month,
            _ => LatencyWindow::Week,
        };
        tuning.window.set(window);
        // Figures already shown are replaced by those of the new window.
        if matches!(tuning.status.get_untracked(), LatencyStatus::Loaded(_)) {
            start_loading(window_app.clone(), workspace);
        }
    };
    let load = move |_| start_loading(app.clone(), workspace);
    let can_edit = workspace.can_edit();
    let on_flag = move |event| {
        let filter = match event_target_value(&event).as_str() {
            "any" => FlagFilter::AnyFlag,
            "below" => FlagFilter::BelowP99,
            "above" => FlagFilter::FarAboveP99,
            _ => FlagFilter::All,
        };
        tuning.flag_filter.set(filter);
    };
    let use_on_selection = move |_| outcome.set(Some(use_suggested_on_selection(workspace)));

    let status = move || match tuning.status.get() {
        LatencyStatus::NotLoaded => None,
        LatencyStatus::Loading => {
            Some(view! { <p role="status">"Loading latency…"</p> }.into_any())
        }
        LatencyStatus::Loaded(window) => {
            let missing = tuning.stats.with(|stats| {
                stats
                    .values()
                    .filter(|s| s.calls > 0 && s.p99_ms.is_none())
                    .count()
            });
            let note = (missing > 0).then(|| {
                view! {
                    <p class="notice warn" role="note">
                        {format!(
                            "Analytics returned no p95 or p99 for {}: the table shows their maximum and mean instead, and their suggestions rest on the maximum.",
                            messages::count(missing, "action", "actions"),
                        )}
                    </p>
                }
            });
            Some(
                view! {
                    <p role="status">{format!("Latency of the {}.", window_label(window))}</p>
                    {note}
                }
                .into_any(),
            )
        }
        LatencyStatus::Failed(message) => {
            Some(view! { <p class="notice error" role="alert">{message}</p> }.into_any())
        }
    };

    view! {
        <div class="toolbar latency-bar">
            <label class="field">
                "Latency window"
                <select on:change=on_window>
                    <option value="day">"Last 24 hours"</option>
                    <option value="week" selected>"Last 7 days"</option>
                    <option value="month">"Last 30 days"</option>
                </select>
            </label>
            <button
                on:click=load
                disabled=move || tuning.status.get() == LatencyStatus::Loading
            >
                "Load latency"
            </button>
            <Show when=move || tuning.loaded()>
                <label class="field">
                    "Latency flag"
                    <select on:change=on_flag>
                        <option value="all">"Flagged or not"</option>
                        <option value="any">"Any flag"</option>
                        <option value="below">"Timeout below p99"</option>
                        <option value="above">"Timeout far above p99"</option>
                    </select>
                </label>
                {can_edit
                    .then(|| {
                        view! {
                            <button
                                on:click=use_on_selection
                                disabled=move || workspace.selected.with(BTreeSet::is_empty)
                            >
                                "Use suggested on the selection"
                            </button>
                        }
                    })}
            </Show>
        </div>
        {status}
        {move || outcome.get().map(|text| view! { <p role="status">{text}</p> })}
    }
}

/// Queues the suggestion of every selected action that has one, and says what happened.
fn use_suggested_on_selection(workspace: WorkspaceContext) -> String {
    let selected = workspace.selected.get_untracked();
    let rows: Vec<Row> = workspace.rows.with_untracked(|rows| {
        rows.iter()
            .filter(|r| selected.contains(&r.id))
            .cloned()
            .collect()
    });
    let mut queued = 0;
    workspace.tuning.stats.with_untracked(|stats| {
        for row in &rows {
            let stats = stats.get(&row.id).cloned().unwrap_or_default();
            if let Some(timeout) = usable_suggestion(row, &stats) {
                queue(workspace, row, timeout);
                queued += 1;
            }
        }
    });
    let left = rows.len() - queued;
    format!(
        "Suggested timeouts used for {}; {} without a suggestion or not editable left as they were.",
        messages::count(queued, "action", "actions"),
        left,
    )
}

/// The latency column headers, once figures are loaded.
#[component]
pub fn LatencyHeaders() -> impl IntoView {
    let tuning = expect_context::<WorkspaceContext>().tuning;
    view! {
        <Show when=move || tuning.loaded()>
            <th scope="col">"p95"</th>
            <th scope="col">"p99"</th>
            <th scope="col">"Calls"</th>
            <th scope="col">"Suggested"</th>
            <th scope="col">"Latency flag"</th>
        </Show>
    }
}

/// The latency cells of one row, once figures are loaded.
#[component]
pub fn LatencyCells(row: Row) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let tuning = workspace.tuning;
    let id = row.id.clone();

    move || {
        let stats = stats_of(tuning, &id)?;
        Some(latency_cells(workspace, &row, &stats))
    }
}

fn latency_cells(workspace: WorkspaceContext, row: &Row, stats: &LatencyStats) -> AnyView {
    let percentiles_missing = stats.calls > 0 && stats.p99_ms.is_none();
    let (p95, p99) = if percentiles_missing {
        let max = stats.max_ms.map(seconds_text).unwrap_or_default();
        let mean = stats.mean_ms.map(seconds_text).unwrap_or_default();
        (format!("no p95; mean {mean}"), format!("no p99; max {max}"))
    } else {
        (
            stats.p95_ms.map(seconds_text).unwrap_or_else(|| "–".into()),
            stats.p99_ms.map(seconds_text).unwrap_or_else(|| "–".into()),
        )
    };
    let flag = row_flag(row, stats);

    view! {
        <td class="number">{p95}</td>
        <td class="number">{p99}</td>
        <td class="number">{grouped(stats.calls)}</td>
        <td>{suggestion_cell(workspace, row, stats)}</td>
        <td>
            {flag.map(|flag| view! { <span class="badge warn flag">{flag_text(flag)}</span> })}
        </td>
    }
    .into_any()
}

fn suggestion_cell(workspace: WorkspaceContext, row: &Row, stats: &LatencyStats) -> AnyView {
    let suggestion = match suggest::suggest(stats) {
        Ok(suggestion) => suggestion,
        Err(reason) => {
            return view! { <span class="muted">{no_suggestion_text(reason)}</span> }.into_any();
        }
    };
    let basis = (suggestion.basis == Basis::Max).then_some(" (from the maximum)");
    let usable = usable_suggestion(row, stats).is_some();
    let label = format!("Use suggested {} for {}", suggestion.timeout, row.name);
    let row = row.clone();
    let use_it = move |_| queue(workspace, &row, suggestion.timeout);

    view! {
        <span class="suggested">{suggestion.timeout.to_string()}</span>
        <span class="muted">{basis}</span>
        {usable
            .then(|| {
                view! {
                    " "
                    <button class="edit" aria-label=label on:click=use_it>
                        "Use suggested"
                    </button>
                }
            })}
    }
    .into_any()
}

/// The organisation's data-action concurrency and volume limits, shown once under the header.
#[component]
pub fn Limits() -> impl IntoView {
    let app = expect_context::<AppContext>();
    let limits = RwSignal::new(None::<Vec<Limit>>);
    if let Some(session) = app.session.get_untracked() {
        spawn_local(async move {
            // Limits are a help, not a need: when they cannot be read the line is left out.
            if let Ok(read) = api_for(&session).org_limits("integrations").await {
                limits.set(Some(read));
            }
        });
    }

    move || {
        let limits = limits.get()?;
        let value = |key: &str| {
            limits
                .iter()
                .find(|l| l.key == key)
                .and_then(|l| l.value)
                .map(|v| grouped(v.max(0.0) as u64))
        };
        let concurrency = value("actions.concurrent.executions.max");
        let volume = value("requests.volume.max");
        if concurrency.is_none() && volume.is_none() {
            return None;
        }
        let unknown = || "unknown".to_string();
        Some(view! {
            <p class="notice limits" role="note" aria-label="Organisation limits">
                <strong>"Organisation limits: "</strong>
                {format!(
                    "at most {} data action calls at once, and {} calls a minute. ",
                    concurrency.unwrap_or_else(unknown),
                    volume.unwrap_or_else(unknown),
                )}
                "A call holds one of those concurrent places until it answers or times out, so a timeout far longer than the action needs lets a slow service use up the places and other actions fail."
            </p>
        })
    }
}
