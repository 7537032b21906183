//! The details panel of one action: its latency chart, the flows that use it, its recent
//! changes, and a test run on request.
//!
//! The panel is a modal `<dialog>` opened by the row's "Details" button; Escape or "Close"
//! shuts it and gives the focus back to that button.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};
use timeouts_core::latency::{LatencyWindow, load_latency};
use timeouts_core::model::{AuditEntry, Dependency, TestExecutionResult};
use timeouts_core::retry::CancelFlag;
use timeouts_core::suggest::{LatencyStats, seconds_text};
use timeouts_core::table::Row;
use timeouts_core::timeout::Timeout;
use wasm_bindgen::JsCast;

use super::WorkspaceContext;
use super::api_for;
use super::latency::stats_of;
use crate::app::AppContext;
use crate::messages;

/// The row's button that opens the panel.
#[component]
pub fn DetailsButton(row: Row) -> impl IntoView {
    let tuning = expect_context::<WorkspaceContext>().tuning;
    let id = row.id.clone();
    view! {
        <button
            class="edit"
            data-details-for=row.id.clone()
            aria-label=format!("Details of {}", row.name)
            on:click=move |_| tuning.details.set(Some(id.clone()))
        >
            "Details"
        </button>
    }
}

/// The dialog, drawn while an action's details are open.
#[component]
pub fn DetailsDialog() -> impl IntoView {
    let tuning = expect_context::<WorkspaceContext>().tuning;
    move || tuning.details.get().map(|id| view! { <DetailsPanel id /> })
}

/// Closes the panel and puts the focus back on the button that opened it.
fn close(workspace: WorkspaceContext) {
    let Some(id) = workspace.tuning.details.get_untracked() else {
        return;
    };
    workspace.tuning.details.set(None);
    let button = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(&format!("[data-details-for='{id}']")).ok())
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(button) = button {
        let _ = button.focus();
    }
}

#[component]
fn DetailsPanel(id: String) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let row = workspace
        .rows
        .with_untracked(|rows| rows.iter().find(|r| r.id == id).cloned());
    let Some(row) = row else {
        return ().into_any();
    };
    // A modal `<dialog>` keeps the focus inside and makes the page behind it inert; Escape
    // closes it (the browser's `cancel`, then `close`).
    let dialog_ref = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog_ref.get()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
        }
    });

    view! {
        <dialog
            class="dialog"
            aria-labelledby="details-heading"
            node_ref=dialog_ref
            on:close=move |_| close(workspace)
        >
            <div class="dialog-head">
                <h2 id="details-heading">{format!("Details: {}", row.name)}</h2>
                <button on:click=move |_| close(workspace)>"Close"</button>
            </div>
            <LatencySection row=row.clone() />
            <WhereUsed id=row.id.clone() />
            <History id=row.id.clone() />
            <TestRun row=row.clone() />
        </dialog>
    }
    .into_any()
}

/// The action's latency as a chart; loaded for this action alone when the table has none.
#[component]
fn LatencySection(row: Row) -> impl IntoView {
    let app = expect_context::<AppContext>();
    let tuning = expect_context::<WorkspaceContext>().tuning;
    let own = RwSignal::new(None::<Result<LatencyStats, String>>);
    let timeout = row.timeout.unwrap_or(Timeout::Default);

    if stats_of(tuning, &row.id).is_none()
        && let Some(session) = app.session.get_untracked()
    {
        let id = row.id.clone();
        let window = tuning.window.get_untracked();
        // Closing the panel stops the read (and its waits for the rate limit).
        let cancel = CancelFlag::new();
        on_cleanup({
            let cancel = cancel.clone();
            move || cancel.cancel()
        });
        spawn_local(async move {
            let api = api_for(&session);
            let read = load_latency(&api, std::slice::from_ref(&id), window, &cancel)
                .await
                .map(|mut stats| stats.remove(&id).unwrap_or_default())
                .map_err(|e| {
                    e.api_error()
                        .map_or_else(|| "cancelled".to_string(), messages::describe)
                });
            own.set(Some(read));
        });
    }

    let id = row.id.clone();
    let body = move || {
        let stats = match stats_of(tuning, &id) {
            Some(stats) => stats,
            None => match own.get() {
                None => return view! { <p role="status">"Loading latency…"</p> }.into_any(),
                Some(Err(message)) => {
                    return view! { <p class="notice error">{format!("Latency could not be loaded. {message}")}</p> }
                        .into_any();
                }
                Some(Ok(stats)) => stats,
            },
        };
        view! { <LatencyChart stats timeout /> }.into_any()
    };
    view! {
        <section aria-labelledby="details-latency">
            <h3 id="details-latency">"Latency"</h3>
            {body}
        </section>
    }
}

