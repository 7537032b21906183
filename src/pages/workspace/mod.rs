//! The signed-in workspace: who is signed in, loading the organisation's actions, and the
//! actions table.

mod changes;
mod details;
mod header;
mod latency;
mod review;
mod table;

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use timeouts_core::api::{Api, ApiError};
use timeouts_core::auth::AccessToken;
use timeouts_core::load::{LoadEvent, LoadOptions, LoadedOrg, load_org};
use timeouts_core::permission::Permissions;
use timeouts_core::resilient;
use timeouts_core::retry::{CancelFlag, RetryPolicy};
use timeouts_core::table::{Row, rows as table_rows};
use timeouts_core::timeout::Timeout;

use crate::app::AppContext;
use crate::messages;
use crate::session::Session;
use crate::transport::FetchTransport;

use changes::{PendingPanel, pending_key, restore_pending, store_pending};
use header::Header;
use review::{Applying, Progress, Report, Review};
use table::ActionsTable;
use timeouts_core::engine::{ApplyReport, CancelFlag as ApplyCancel};

use crate::storage::{self, Store};

/// What the workspace shows below the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Table,
    Review,
    Applying,
    Report,
}

/// Who is signed in, as the header shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedInUser {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub organization_id: String,
    pub permissions: Permissions,
}

/// Where loading the organisation stands.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadStatus {
    /// Reading who is signed in.
    Starting,
    /// Reading pages: `done` of `total` requests so far; `waiting` seconds for the rate limit.
    Loading {
        done: u32,
        total: u32,
        waiting: Option<u64>,
    },
    Loaded,
    /// The user may not view actions: say which permission to ask for.
    NoViewPermission,
    /// Loading failed; the message says what happened, and the page offers to retry.
    Failed(String),
}

/// State shared by the workspace's components.
#[derive(Clone, Copy)]
pub struct WorkspaceContext {
    pub user: RwSignal<Option<SignedInUser>>,
    pub org: RwSignal<LoadedOrg>,
    pub rows: RwSignal<Vec<Row>>,
    /// Counts rebuilds of `rows`, so that the table redraws rows whose id stayed the same.
    pub generation: RwSignal<u64>,
    pub status: RwSignal<LoadStatus>,
    /// Pending timeout edits by action id.
    pub pending: RwSignal<BTreeMap<String, Timeout>>,
    /// Where pending edits are kept for this user; set once the user is known.
    pub pending_key: RwSignal<Option<String>>,
    /// Selected action ids, for bulk changes.
    pub selected: RwSignal<BTreeSet<String>>,
    pub screen: RwSignal<Screen>,
    /// Whether drafts with the old timeout are updated too.
    pub update_drafts: RwSignal<bool>,
    pub progress: RwSignal<Progress>,
    pub report: RwSignal<Option<ApplyReport>>,
    /// Cancels the running apply.
    pub cancel: RwSignal<Option<ApplyCancel>>,
    /// An apply stopped when the session ended and can be resumed.
    pub resumable: RwSignal<bool>,
    /// Latency figures, their filter and the open details panel.
    pub tuning: latency::Tuning,
}

impl WorkspaceContext {
    fn new() -> Self {
        WorkspaceContext {
            user: RwSignal::new(None),
            org: RwSignal::new(LoadedOrg::default()),
            rows: RwSignal::new(Vec::new()),
            generation: RwSignal::new(0),
            status: RwSignal::new(LoadStatus::Starting),
            pending: RwSignal::new(BTreeMap::new()),
            pending_key: RwSignal::new(None),
            selected: RwSignal::new(BTreeSet::new()),
            screen: RwSignal::new(Screen::Table),
            update_drafts: RwSignal::new(true),
            progress: RwSignal::new(Progress::default()),
            report: RwSignal::new(None),
            cancel: RwSignal::new(None),
            resumable: RwSignal::new(false),
            tuning: latency::Tuning::new(),
        }
    }

    /// Replaces the rows, so that every row is drawn again.
    pub fn set_rows(&self, rows: Vec<Row>) {
        self.generation.update(|g| *g += 1);
        self.rows.set(rows);
    }

    /// Whether the signed-in user may change timeouts.
    pub fn can_edit(&self) -> bool {
        self.user
            .with_untracked(|u| u.as_ref().is_some_and(|u| u.permissions.can_edit_actions()))
    }
}

