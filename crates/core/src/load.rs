//! Loading the organisation: every integration, every action with its config (custom-auth
//! actions included) and every draft, page by page with progress events.
//!
//! Listings are read at 100 per page, the first page of each kind first (to learn the page
//! counts), then the remaining pages a few at a time. Where a listing comes back without
//! `config` (orgs whose API predates `includeConfig` on listings), each such action is read on
//! its own at the same bounded concurrency. Template URIs are left for the engine, which
//! fetches them only for the actions it writes.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use futures::stream;

use crate::api::{Api, ApiError};
use crate::model::{Action, Integration, Listing};
use crate::retry::{CallError, CancelFlag, Pacer, RetryPolicy};
use crate::transport::Transport;

/// The loaded state of an organisation, indexed by id.
///
/// This holds full configs in memory, because a write must send them back whole; it is never
/// serialised or stored.
#[derive(Clone, Debug, Default)]
pub struct LoadedOrg {
    integrations: Vec<Integration>,
    actions: Vec<Action>,
    drafts: Vec<Action>,
    action_index: HashMap<String, usize>,
    draft_index: HashMap<String, usize>,
    integration_index: HashMap<String, usize>,
    /// True when the user may not list integrations; names are then unknown.
    pub integrations_forbidden: bool,
}

impl LoadedOrg {
    /// Builds the indexes over already-read lists (also handy in tests).
    pub fn new(
        integrations: Vec<Integration>,
        actions: Vec<Action>,
        drafts: Vec<Action>,
    ) -> LoadedOrg {
        let index = |items: &[Action]| {
            items
                .iter()
                .enumerate()
                .map(|(i, a)| (a.id.clone(), i))
                .collect::<HashMap<_, _>>()
        };
        LoadedOrg {
            action_index: index(&actions),
            draft_index: index(&drafts),
            integration_index: integrations
                .iter()
                .enumerate()
                .map(|(i, integration)| (integration.id.clone(), i))
                .collect(),
            integrations,
            actions,
            drafts,
            integrations_forbidden: false,
        }
    }

    /// Every action, in the listing's order (by name).
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Every draft.
    pub fn drafts(&self) -> &[Action] {
        &self.drafts
    }

    /// Every integration.
    pub fn integrations(&self) -> &[Integration] {
        &self.integrations
    }

    pub fn action(&self, id: &str) -> Option<&Action> {
        self.action_index.get(id).map(|&i| &self.actions[i])
    }

    /// The draft of an action, if it has one.
    pub fn draft(&self, action_id: &str) -> Option<&Action> {
        self.draft_index.get(action_id).map(|&i| &self.drafts[i])
    }

    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integration_index
            .get(id)
            .map(|&i| &self.integrations[i])
    }

    /// The integration an action belongs to.
    pub fn integration_of(&self, action: &Action) -> Option<&Integration> {
        self.integration(&action.integration_id)
    }

    /// Replaces actions by id with newer reads (after an apply or a verification); unknown
    /// ids are added.
    pub fn update_actions(&mut self, updated: impl IntoIterator<Item = Action>) {
        for action in updated {
            match self.action_index.get(&action.id) {
                Some(&i) => self.actions[i] = action,
                None => {
                    self.action_index
                        .insert(action.id.clone(), self.actions.len());
                    self.actions.push(action);
                }
            }
        }
    }

    /// Replaces drafts by action id with newer reads.
    pub fn update_drafts(&mut self, updated: impl IntoIterator<Item = Action>) {
        for draft in updated {
            match self.draft_index.get(&draft.id) {
                Some(&i) => self.drafts[i] = draft,
                None => {
                    self.draft_index.insert(draft.id.clone(), self.drafts.len());
                    self.drafts.push(draft);
                }
            }
        }
    }
}

/// What the loader reports while it works.
#[derive(Debug)]
pub enum LoadEvent<'a> {
    /// Requests done out of those known so far (the total grows when per-action reads are
    /// needed).
    Progress { done: u32, total: u32 },
    /// A page of actions arrived (in any order): show them before the rest.
    Actions(&'a [Action]),
    /// Waiting for the rate limit before continuing.
    RateLimited { pause: Duration },
}

/// Why loading stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Api(ApiError),
    #[error("loading was cancelled")]
    Cancelled,
}

impl LoadError {
    /// The API error, if there was one (to tell 401 from 403 from 5xx).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            LoadError::Api(error) => Some(error),
            LoadError::Cancelled => None,
        }
    }
}

impl From<CallError> for LoadError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Api(error) => LoadError::Api(error),
            CallError::Interrupted => LoadError::Cancelled,
        }
    }
}

/// Loader settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            concurrency: 4,
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integrations,
    Actions,
    Drafts,
}

enum Page {
    Integrations(Listing<Integration>),
    Actions(Listing<Action>),
}

impl Page {
    fn page_count(&self) -> Option<u32> {
        match self {
            Page::Integrations(listing) => listing.page_count,
            Page::Actions(listing) => listing.page_count,
        }
    }
}