/// What the chart says, for screen readers and as its tooltip.
pub fn chart_description(stats: &LatencyStats, timeout: Timeout) -> String {
    if stats.calls == 0 {
        return format!("No calls in the window; timeout {timeout}.");
    }
    let figure = |label: &str, ms: Option<f64>| {
        ms.map_or_else(
            || format!("{label} not reported"),
            |ms| format!("{label} {}", seconds_text(ms)),
        )
    };
    let limit_ms = f64::from(timeout.effective_seconds()) * 1000.0;
    let worst = stats.p99_ms.or(stats.max_ms).unwrap_or_default();
    let verdict = if worst > limit_ms {
        "the p99 is above the timeout, so calls are likely to time out"
    } else {
        "the p99 is within the timeout"
    };
    let fallback = match (stats.p99_ms, stats.max_ms) {
        (None, Some(max)) => format!(", maximum {}", seconds_text(max)),
        _ => String::new(),
    };
    format!(
        "{}, {}{fallback}, timeout {timeout}: {verdict}.",
        figure("p95", stats.p95_ms),
        figure("p99", stats.p99_ms),
    )
}

/// The p95 and p99 marks against the timeout line, on one horizontal scale of seconds. Each
/// label has its own row, so that close values never print over each other. Coordinates are
/// whole pixels: the drawing needs no finer, and integers keep float formatting out of the
/// build.
#[component]
fn LatencyChart(stats: LatencyStats, timeout: Timeout) -> impl IntoView {
    const WIDTH: i32 = 420;
    const LEFT: i32 = 10;
    const RIGHT: i32 = 380;
    const AXIS: i32 = 60;
    let description = chart_description(&stats, timeout);
    let limit_ms = f64::from(timeout.effective_seconds()) * 1000.0;
    let top_ms = [Some(limit_ms), stats.p99_ms, stats.max_ms, stats.p95_ms]
        .into_iter()
        .flatten()
        .fold(1.0, f64::max)
        * 1.05;
    let x = move |ms: f64| LEFT + (f64::from(RIGHT - LEFT) * (ms / top_ms)).round() as i32;
    // Labels are centred on their mark but kept inside the drawing.
    let label_x = |at: i32| at.clamp(LEFT + 36, WIDTH - 36);

    let mark = move |label: &'static str, ms: Option<f64>, class: &'static str, row: i32| {
        ms.map(|ms| {
            let at = x(ms);
            view! {
                <line class=class x1=at x2=at y1=row + 4 y2=AXIS></line>
                <text class="chart-label" x=label_x(at) y=row text-anchor="middle">
                    {format!("{label} {}", seconds_text(ms))}
                </text>
            }
        })
    };
    let p99_or_max = stats.p99_ms.or(stats.max_ms);
    let p99_label = if stats.p99_ms.is_some() { "p99" } else { "max" };
    let limit = x(limit_ms);

    view! {
        <figure class="latency-chart">
            <svg
                viewBox=format!("0 0 {WIDTH} 84")
                width=WIDTH
                height="84"
                role="img"
                aria-label=description.clone()
            >
                <title>{description.clone()}</title>
                <rect
                    class="chart-range"
                    x=LEFT
                    y=AXIS - 14
                    height="12"
                    width=p99_or_max.map_or(0, |ms| x(ms) - LEFT)
                ></rect>
                <line class="chart-axis" x1=LEFT x2=RIGHT y1=AXIS y2=AXIS></line>
                {mark("p95", stats.p95_ms, "chart-p95", 12)}
                {mark(p99_label, p99_or_max, "chart-p99", 27)}
                <line class="chart-timeout" x1=limit x2=limit y1="32" y2=AXIS + 6></line>
                <text class="chart-label" x=label_x(limit) y="80" text-anchor="middle">
                    {format!("timeout {timeout}")}
                </text>
            </svg>
            <figcaption>{description}</figcaption>
        </figure>
    }
}