/// An API client for the current session, or `None` once signed out.
pub fn api_for(session: &Session) -> Api<FetchTransport> {
    let token = AccessToken {
        token: session.token.clone(),
        expires_in: None,
    };
    Api::new(FetchTransport, &session.environment, &token)
}

/// The signed-in page.
#[component]
pub fn Workspace() -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = WorkspaceContext::new();
    provide_context(workspace);

    keep_pending_stored(workspace);
    spawn_local(load(app.clone(), workspace));
    let retry_app = app.clone();
    let retry = Callback::new(move |()| spawn_local(load(retry_app.clone(), workspace)));

    view! {
        <Header />
        <latency::Limits />
        <main>
            <LoadState retry />
            <ResumeBanner />
            {move || match workspace.screen.get() {
                Screen::Table => view! {
                    <PendingPanel />
                    <ActionsTable />
                    <details::DetailsDialog />
                }
                    .into_any(),
                Screen::Review => view! { <Review /> }.into_any(),
                Screen::Applying => view! { <Applying /> }.into_any(),
                Screen::Report => view! { <Report /> }.into_any(),
            }}
        </main>
    }
}

/// Writes the pending changes to sessionStorage whenever they change, once the user is known.
fn keep_pending_stored(workspace: WorkspaceContext) {
    Effect::new(move |_| {
        let key = workspace.pending_key.get();
        workspace.pending.with(|pending| {
            if let Some(key) = key {
                store_pending(&key, pending);
            }
        });
    });
}

fn resume_key(pending_key: &str) -> String {
    format!("{pending_key}.resume")
}

/// What the resume marker holds when the stopped apply left drafts alone.
const RESUME_WITHOUT_DRAFTS: &str = "without-drafts";

/// Remembers (or forgets) that an apply stopped when the session ended, with its choice on
/// drafts: the new sign-in starts a new workspace, and the resumed apply must keep that choice.
pub fn remember_resume(workspace: WorkspaceContext, resumable: bool) {
    workspace.resumable.set(resumable);
    if let Some(key) = workspace.pending_key.get_untracked() {
        if resumable {
            let marker = if workspace.update_drafts.get_untracked() {
                "with-drafts"
            } else {
                RESUME_WITHOUT_DRAFTS
            };
            storage::set(Store::Session, &resume_key(&key), marker);
        } else {
            storage::remove(Store::Session, &resume_key(&key));
        }
    }
}

/// Offers to carry on with an apply that the end of a session interrupted.
#[component]
fn ResumeBanner() -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let visible = move || {
        workspace.resumable.get()
            && workspace.status.get() == LoadStatus::Loaded
            && workspace.screen.get() == Screen::Table
            && workspace.pending.with(|p| !p.is_empty())
    };
    let resume = move |_| {
        remember_resume(workspace, false);
        let plan = review::pending_plan(workspace);
        review::start_apply(app.clone(), workspace, plan);
    };
    view! {
        <Show when=visible>
            <div class="notice warn" role="alert">
                <p>
                    {move || format!(
                        "Your last apply stopped when the session ended. {} still pending.",
                        messages::count(workspace.pending.with(BTreeMap::len), "change is", "changes are"),
                    )}
                </p>
                <button class="primary" on:click=resume.clone()>"Resume the apply"</button>
            </div>
        </Show>
    }
}

/// Shows loading progress, or why loading stopped and a way to retry.
#[component]
fn LoadState(retry: Callback<()>) -> impl IntoView {
    let workspace = expect_context::<WorkspaceContext>();

    view! {
        {move || match workspace.status.get() {
            LoadStatus::Starting => {
                view! { <p class="loading" role="status">"Reading your account…"</p> }.into_any()
            }
            LoadStatus::Loading { done, total, waiting } => {
                let waiting = waiting
                    .map(|s| format!(" Waiting for the rate limit, resuming in {s} s."))
                    .unwrap_or_default();
                view! {
                    <div role="status" class="load-progress">
                        <label>
                            {format!("Loading actions: {done} of {total} pages.{waiting}")}
                            <progress max=total value=done></progress>
                        </label>
                    </div>
                }
                    .into_any()
            }
            LoadStatus::Loaded => ().into_any(),
            LoadStatus::NoViewPermission => {
                view! {
                    <p class="notice error" role="alert">
                        "You cannot view Data Actions. Ask your Genesys Cloud administrator for the "
                        <code>"integrations:action:view"</code>
                        " permission, then sign in again."
                    </p>
                }
                    .into_any()
            }
            LoadStatus::Failed(message) => {
                view! {
                    <p class="notice error" role="alert">{message}</p>
                    <button on:click=move |_| retry.run(())>"Try again"</button>
                }
                    .into_any()
            }
        }}
    }
}