/// Loads everything the table needs. Calls `on_event` with progress and with each page of
/// actions as it arrives.
pub async fn load_org<T: Transport>(
    api: &Api<T>,
    options: &LoadOptions,
    cancel: &CancelFlag,
    on_event: impl FnMut(LoadEvent<'_>),
) -> Result<LoadedOrg, LoadError> {
    let pacer = Pacer::new(options.retry.clone(), api.rate_limit());
    let stop = || cancel.is_cancelled();
    // One task, and the callback is called only between awaits or from inside a poll, never
    // both at once, so the borrow never overlaps another.
    let events = std::cell::RefCell::new(on_event);
    let emit = |event: LoadEvent<'_>| (events.borrow_mut())(event);
    let on_pause = |pause| emit(LoadEvent::RateLimited { pause });
    let fetch = |kind: Kind, page: u32| {
        let (pacer, stop, on_pause) = (&pacer, &stop, &on_pause);
        async move {
            let result = pacer
                .call(api.transport(), stop, on_pause, || async {
                    match kind {
                        Kind::Integrations => {
                            api.integrations_page(page).await.map(Page::Integrations)
                        }
                        Kind::Actions => api.actions_page(page).await.map(Page::Actions),
                        Kind::Drafts => api.drafts_page(page).await.map(Page::Actions),
                    }
                })
                .await;
            (kind, page, result)
        }
    };

    let mut pages: Vec<(Kind, u32, Page)> = Vec::new();
    let firsts = [Kind::Integrations, Kind::Actions, Kind::Drafts];
    let mut first_pages = stream::iter(firsts.map(|kind| fetch(kind, 1))).buffer_unordered(3);
    let mut integrations_forbidden = false;
    let mut done = 0;
    let mut total = 3;
    let mut rest = Vec::new();
    while let Some((kind, page, result)) = first_pages.next().await {
        done += 1;
        let page_data = match result {
            Err(CallError::Api(error)) if kind == Kind::Integrations && error.is_forbidden() => {
                integrations_forbidden = true;
                emit(LoadEvent::Progress { done, total });
                continue;
            }
            other => other?,
        };
        let count = page_data.page_count().unwrap_or(1).max(1);
        total += count - 1;
        rest.extend((2..=count).map(|page| (kind, page)));
        if let (Kind::Actions, Page::Actions(listing)) = (kind, &page_data) {
            emit(LoadEvent::Actions(&listing.entities));
        }
        emit(LoadEvent::Progress { done, total });
        pages.push((kind, page, page_data));
    }
    drop(first_pages);

    let mut later_pages = stream::iter(rest.into_iter().map(|(kind, page)| fetch(kind, page)))
        .buffer_unordered(options.concurrency.max(1));
    while let Some((kind, page, result)) = later_pages.next().await {
        let page_data = result?;
        done += 1;
        if let (Kind::Actions, Page::Actions(listing)) = (kind, &page_data) {
            emit(LoadEvent::Actions(&listing.entities));
        }
        emit(LoadEvent::Progress { done, total });
        pages.push((kind, page, page_data));
    }
    drop(later_pages);

    pages.sort_by_key(|(kind, page, _)| (*kind as u8, *page));
    let mut integrations = Vec::new();
    let mut actions = Vec::new();
    let mut drafts = Vec::new();
    for (kind, _, page) in pages {
        match (kind, page) {
            (_, Page::Integrations(listing)) => integrations.extend(listing.entities),
            (Kind::Drafts, Page::Actions(listing)) => drafts.extend(listing.entities),
            (_, Page::Actions(listing)) => actions.extend(listing.entities),
        }
    }

    let mut org = LoadedOrg::new(integrations, actions, drafts);
    org.integrations_forbidden = integrations_forbidden;
    fill_missing_configs(api, &pacer, options, &stop, &mut org, (done, total), &emit).await?;
    Ok(org)
}

/// Reads, one by one at bounded concurrency, the actions and drafts listed without config.
async fn fill_missing_configs<T: Transport>(
    api: &Api<T>,
    pacer: &Pacer,
    options: &LoadOptions,
    stop: &dyn Fn() -> bool,
    org: &mut LoadedOrg,
    (mut done, total): (u32, u32),
    emit: &dyn Fn(LoadEvent<'_>),
) -> Result<(), LoadError> {
    let missing_actions: Vec<String> = org
        .actions()
        .iter()
        .filter(|a| a.config.is_none())
        .map(|a| a.id.clone())
        .collect();
    let missing_drafts: Vec<String> = org
        .drafts()
        .iter()
        .filter(|d| d.config.is_none())
        .map(|d| d.id.clone())
        .collect();
    if missing_actions.is_empty() && missing_drafts.is_empty() {
        return Ok(());
    }
    tracing::debug!(
        actions = missing_actions.len(),
        drafts = missing_drafts.len(),
        "listing came without config; reading one by one"
    );

    let total =
        total + u32::try_from(missing_actions.len() + missing_drafts.len()).unwrap_or(u32::MAX);
    let on_pause = |pause| emit(LoadEvent::RateLimited { pause });
    let reads = missing_actions
        .into_iter()
        .map(|id| (false, id))
        .chain(missing_drafts.into_iter().map(|id| (true, id)))
        .map(|(is_draft, id)| async move {
            let result = pacer
                .call(api.transport(), stop, &on_pause, || async {
                    if is_draft {
                        api.draft(&id).await
                    } else {
                        api.action(&id).await
                    }
                })
                .await;
            (is_draft, result)
        });
    let mut reads = stream::iter(reads).buffer_unordered(options.concurrency.max(1));
    while let Some((is_draft, result)) = reads.next().await {
        let read = result?;
        done += 1;
        if is_draft {
            org.update_drafts([read]);
        } else {
            emit(LoadEvent::Actions(std::slice::from_ref(&read)));
            org.update_actions([read]);
        }
        emit(LoadEvent::Progress { done, total });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeGenesys, Injected, api};
    use crate::transport::{HttpResponse, Method};
    use futures::executor::block_on;

    fn many(count: usize) -> FakeGenesys {
        let ids: Vec<String> = (0..count).map(|i| format!("a{i:04}")).collect();
        let spec: Vec<(&str, Option<u8>)> = ids.iter().map(|id| (id.as_str(), Some(10))).collect();
        FakeGenesys::with_actions(&spec)
    }

    #[test]
    fn every_page_is_read_once_with_progress_to_the_end() {
        let fake = many(250);
        fake.add_draft("a0001", Some(10));
        let mut progress = Vec::new();
        let mut shown = 0;
        let org = block_on(load_org(
            &api(&fake),
            &LoadOptions::default(),
            &CancelFlag::new(),
            |event| match event {
                LoadEvent::Progress { done, total } => progress.push((done, total)),
                LoadEvent::Actions(actions) => shown += actions.len(),
                LoadEvent::RateLimited { .. } => {}
            },
        ))
        .unwrap();

        assert_eq!(org.actions().len(), 250);
        assert_eq!(shown, 250);
        assert_eq!(org.drafts().len(), 1);
        assert_eq!(progress.last(), Some(&(5, 5)));
        assert_eq!(fake.requests(Method::Get), 5);
        assert_eq!(org.actions()[0].id, "a0000");
        assert_eq!(org.actions()[249].id, "a0249");
    }

    #[test]
    fn actions_listed_without_config_are_read_one_by_one() {
        let fake = many(3);
        fake.list_without_config.set(true);
        let org = block_on(load_org(
            &api(&fake),
            &LoadOptions::default(),
            &CancelFlag::new(),
            |_| {},
        ))
        .unwrap();
        assert!(
            org.actions()
                .iter()
                .all(|a| a.timeout() == Some(crate::timeout::Timeout::Explicit(10)))
        );
        assert_eq!(fake.requests(Method::Get), 3 + 3);
    }

    #[test]
    fn a_forbidden_integration_listing_still_loads_the_actions() {
        let fake = many(2);
        fake.inject(
            Method::Get,
            "integrations",
            Injected::Respond(HttpResponse::new(
                403,
                r#"{"code":"missing.any.permissions"}"#,
            )),
        );
        let org = block_on(load_org(
            &api(&fake),
            &LoadOptions::default(),
            &CancelFlag::new(),
            |_| {},
        ))
        .unwrap();
        assert!(org.integrations_forbidden);
        assert_eq!(org.actions().len(), 2);
    }

    #[test]
    fn a_failed_load_says_why() {
        let fake = many(2);
        fake.inject(
            Method::Get,
            "integrations/actions",
            Injected::Respond(HttpResponse::new(401, "{}")),
        );
        let error = block_on(load_org(
            &api(&fake),
            &LoadOptions::default(),
            &CancelFlag::new(),
            |_| {},
        ))
        .unwrap_err();
        assert!(error.api_error().is_some_and(ApiError::is_session_expired));

        let cancel = CancelFlag::new();
        cancel.cancel();
        let error = block_on(load_org(
            &api(&fake),
            &LoadOptions::default(),
            &cancel,
            |_| {},
        ))
        .unwrap_err();
        assert_eq!(error, LoadError::Cancelled);
    }

    #[test]
    fn updated_actions_replace_their_loaded_copies() {
        let fake = many(2);
        let mut org = block_on(load_org(
            &api(&fake),
            &LoadOptions::default(),
            &CancelFlag::new(),
            |_| {},
        ))
        .unwrap();
        let mut newer = org.action("a0001").unwrap().clone();
        newer.version = 9;
        org.update_actions([newer]);
        assert_eq!(org.action("a0001").unwrap().version, 9);
        assert_eq!(org.actions().len(), 2);
    }
}
