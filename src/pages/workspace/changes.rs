//! Pending changes: keeping them across reloads and sign-ins of the same user, the list of
//! them, bulk operations over a selection, and files in and out.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use timeouts_core::files::{self, Snapshot, SnapshotMeta};
use timeouts_core::plan::{BulkOp, Edit, Planner, SkipReason};
use timeouts_core::timeout::{Timeout, TimeoutInput};

use super::{Screen, WorkspaceContext};
use crate::announce::use_announcer;
use crate::app::AppContext;
use crate::browser;
use crate::messages::count;
use crate::storage::{self, Store};

/// The sessionStorage key of a user's pending changes: per environment, organisation and user,
/// so that another user on the same browser never inherits them.
pub fn pending_key(environment: &str, organization_id: &str, user_id: &str) -> String {
    format!("dat.pending.{environment}.{organization_id}.{user_id}")
}

/// Reads the pending changes stored for `key` (ids and values only).
pub fn restore_pending(key: &str) -> BTreeMap<String, Timeout> {
    storage::get_json::<Vec<Edit>>(Store::Session, key)
        .unwrap_or_default()
        .into_iter()
        .map(|edit| (edit.action_id, edit.timeout))
        .collect()
}

/// Stores the pending changes under `key`.
pub fn store_pending(key: &str, pending: &BTreeMap<String, Timeout>) {
    let edits: Vec<Edit> = pending
        .iter()
        .map(|(id, timeout)| Edit {
            action_id: id.clone(),
            timeout: *timeout,
        })
        .collect();
    if edits.is_empty() {
        storage::remove(Store::Session, key);
    } else {
        storage::set_json(Store::Session, key, &edits);
    }
}

/// The list of pending changes with review and discard, shown above the table.
#[component]
pub fn PendingPanel() -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let pending_count = move || workspace.pending.with(BTreeMap::len);
    // Each item is keyed by all it shows: changes restored after a reload are listed before
    // the actions have loaded, and must be drawn again once their names and timeouts arrive.
    let names = move || {
        workspace.org.with(|org| {
            workspace.pending.with(|pending| {
                pending
                    .iter()
                    .map(|(id, after)| {
                        let action = org.action(id);
                        let name = action.map_or_else(|| id.clone(), |a| a.name.clone());
                        let before = action.and_then(|a| a.timeout());
                        (id.clone(), name, before, *after)
                    })
                    .collect::<Vec<_>>()
            })
        })
    };

    let discard_all = move |_| workspace.pending.set(BTreeMap::new());
    let review = move |_| workspace.screen.set(Screen::Review);

    view! {
        <Show when=move || pending_count() != 0>
            <section class="pending" aria-labelledby="pending-heading">
                <h2 id="pending-heading">
                    {move || format!("Pending changes ({})", pending_count())}
                </h2>
                <ul class="pending-list">
                    <For each=names key=Clone::clone let:item>
                        <PendingItem id=item.0 name=item.1 before=item.2 after=item.3 />
                    </For>
                </ul>
                <button class="primary" on:click=review>
                    {move || format!("Review {}", count(pending_count(), "change", "changes"))}
                </button>
                " "
                <button on:click=discard_all>"Discard all pending changes"</button>
            </section>
        </Show>
    }
}

#[component]
fn PendingItem(id: String, name: String, before: Option<Timeout>, after: Timeout) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let before = before.map_or_else(|| "unknown".to_string(), |b| b.to_string());
    let label = format!("Drop the change to {name}");
    let drop_change = move |_| {
        workspace.pending.update(|pending| {
            pending.remove(&id);
        })
    };
    view! {
        <li>
            {format!("{name}: {before} → {after} ")}
            <button aria-label=label on:click=drop_change>"Drop"</button>
        </li>
    }
}

/// The operations offered for a selection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BulkKind {
    SetTo,
    CapAt,
    RaiseTo,
    Reset,
}