/// A flow that uses the action, and whether its published version does.
#[derive(Clone, Debug, PartialEq)]
struct FlowUse {
    flow: Dependency,
    published: bool,
}

/// The flows that use the action, from dependency tracking.
#[component]
fn WhereUsed(id: String) -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let allowed = workspace.user.with_untracked(|u| {
        u.as_ref()
            .is_some_and(|u| u.permissions.can_view_dependencies())
    });
    let flows = RwSignal::new(None::<Result<Vec<FlowUse>, String>>);

    if allowed && let Some(session) = app.session.get_untracked() {
        spawn_local(async move {
            let api = api_for(&session);
            let read = async {
                let all = api.dependencies(&id).await?;
                let published = api.published_dependencies(&id).await?;
                Ok(all
                    .into_iter()
                    .map(|flow| FlowUse {
                        published: published.iter().any(|p| p.id == flow.id),
                        flow,
                    })
                    .collect())
            };
            flows.set(Some(read.await.map_err(|e| messages::describe(&e))));
        });
    }

    let body = move || {
        if !allowed {
            return view! {
                <p class="notice" role="note">
                    "Where this action is used is hidden: it needs the "
                    <code>"architect:dependencyTracking:view"</code>
                    " permission."
                </p>
            }
            .into_any();
        }
        match flows.get() {
            None => view! { <p role="status">"Reading where it is used…"</p> }.into_any(),
            Some(Err(message)) => view! { <p class="notice error">{message}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p>"No flow uses this action."</p> }.into_any()
            }
            Some(Ok(list)) => view! {
                <ul class="flows">
                    {list.into_iter().map(|used| view! { <li>{flow_text(&used)}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
        }
    };
    view! {
        <section aria-labelledby="details-used">
            <h3 id="details-used">"Where it is used"</h3>
            {body}
        </section>
    }
}

fn flow_text(used: &FlowUse) -> String {
    let name = used
        .flow
        .name
        .clone()
        .unwrap_or_else(|| used.flow.id.clone());
    let kind = used
        .flow
        .kind
        .as_deref()
        .map(flow_type_text)
        .unwrap_or("flow");
    let state = if used.published {
        "published"
    } else {
        "not published"
    };
    format!("{name} ({kind}, {state})")
}

fn flow_type_text(kind: &str) -> &str {
    match kind {
        "INBOUNDCALLFLOW" => "inbound call flow",
        "INQUEUECALLFLOW" => "in-queue call flow",
        "OUTBOUNDCALLFLOW" => "outbound call flow",
        "BOTFLOW" => "bot flow",
        "DIGITALBOTFLOW" => "digital bot flow",
        "WORKFLOW" => "workflow",
        "COMMONMODULEFLOW" => "common module",
        "INBOUNDCHATFLOW" => "inbound chat flow",
        "INBOUNDEMAILFLOW" => "inbound email flow",
        "INBOUNDSHORTMESSAGEFLOW" => "inbound message flow",
        other => other,
    }
}

/// The action's recent changes, from the realtime audit query.
#[component]
fn History(id: String) -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let allowed = workspace
        .user
        .with_untracked(|u| u.as_ref().is_some_and(|u| u.permissions.can_view_audits()));
    let entries = RwSignal::new(None::<Result<Vec<AuditEntry>, String>>);

    if allowed && let Some(session) = app.session.get_untracked() {
        spawn_local(async move {
            let interval = LatencyWindow::Week.interval_to_now();
            let read = api_for(&session).action_history(&id, &interval).await;
            entries.set(Some(read.map_err(|e| messages::describe(&e))));
        });
    }

    let body = move || {
        if !allowed {
            return view! {
                <p class="notice" role="note">
                    "The history of changes is hidden: it needs the "
                    <code>"audits:audit:view"</code>
                    " permission."
                </p>
            }
            .into_any();
        }
        match entries.get() {
            None => view! { <p role="status">"Reading the history…"</p> }.into_any(),
            Some(Err(message)) => view! { <p class="notice error">{message}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p>"No changes in the last 7 days."</p> }.into_any()
            }
            Some(Ok(list)) => view! {
                <table class="history">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"What"</th>
                            <th scope="col">"Timeout"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.into_iter().map(|entry| view! { <HistoryRow entry /> }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        }
    };
    view! {
        <section aria-labelledby="details-history">
            <h3 id="details-history">"History (last 7 days)"</h3>
            {body}
        </section>
    }
}

#[component]
fn HistoryRow(entry: AuditEntry) -> impl IntoView {
    let when = entry
        .event_date
        .as_deref()
        .map(|date| format!("{} UTC", date.get(..19).unwrap_or(date).replace('T', " ")))
        .unwrap_or_default();
    let who = entry
        .user
        .as_ref()
        .map(|u| u.name.clone().unwrap_or_else(|| u.id.clone()))
        .unwrap_or_else(|| "an OAuth client".to_string());
    let what = format!(
        "{} {}",
        entry.action.as_deref().unwrap_or("Change"),
        match entry.entity_type.as_deref() {
            Some("ActionDraft") => "draft",
            _ => "action",
        }
    );
    let timeout = entry
        .timeout_change()
        .map(|(old, new)| format!("{old} → {new}"))
        .unwrap_or_else(|| "unchanged".to_string());
    view! {
        <tr>
            <td>{when}</td>
            <td>{who}</td>
            <td>{what}</td>
            <td>{timeout}</td>
        </tr>
    }
}

/// One input of the test form, from the contract's input schema.
#[derive(Clone, Debug, PartialEq)]
struct InputField {
    name: String,
    kind: String,
    required: bool,
}

/// The fields of an input schema, in its order.
fn input_fields(schema: &Value) -> Vec<InputField> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .map(|(name, property)| InputField {
                    name: name.clone(),
                    kind: property
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("string")
                        .to_string(),
                    required: required.contains(&name.as_str()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The typed values as the JSON input map: numbers and booleans where the schema says so,
/// empty fields left out.
fn input_map(fields: &[InputField], values: &[RwSignal<String>]) -> Value {
    let mut map = Map::new();
    for (field, value) in fields.iter().zip(values) {
        let text = value.get_untracked();
        if text.is_empty() {
            continue;
        }
        let typed = match field.kind.as_str() {
            "integer" | "number" => serde_json::from_str::<serde_json::Number>(&text)
                .map(Value::Number)
                .unwrap_or(Value::String(text)),
            "boolean" => match text.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(text),
            },
            _ => Value::String(text),
        };
        map.insert(field.name.clone(), typed);
    }
    Value::Object(map)
}

/// How a test run ended, with the time the page measured.
#[derive(Clone, Debug, PartialEq)]
enum TestOutcome {
    Running,
    Finished {
        result: TestExecutionResult,
        ms: f64,
    },
    Refused(String),
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The test form, with a confirmation first for request types other than GET.
#[component]
fn TestRun(row: Row) -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let allowed = workspace
        .user
        .with_untracked(|u| u.as_ref().is_some_and(|u| u.permissions.can_test_actions()));
    let request_type = workspace.org.with_untracked(|org| {
        org.action(&row.id)
            .and_then(|a| a.config.as_ref())
            .and_then(|c| c.request_type())
            .map(str::to_uppercase)
    });
    let safe = request_type.as_deref() == Some("GET");
    let schema = RwSignal::new(None::<Result<Vec<(InputField, RwSignal<String>)>, String>>);
    let confirming = RwSignal::new(false);
    let outcome = RwSignal::new(None::<TestOutcome>);

    let load_app = app.clone();
    let id = row.id.clone();
    if allowed && let Some(session) = load_app.session.get_untracked() {
        spawn_local(async move {
            let read = api_for(&session).input_schema(&id).await;
            schema.set(Some(
                read.map(|s| {
                    input_fields(&s)
                        .into_iter()
                        .map(|f| (f, RwSignal::new(String::new())))
                        .collect()
                })
                .map_err(|e| messages::describe(&e)),
            ));
        });
    }

    let run_id = row.id.clone();
    let run = move || {
        confirming.set(false);
        let Some(session) = app.session.get_untracked() else {
            return;
        };
        let Some(Ok(fields)) = schema.get_untracked() else {
            return;
        };
        let (fields, values): (Vec<InputField>, Vec<RwSignal<String>>) = fields.into_iter().unzip();
        let input = input_map(&fields, &values);
        let id = run_id.clone();
        outcome.set(Some(TestOutcome::Running));
        spawn_local(async move {
            let started = now_ms();
            let result = api_for(&session).test_action(&id, &input).await;
            let ms = now_ms() - started;
            outcome.set(Some(match result {
                Ok(result) => TestOutcome::Finished { result, ms },
                Err(error) => TestOutcome::Refused(messages::describe(&error)),
            }));
        });
    };
    let run_now = run.clone();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if safe {
            run_now();
        } else {
            confirming.set(true);
        }
    };
    let confirm = move |_| run();
    let method = request_type.clone().unwrap_or_else(|| "unknown".into());

    let body = move || {
        if !allowed {
            return view! {
                <p class="notice" role="note">
                    "Testing is not available: it needs the "
                    <code>"integrations:action:execute"</code>
                    " permission."
                </p>
            }
            .into_any();
        }
        let fields = match schema.get() {
            None => return view! { <p role="status">"Reading the input contract…"</p> }.into_any(),
            Some(Err(message)) => {
                return view! { <p class="notice error">{message}</p> }.into_any();
            }
            Some(Ok(fields)) => fields,
        };
        let on_submit = on_submit.clone();
        let confirm = confirm.clone();
        let method = method.clone();
        view! {
            <form class="test-form" on:submit=on_submit>
                {fields
                    .into_iter()
                    .map(|(field, value)| {
                        let label = if field.required {
                            format!("{} (required)", field.name)
                        } else {
                            field.name.clone()
                        };
                        view! {
                            <label class="field">
                                {label}
                                <input
                                    type="text"
                                    required=field.required
                                    prop:value=move || value.get()
                                    on:input=move |event| value.set(event_target_value(&event))
                                />
                            </label>
                        }
                    })
                    .collect_view()}
                <button type="submit" disabled=move || outcome.get() == Some(TestOutcome::Running)>
                    "Run test"
                </button>
            </form>
            <Show when=move || confirming.get()>
                <div class="notice warn" role="alertdialog" aria-labelledby="test-confirm">
                    <p id="test-confirm">
                        {format!(
                            "A test really calls the outside service. This action sends a {method} request, which may change data there. Run the test?",
                        )}
                    </p>
                    <button class="primary" on:click=confirm.clone()>"Yes, run the test"</button>
                    " "
                    <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || outcome.get().map(outcome_view)}
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="details-test">
            <h3 id="details-test">"Test run"</h3>
            {body}
        </section>
    }
}

fn outcome_view(outcome: TestOutcome) -> AnyView {
    match outcome {
        TestOutcome::Running => view! { <p role="status">"Testing…"</p> }.into_any(),
        TestOutcome::Refused(message) => {
            view! { <p class="notice error" role="alert">{format!("The test could not run. {message}")}</p> }
                .into_any()
        }
        TestOutcome::Finished { result, ms } => {
            let took = format!("{} ms", super::latency::grouped(ms.round().max(0.0) as u64));
            if result.success {
                let answer = result
                    .final_result
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                view! {
                    <div class="notice ok" role="status">
                        <p>{format!("Test succeeded in {took} (measured by this page).")}</p>
                        <pre class="test-result">{answer}</pre>
                    </div>
                }
                .into_any()
            } else {
                let error = result.error.unwrap_or_default();
                let message = error.message.unwrap_or_else(|| "no message".to_string());
                let code = error.code.map(|c| format!(" ({c})")).unwrap_or_default();
                view! {
                    <p class="notice error" role="alert">
                        {format!("Test failed after {took} (measured by this page): {message}{code}")}
                    </p>
                }
                .into_any()
            }
        }
    }
}