/// Reads who is signed in, then every integration, action and draft, showing rows as they
/// arrive.
async fn load(app: AppContext, workspace: WorkspaceContext) {
    let Some(session) = app.session.get_untracked() else {
        return;
    };
    let api = api_for(&session);
    workspace.status.set(LoadStatus::Starting);

    let on_pause = |pause: std::time::Duration| {
        workspace.status.set(LoadStatus::Loading {
            done: 0,
            total: 3,
            waiting: Some(pause.as_secs().max(1)),
        })
    };
    let me = resilient::call(&api, &RetryPolicy::default(), &on_pause, || api.me()).await;
    let user = match me {
        Ok(me) => signed_in_user(me),
        Err(error) => return fail(&app, workspace, &error),
    };
    let can_view = user.permissions.can_view_actions();
    let can_edit = user.permissions.can_edit_actions();
    let key = pending_key(&session.environment.name(), &user.organization_id, &user.id);
    workspace.pending.set(restore_pending(&key));
    let resume = storage::get(Store::Session, &resume_key(&key));
    workspace.resumable.set(resume.is_some());
    if resume.as_deref() == Some(RESUME_WITHOUT_DRAFTS) {
        workspace.update_drafts.set(false);
    }
    workspace.pending_key.set(Some(key));
    workspace.user.set(Some(user));
    if !can_view {
        workspace.status.set(LoadStatus::NoViewPermission);
        return;
    }

    workspace.status.set(LoadStatus::Loading {
        done: 0,
        total: 3,
        waiting: None,
    });
    let mut arrived = LoadedOrg::default();
    let on_event = |event: LoadEvent<'_>| match event {
        LoadEvent::Progress { done, total } => workspace.status.set(LoadStatus::Loading {
            done,
            total,
            waiting: None,
        }),
        LoadEvent::Actions(page) => {
            // Show the first rows while the rest loads; names of integrations come later.
            arrived.update_actions(page.iter().cloned());
            workspace.set_rows(table_rows(&arrived, can_edit));
        }
        LoadEvent::RateLimited { pause } => workspace.status.update(|status| {
            if let LoadStatus::Loading { waiting, .. } = status {
                *waiting = Some(pause.as_secs().max(1));
            }
        }),
    };

    match load_org(&api, &LoadOptions::default(), &CancelFlag::new(), on_event).await {
        Ok(org) => {
            mark("dat:data-arrived");
            workspace.set_rows(table_rows(&org, can_edit));
            workspace.org.set(org);
            workspace.status.set(LoadStatus::Loaded);
            app.announcer
                .announce(loaded_text(workspace.rows.with_untracked(Vec::len)));
            request_animation_frame(|| mark("dat:table-drawn"));
        }
        Err(error) => match error.api_error() {
            Some(api_error) => fail(&app, workspace, api_error),
            None => workspace
                .status
                .set(LoadStatus::Failed("Loading was cancelled.".into())),
        },
    }
}

/// "2,000 actions loaded.", for the announcer.
fn loaded_text(actions: usize) -> String {
    match actions {
        1 => "1 action loaded.".to_string(),
        n => format!("{} actions loaded.", latency::grouped(n as u64)),
    }
}

/// A Performance API mark, so that the time from data to table can be measured in a browser.
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

fn fail(app: &AppContext, workspace: WorkspaceContext, error: &ApiError) {
    if error.is_session_expired() {
        let pending = workspace.pending.with_untracked(BTreeMap::len);
        app.session_expired(pending);
    } else {
        workspace
            .status
            .set(LoadStatus::Failed(messages::describe(error)));
    }
}

fn signed_in_user(me: timeouts_core::model::UserMe) -> SignedInUser {
    let permissions = me
        .authorization
        .as_ref()
        .map(Permissions::from_authorization)
        .unwrap_or_default();
    let (organization_id, organization) = match me.organization {
        Some(org) => (org.id.clone(), org.name.unwrap_or(org.id)),
        None => (String::new(), "unknown".to_string()),
    };
    SignedInUser {
        name: me.name.unwrap_or_else(|| me.id.clone()),
        id: me.id,
        organization,
        organization_id,
        permissions,
    }
}