/// Selection tools and bulk operations.
#[component]
pub fn BulkBar(
    /// The ids of the actions that match the current search and filters.
    shown_ids: Signal<Vec<String>>,
) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let kind = RwSignal::new(BulkKind::SetTo);
    let value = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<(bool, String)>);
    let selected_count = move || workspace.selected.with(BTreeSet::len);

    let select_shown = move |_| {
        workspace
            .selected
            .set(shown_ids.get_untracked().into_iter().collect());
    };
    let clear_selection = move |_| workspace.selected.set(BTreeSet::new());

    let on_kind = move |event| {
        kind.set(match event_target_value(&event).as_str() {
            "cap" => BulkKind::CapAt,
            "raise" => BulkKind::RaiseTo,
            "reset" => BulkKind::Reset,
            _ => BulkKind::SetTo,
        })
    };
    let announcer = use_announcer();
    let add = move |_| {
        let operation = match bulk_op(kind.get_untracked(), &value.get_untracked()) {
            Ok(operation) => operation,
            Err(message) => {
                announcer.alert(message.clone());
                return outcome.set(Some((false, message)));
            }
        };
        let (added, message) = queue_bulk(workspace, operation);
        announcer.announce(message.clone());
        outcome.set(Some((added, message)));
    };

    view! {
        <div class="toolbar bulk" role="group" aria-label="Selection and bulk changes">
            <button on:click=select_shown>
                {move || format!("Select all {} shown", shown_ids.with(Vec::len))}
            </button>
            <button on:click=clear_selection disabled=move || selected_count() == 0>
                "Clear selection"
            </button>
            <span class="muted">{move || format!("{} selected", selected_count())}</span>
            <label class="field">
                "Bulk change"
                <select on:change=on_kind>
                    <option value="set">"Set to"</option>
                    <option value="cap">"Cap at"</option>
                    <option value="raise">"Raise to at least"</option>
                    <option value="reset">"Reset to default"</option>
                </select>
            </label>
            <label class="field">
                "Seconds"
                <input
                    type="text"
                    inputmode="numeric"
                    size="6"
                    disabled=move || kind.get() == BulkKind::Reset
                    prop:value=move || value.get()
                    on:input=move |event| value.set(event_target_value(&event))
                />
            </label>
            <button on:click=add disabled=move || selected_count() == 0>
                "Add to pending changes"
            </button>
        </div>
        {move || {
            outcome
                .get()
                .map(|(ok, message)| {
                    let class = if ok { "notice ok" } else { "notice error" };
                    view! { <p class=class role="status">{message}</p> }
                })
        }}
    }
}

fn bulk_op(kind: BulkKind, value: &str) -> Result<BulkOp, String> {
    if kind == BulkKind::Reset {
        return Ok(BulkOp::ResetToDefault);
    }
    let seconds = match TimeoutInput::new(value).validate() {
        Ok(Timeout::Explicit(seconds)) => seconds,
        Ok(Timeout::Default) => return Ok(BulkOp::ResetToDefault),
        Err(error) => return Err(error.to_string()),
    };
    Ok(match kind {
        BulkKind::CapAt => BulkOp::CapAt(seconds),
        BulkKind::RaiseTo => BulkOp::RaiseTo(seconds),
        _ => BulkOp::SetTo(Timeout::Explicit(seconds)),
    })
}

/// Plans `operation` over the selection and adds its changes to the pending ones; says how
/// many were added and which read-only actions were skipped.
fn queue_bulk(workspace: WorkspaceContext, operation: BulkOp) -> (bool, String) {
    let can_edit = workspace.can_edit();
    let selected: Vec<String> = workspace.selected.get_untracked().into_iter().collect();
    let plan = workspace.org.with_untracked(|org| {
        Planner::new(org, can_edit).plan_bulk(selected.iter().map(String::as_str), operation)
    });

    workspace.pending.update(|pending| {
        for change in &plan.changes {
            pending.insert(change.action_id.clone(), change.after);
        }
    });

    let read_only: Vec<&str> = plan
        .skipped
        .iter()
        .filter(|skip| matches!(skip.reason, SkipReason::ReadOnly(_)))
        .map(|skip| skip.action_name.as_deref().unwrap_or(&skip.action_id))
        .collect();
    let unchanged = plan
        .skipped
        .iter()
        .filter(|skip| skip.reason == SkipReason::Unchanged)
        .count();

    let mut message = format!(
        "Added {} to the pending changes.",
        count(plan.changes.len(), "change", "changes")
    );
    if unchanged > 0 {
        message.push_str(&format!(
            " {} already had that timeout.",
            count(unchanged, "action", "actions")
        ));
    }
    if !read_only.is_empty() {
        message.push_str(&format!(
            " Skipped {} that cannot be changed: {}.",
            count(read_only.len(), "read-only action", "read-only actions"),
            read_only.join(", ")
        ));
    }
    (true, message)
}

