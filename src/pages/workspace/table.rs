//! The actions table: search, filters, sorting, paging and the rows themselves.

use leptos::prelude::*;
use timeouts_core::classify::ReadOnlyReason;
use timeouts_core::table::{
    self, DraftFilter, DraftTimeout, Filter, Row, Sort, SortKey, TimeoutFilter,
};
use timeouts_core::timeout::{Timeout, TimeoutInput};

use super::changes::{BulkBar, FilesBar};
use super::details::DetailsButton;
use super::latency::{self, LatencyBar, LatencyCells, LatencyHeaders};
use super::{LoadStatus, WorkspaceContext};
use crate::announce::use_announcer;

/// Rows drawn at once. Paging keeps the page quick in organisations with thousands of actions;
/// search, filters and sorting still cover every row.
const PAGE_SIZE: usize = 100;

/// The table with its controls.
#[component]
pub fn ActionsTable() -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let filter = RwSignal::new(Filter::default());
    let sort = RwSignal::new(Sort::default());
    let page = RwSignal::new(0usize);

    let shown = Memo::new(move |_| {
        workspace.rows.with(|rows| {
            let mut shown = filter.with(|f| table::select(rows, f, sort.get()));
            latency::keep_flagged(workspace.tuning, rows, &mut shown);
            shown
        })
    });
    // A new search or order starts again at the first page.
    Effect::new(move |_| {
        filter.track();
        sort.track();
        workspace.tuning.flag_filter.track();
        page.set(0);
    });
    // Someone who searches or filters hears how many actions are left once typing pauses.
    // The first run is the table appearing, which the load announcement covers.
    let announcer = use_announcer();
    Effect::new(move |ran: Option<()>| {
        filter.track();
        workspace.tuning.flag_filter.track();
        if ran.is_some() {
            let total = workspace.rows.with_untracked(Vec::len);
            announcer.announce_settled(count_line(shown.with_untracked(Vec::len), total));
        }
    });

    let page_count = move || shown.with(|s| s.len().div_ceil(PAGE_SIZE).max(1));
    let visible = move || {
        let start = page.get() * PAGE_SIZE;
        workspace.rows.with(|rows| {
            shown.with(|s| {
                s.iter()
                    .skip(start)
                    .take(PAGE_SIZE)
                    .map(|&i| rows[i].clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    let has_rows = move || workspace.rows.with(|rows| !rows.is_empty());
    let shown_ids = Signal::derive(move || {
        workspace
            .rows
            .with(|rows| shown.with(|s| s.iter().map(|&i| rows[i].id.clone()).collect::<Vec<_>>()))
    });

    view! {
        <Show when=has_rows>
            <section
                aria-labelledby="actions-heading"
                aria-busy=move || (workspace.status.get() != LoadStatus::Loaded).to_string()
            >
                <h2 id="actions-heading">"Data actions"</h2>
                <Filters filter />
                <LatencyBar />
                <BulkBar shown_ids />
                <FilesBar shown_ids />
                <p class="muted" role="status">
                    {move || count_line(shown.with(Vec::len), workspace.rows.with(Vec::len))}
                </p>
                <div class="table-wrap">
                    <table class="actions">
                        <thead>
                            <tr>
                                <th scope="col">
                                    <span class="visually-hidden">"Selected"</span>
                                </th>
                                <SortHeader label="Action" key=SortKey::Name sort />
                                <SortHeader label="Integration" key=SortKey::Integration sort />
                                <SortHeader label="Category" key=SortKey::Category sort />
                                <SortHeader label="Timeout" key=SortKey::Timeout sort />
                                <LatencyHeaders />
                                <SortHeader label="Draft" key=SortKey::Draft sort />
                                <SortHeader label="Secure" key=SortKey::Secure sort />
                                <SortHeader label="Editable" key=SortKey::Editable sort />
                                <th scope="col">"Details"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || {
                                    let generation = workspace.generation.get();
                                    visible().into_iter().map(move |row| (generation, row))
                                }
                                key=|(generation, row)| (*generation, row.id.clone())
                                let:((_, row))
                            >
                                <ActionRow row />
                            </For>
                        </tbody>
                    </table>
                </div>
                <Pager page page_count />
            </section>
        </Show>
    }
}

/// "Showing 3 of 60 actions".
fn count_line(shown: usize, total: usize) -> String {
    format!("Showing {shown} of {total} actions")
}

/// Search box and filters.
#[component]
fn Filters(filter: RwSignal<Filter>) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let integrations = Memo::new(move |_| workspace.rows.with(|rows| table::integrations(rows)));
    let categories = Memo::new(move |_| workspace.rows.with(|rows| table::categories(rows)));

    let on_search = move |event| filter.update(|f| f.search = event_target_value(&event));
    let on_integration = move |event| {
        let value = event_target_value(&event);
        filter.update(|f| f.integration_id = (!value.is_empty()).then_some(value));
    };
    let on_category = move |event| {
        let value = event_target_value(&event);
        filter.update(|f| f.category = (!value.is_empty()).then_some(value));
    };
    let on_timeout = move |event| {
        let value = match event_target_value(&event).as_str() {
            "explicit" => TimeoutFilter::Explicit,
            "default" => TimeoutFilter::Default,
            _ => TimeoutFilter::All,
        };
        filter.update(|f| f.timeout = value);
    };
    let on_draft = move |event| {
        let value = match event_target_value(&event).as_str() {
            "with" => DraftFilter::WithDraft,
            "without" => DraftFilter::WithoutDraft,
            _ => DraftFilter::All,
        };
        filter.update(|f| f.draft = value);
    };

    view! {
        <div class="toolbar" role="search">
            <label class="field">
                "Search actions"
                <input
                    type="search"
                    placeholder="Part of a name"
                    prop:value=move || filter.with(|f| f.search.clone())
                    on:input=on_search
                />
            </label>
            <label class="field">
                "Integration"
                <select on:change=on_integration>
                    <option value="">"All integrations"</option>
                    {move || {
                        integrations
                            .get()
                            .into_iter()
                            .map(|(id, label)| view! { <option value=id>{label}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label class="field">
                "Category"
                <select on:change=on_category>
                    <option value="">"All categories"</option>
                    {move || {
                        categories
                            .get()
                            .into_iter()
                            .map(|c| view! { <option value=c.clone()>{c.clone()}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label class="field">
                "Timeout"
                <select on:change=on_timeout>
                    <option value="all">"Explicit and default"</option>
                    <option value="explicit">"Explicit only"</option>
                    <option value="default">"Default (60 s) only"</option>
                </select>
            </label>
            <label class="field">
                "Draft"
                <select on:change=on_draft>
                    <option value="all">"With or without draft"</option>
                    <option value="with">"Has a draft"</option>
                    <option value="without">"No draft"</option>
                </select>
            </label>
        </div>
    }
}

/// A column header that sorts by its column, announcing the order to screen readers.
#[component]
fn SortHeader(label: &'static str, key: SortKey, sort: RwSignal<Sort>) -> impl IntoView {
    let aria_sort = move || {
        let current = sort.get();
        match (current.key == key, current.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    };
    let arrow = move || match aria_sort() {
        "ascending" => " ▲",
        "descending" => " ▼",
        _ => "",
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <button on:click=move |_| sort.update(|s| *s = s.toggled(key))>
                {label}
                <span aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}

/// One action.
#[component]
fn ActionRow(row: Row) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let integration_type = row.integration_type.clone().unwrap_or_default();
    let id = row.id.clone();
    let is_pending = {
        let id = id.clone();
        move || workspace.pending.with(|p| p.contains_key(&id))
    };
    let is_selected = {
        let id = id.clone();
        move || workspace.selected.with(|s| s.contains(&id))
    };
    let on_select = {
        let id = id.clone();
        move |event| {
            let checked = event_target_checked(&event);
            workspace.selected.update(|selected| {
                if checked {
                    selected.insert(id.clone());
                } else {
                    selected.remove(&id);
                }
            });
        }
    };
    view! {
        <tr data-action-id=row.id.clone() class:pending=is_pending>
            <td>
                <input
                    type="checkbox"
                    aria-label=format!("Select {}", row.name)
                    prop:checked=is_selected
                    on:change=on_select
                />
            </td>
            <th scope="row">
                {row.name.clone()}
                {row.classification.function.then(|| view! { <span class="badge">"function"</span> })}
            </th>
            <td>
                {row.integration_label().to_string()}
                <br />
                <span class="muted">{integration_type}</span>
            </td>
            <td>{row.category.clone()}</td>
            <td>
                <TimeoutCell row=row.clone() />
            </td>
            <LatencyCells row=row.clone() />
            <td>{draft_badge(row.draft)}</td>
            <td>{row.secure.then(|| view! { <span class="badge">"secure"</span> })}</td>
            <td>{editable_text(row.read_only())}</td>
            <td>
                <DetailsButton row=row.clone() />
            </td>
        </tr>
    }
}

/// The timeout, its pending change, and the in-place editor (Enter queues, Escape cancels).
#[component]
fn TimeoutCell(row: Row) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();
    let editing = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let input_ref = NodeRef::<leptos::html::Input>::new();
    let editable = row.classification.is_editable() && row.timeout.is_some();
    let current = row.timeout;
    let id = row.id.clone();
    let name = row.name.clone();

    let pending = {
        let id = id.clone();
        move || workspace.pending.with(|p| p.get(&id).copied())
    };
    let problem = move || {
        typed.with(|text| {
            (!text.is_empty())
                .then(|| TimeoutInput::new(text).validate().err())
                .flatten()
                .map(|error| error.to_string())
        })
    };

    let start = move |_| {
        typed.set(String::new());
        editing.set(true);
    };
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
        }
    });

    let on_key = {
        let id = id.clone();
        move |event: leptos::ev::KeyboardEvent| match event.key().as_str() {
            "Enter" => {
                event.prevent_default();
                if let Ok(timeout) = TimeoutInput::new(&typed.get_untracked()).validate() {
                    workspace.pending.update(|p| {
                        if Some(timeout) == current {
                            p.remove(&id);
                        } else {
                            p.insert(id.clone(), timeout);
                        }
                    });
                    editing.set(false);
                } else if typed.with_untracked(String::is_empty) {
                    typed.set(" ".into());
                }
            }
            "Escape" => editing.set(false),
            _ => {}
        }
    };

    let edit_label = format!("Edit timeout of {name}");
    let input_label = format!("New timeout for {name} in seconds, or default");
    move || {
        if editing.get() {
            view! {
                <input
                    type="text"
                    class="timeout-editor"
                    size="8"
                    node_ref=input_ref
                    aria-label=input_label.clone()
                    aria-invalid=move || problem().is_some().to_string()
                    prop:value=move || typed.get()
                    on:input=move |event| typed.set(event_target_value(&event))
                    on:keydown=on_key.clone()
                />
                {move || problem().map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
            }
                .into_any()
        } else {
            let pending = pending.clone();
            view! {
                <TimeoutText timeout=current />
                {move || pending().map(|after| view! { <span class="pending-value">{format!(" → {after}")}</span> })}
                {editable
                    .then(|| {
                        view! {
                            <button class="edit" aria-label=edit_label.clone() on:click=start>
                                "Edit"
                            </button>
                        }
                    })}
            }
                .into_any()
        }
    }
}

/// "20 s", or "default (60 s)" set apart visually and in words.
#[component]
pub fn TimeoutText(timeout: Option<Timeout>) -> impl IntoView {
    match timeout {
        Some(Timeout::Explicit(seconds)) => {
            view! { <span class="timeout-explicit">{format!("{seconds} s")}</span> }.into_any()
        }
        Some(Timeout::Default) => {
            view! { <span class="timeout-default">"default (60 s)"</span> }.into_any()
        }
        None => view! { <span class="muted">"unknown"</span> }.into_any(),
    }
}

fn draft_badge(draft: Option<DraftTimeout>) -> impl IntoView {
    draft.map(|draft| {
        let text = match draft {
            DraftTimeout::Same => "draft".to_string(),
            DraftTimeout::Differs(timeout) => format!("draft: {timeout}, differs"),
            DraftTimeout::Unknown => "draft".to_string(),
        };
        let class = if matches!(draft, DraftTimeout::Differs(_)) {
            "badge warn"
        } else {
            "badge"
        };
        view! { <span class=class>{text}</span> }
    })
}

fn editable_text(reason: Option<ReadOnlyReason>) -> impl IntoView {
    match reason {
        None => view! { <span>"yes"</span> }.into_any(),
        Some(reason) => {
            let label = match reason {
                ReadOnlyReason::CustomAuth => "read-only: custom auth",
                ReadOnlyReason::Static => "read-only: built-in",
                ReadOnlyReason::NoPermission => "read-only: no permission",
            };
            view! { <span title=reason.explanation()>{label}</span> }.into_any()
        }
    }
}

/// Previous and next page, with where you are.
#[component]
fn Pager(
    page: RwSignal<usize>,
    page_count: impl Fn() -> usize + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let at_start = move || page.get() == 0;
    let at_end = move || page.get() + 1 >= page_count();
    view! {
        <nav class="pager" aria-label="Pages of actions">
            <button disabled=at_start on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>
                "Previous page"
            </button>
            <span>{move || format!("Page {} of {}", page.get() + 1, page_count())}</span>
            <button disabled=at_end on:click=move |_| page.update(|p| *p += 1)>
                "Next page"
            </button>
        </nav>
    }
}