/// Export and import of timeouts.
#[component]
pub fn FilesBar(
    /// The ids of the actions that match the current search and filters.
    shown_ids: Signal<Vec<String>>,
) -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let announcer = app.announcer;
    let import_outcome = RwSignal::new(None::<Result<String, Vec<String>>>);

    let export = move |csv: bool| {
        let snapshot = snapshot_of(&app, workspace, &shown_ids.get_untracked());
        let stamp = snapshot.meta.exported_at.replace(':', "-");
        let result = if csv {
            browser::download(
                &format!("timeouts-{stamp}.csv"),
                "text/csv",
                &snapshot.to_csv(),
            )
        } else {
            browser::download(
                &format!("timeouts-{stamp}.json"),
                "application/json",
                &snapshot.to_json(),
            )
        };
        if let Err(error) = result {
            import_outcome.set(Some(Err(vec![error])));
        }
    };

    let on_file = move |event: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&event);
        spawn_local(async move {
            let outcome = match browser::read_chosen_file(&input).await {
                Ok((name, text)) => import_text(workspace, &name, &text),
                Err(error) => Err(vec![error]),
            };
            // A refused file is shown in an alert, which the browser reads out itself.
            if let Ok(message) = &outcome {
                announcer.announce(message.clone());
            }
            input.set_value("");
            import_outcome.set(Some(outcome));
        });
    };

    view! {
        <div class="toolbar files" role="group" aria-label="Files">
            <button on:click={
                let export = export.clone();
                move |_| export(true)
            }>"Export shown as CSV"</button>
            <button on:click=move |_| export(false)>"Export shown as JSON"</button>
            <label class="field">
                "Import a CSV or JSON file"
                <input type="file" accept=".csv,.json,text/csv,application/json" on:change=on_file />
            </label>
        </div>
        {move || match import_outcome.get() {
            None => ().into_any(),
            Some(Ok(message)) => view! { <p class="notice ok" role="status">{message}</p> }.into_any(),
            Some(Err(problems)) => {
                view! {
                    <div class="notice error" role="alert">
                        <p>"The file was not imported. Nothing was changed."</p>
                        <ul>
                            {problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                        </ul>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

/// A snapshot of the given actions' current timeouts (ids, names and timeouts only).
pub fn snapshot_of(app: &AppContext, workspace: WorkspaceContext, ids: &[String]) -> Snapshot {
    let meta = SnapshotMeta {
        org: workspace
            .user
            .with_untracked(|u| u.as_ref().map(|u| u.organization.clone())),
        region: app
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.environment.name()))
            .unwrap_or_default(),
        exported_at: files::now_rfc3339(),
    };
    workspace.org.with_untracked(|org| {
        let actions = ids.iter().filter_map(|id| org.action(id));
        Snapshot::take(meta, org, actions)
    })
}

fn import_text(workspace: WorkspaceContext, name: &str, text: &str) -> Result<String, Vec<String>> {
    let edits = workspace
        .org
        .with_untracked(|org| files::import(text, org))
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let can_edit = workspace.can_edit();
    let plan = workspace
        .org
        .with_untracked(|org| Planner::new(org, can_edit).plan(&edits));
    workspace.pending.update(|pending| {
        for change in &plan.changes {
            pending.insert(change.action_id.clone(), change.after);
        }
    });
    Ok(format!(
        "Imported {name}: {} added to the pending changes, {} unchanged or read-only. Review them before applying.",
        count(plan.changes.len(), "change", "changes"),
        plan.skipped.len()
    ))
}
