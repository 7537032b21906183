//! The apply engine: carries out a plan against Genesys, safely and near the rate limit.
//!
//! # What it does per change
//! 1. Takes the action's config and version from the loaded state (read with the listing);
//!    reads the action only when the config is missing or the loaded timeout is not the plan's
//!    "before". Template files given only as URIs are fetched and put inline first, because a
//!    PATCH replaces the whole config.
//! 2. PATCHes the whole config with the new `timeoutSeconds` (or without it, for "default")
//!    and the known `version`. Every other config field is sent exactly as read.
//! 3. Updates the draft when it has the old timeout (draft PATCH at the draft's version), so
//!    that publishing the draft later keeps the change. A draft with a timeout of its own is
//!    left alone and reported. [`ApplyOptions::update_drafts`] switches this off.
//! 4. After all changes, re-reads what it changed, 50 ids per request, and reports whether
//!    Genesys holds the new timeout. A "reset to default" that Genesys answered by keeping the
//!    old value is reported as [`Verification::DefaultNotCleared`], and
//!    [`ApplyReport::explicit_sixty_plan`] offers 60 seconds explicitly instead.
//!
//! # Retry rules and their numbers (defaults of [`ApplyOptions`] and [`RetryPolicy`])
//! - **Pacing**: at most 4 changes in flight; every request takes a token from a bucket of
//!   300 − 2 (headroom) requests that refills at 300/60 = 5 per second, the same rule as
//!   Genesys' per-token limit, so a large apply runs at the limit instead of into it. When the
//!   last response carried `inin-ratelimit-*` headers, the bucket starts as full as they say.
//! - **429**: every request pauses (not just the one refused) for `Retry-After`, capped at
//!   60 s; without the header, 2 s doubling on each further 429 of the same request. A request
//!   gives up after 12 429s.
//! - **5xx (except 501) and dropped connections**: 3 attempts in all, 0.5 s then 1 s apart.
//! - **409, or 400 "does not match the current version"**: re-read the action; if its timeout
//!   is still the plan's "before", retry with the re-read config and version (so another
//!   admin's edit of other fields is kept), up to 3 times; if it is already the plan's "after",
//!   the change counts as applied; otherwise the change stops as [`Outcome::Conflict`] with the
//!   remote value, for the person to decide.
//! - **401**: no new request starts; every unfinished change is [`Outcome::NotStarted`] and the
//!   report says [`Stopped::SessionExpired`]. Resuming is running the engine again on
//!   [`ApplyReport::unfinished_plan`] with a new token; a change that did reach Genesys before
//!   the stop is then recognised by the version check and counted as applied.
//! - **Other errors** (400, 403, 404…): the change fails with Genesys' message, no retry.
//! - **Cancellation** ([`CancelFlag`]): like 401, but reported as [`Stopped::Cancelled`].

use std::cell::{Cell, RefCell};
use std::time::Duration;

use futures::StreamExt;
use futures::stream;
use serde::{Deserialize, Serialize};

use crate::api::{Api, ApiError, IDS_PER_REQUEST};
use crate::classify::{is_custom_auth, is_static};
use crate::load::LoadedOrg;
use crate::model::{Action, UpdateActionInput};
use crate::plan::{Change, Plan};
use crate::retry::{CallError, Pacer};
pub use crate::retry::{CancelFlag, RetryPolicy};
use crate::timeout::Timeout;
use crate::transport::Transport;

/// Engine settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyOptions {
    /// Changes in flight at once.
    pub concurrency: usize,
    /// Pacing and retry numbers.
    pub retry: RetryPolicy,
    /// Update drafts that still have the old timeout.
    pub update_drafts: bool,
    /// Re-read changed actions at the end.
    pub verify: bool,
    /// Re-reads after version conflicts before a change gives up.
    pub conflict_retries: u32,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 4,
            retry: RetryPolicy::default(),
            update_drafts: true,
            verify: true,
            conflict_retries: 3,
        }
    }
}

/// What happened to a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Genesys holds the new timeout at this version.
    Applied {
        new_version: u64,
        draft: DraftOutcome,
    },
    /// Nothing to do (already at the new timeout, or the action cannot be changed).
    Skipped { reason: String },
    /// Someone else changed the timeout meanwhile; it is now `remote`.
    Conflict { remote: Timeout },
    /// Genesys refused or kept failing.
    Failed { reason: String },
    /// Not attempted (or stopped before it took effect): run again to finish.
    NotStarted,
}

impl Outcome {
    pub fn is_applied(&self) -> bool {
        matches!(self, Outcome::Applied { .. })
    }
}

/// What happened to the action's draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DraftOutcome {
    /// The action has no draft.
    NoDraft,
    /// The draft had the old timeout and now has the new one.
    Updated { new_version: u64 },
    /// The draft already had the new timeout.
    AlreadyMatching,
    /// The draft has a timeout of its own and was left alone.
    LeftAlone { draft: Timeout },
    /// Draft updates are switched off; the draft still has the old timeout.
    SwitchedOff { draft: Timeout },
    /// Updating the draft failed.
    Failed { reason: String },
}

/// What the re-read after applying found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verification {
    /// Genesys holds the new timeout.
    Confirmed,
    /// A reset to default was accepted but Genesys kept the old value; set 60 explicitly.
    DefaultNotCleared { kept: Timeout },
    /// Genesys holds something else.
    Mismatch { remote: Timeout },
    /// The action could not be re-read.
    Unreadable { reason: String },
}

/// One change and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeResult {
    pub change: Change,
    pub outcome: Outcome,
    pub verification: Option<Verification>,
}

/// Why an apply stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stopped {
    /// Genesys answered 401: sign in again and resume.
    SessionExpired,
    /// The person cancelled.
    Cancelled,
}

/// Counts of outcomes, for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub applied: usize,
    pub skipped: usize,
    pub conflicts: usize,
    pub failed: usize,
    pub not_started: usize,
}

/// The result of an apply.
#[derive(Clone, Debug, Default)]
pub struct ApplyReport {
    /// One result per change of the plan, in the plan's order.
    pub results: Vec<ChangeResult>,
    pub stopped: Option<Stopped>,
    /// Requests sent, retries included.
    pub requests_sent: u64,
    /// 429 responses received.
    pub rate_limited: u32,
    /// The latest reads of changed or re-read actions (full configs: memory only). Give them
    /// to [`LoadedOrg::update_actions`] so the table shows what Genesys now holds.
    pub updated_actions: Vec<Action>,
    /// The latest reads of updated drafts, for [`LoadedOrg::update_drafts`].
    pub updated_drafts: Vec<Action>,
}

impl ApplyReport {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for result in &self.results {
            match result.outcome {
                Outcome::Applied { .. } => counts.applied += 1,
                Outcome::Skipped { .. } => counts.skipped += 1,
                Outcome::Conflict { .. } => counts.conflicts += 1,
                Outcome::Failed { .. } => counts.failed += 1,
                Outcome::NotStarted => counts.not_started += 1,
            }
        }
        counts
    }

    fn plan_of(&self, keep: impl Fn(&ChangeResult) -> Option<Change>) -> Plan {
        Plan {
            changes: self.results.iter().filter_map(keep).collect(),
            skipped: Vec::new(),
        }
    }

    /// The changes not started (after a 401 or a cancel): run the engine on this to resume.
    pub fn unfinished_plan(&self) -> Plan {
        self.plan_of(|r| (r.outcome == Outcome::NotStarted).then(|| r.change.clone()))
    }

    /// The failed changes, to retry.
    pub fn failed_plan(&self) -> Plan {
        self.plan_of(|r| matches!(r.outcome, Outcome::Failed { .. }).then(|| r.change.clone()))
    }

    /// For conflicts the person decides to overwrite: the same targets, from the remote
    /// values.
    pub fn overwrite_conflicts_plan(&self) -> Plan {
        self.plan_of(|r| match r.outcome {
            Outcome::Conflict { remote } if remote != r.change.after => Some(Change {
                before: remote,
                ..r.change.clone()
            }),
            _ => None,
        })
    }

    /// For resets to default that Genesys did not clear: 60 seconds explicitly.
    pub fn explicit_sixty_plan(&self) -> Plan {
        self.plan_of(|r| match r.verification {
            Some(Verification::DefaultNotCleared { kept }) if kept != Timeout::Explicit(60) => {
                Some(Change {
                    before: kept,
                    after: Timeout::Explicit(60),
                    warnings: Vec::new(),
                    ..r.change.clone()
                })
            }
            _ => None,
        })
    }
}

/// What the engine reports while it works.
#[derive(Debug)]
pub enum ApplyEvent<'a> {
    /// A change finished (in any order); `done` of `total` are finished.
    ChangeFinished {
        result: &'a ChangeResult,
        done: usize,
        total: usize,
    },
    /// Every request waits this long for the rate limit ("resuming in N s").
    RateLimited { pause: Duration },
    /// Re-reading the changed actions.
    Verifying { actions: usize },
}

/// The least time the rate limit allows for `requests` requests starting with a full budget
/// (for the app's "will the session last?" estimate and the benchmark's lower bound).
pub fn rate_limit_floor(requests: usize, rate_per_minute: u32) -> Duration {
    let over = requests.saturating_sub(rate_per_minute as usize) as f64;
    Duration::from_secs_f64(over * 60.0 / f64::from(rate_per_minute.max(1)))
}

/// How long an apply of `plan` is likely to take at least, from the rate limit alone: one
/// PATCH per change, one per draft that follows, and the verification reads. The app compares
/// it with the token's remaining life before starting. A budget already partly used by the
/// session makes the real time longer.
pub fn estimated_duration(plan: &Plan, options: &ApplyOptions) -> Duration {
    let drafts = plan
        .changes
        .iter()
        .filter(|c| {
            c.warnings
                .contains(&crate::plan::Warning::DraftWillBeUpdated)
        })
        .count();
    let verification = if options.verify {
        plan.changes.len().div_ceil(IDS_PER_REQUEST)
    } else {
        0
    };
    let requests = plan.changes.len() + drafts + verification;
    rate_limit_floor(requests, options.retry.rate_per_minute)
}

/// Shared by the changes in flight.
struct Run<'a, T> {
    api: &'a Api<T>,
    org: &'a LoadedOrg,
    options: &'a ApplyOptions,
    pacer: Pacer,
    cancel: &'a CancelFlag,
    session_expired: Cell<bool>,
    /// Hands events to the app's callback, from the main loop and from inside a change (a
    /// rate-limit pause is reported when it starts, not when the change ends).
    emit: &'a dyn Fn(ApplyEvent<'_>),
}

/// What one change produced.
struct Done {
    outcome: Outcome,
    action: Option<Action>,
    draft: Option<Action>,
}

impl Done {
    fn outcome(outcome: Outcome) -> Done {
        Done {
            outcome,
            action: None,
            draft: None,
        }
    }
}

/// How a paced call ended, seen by a change.
enum Failure {
    Stop,
    Api(ApiError),
}

/// Applies the plan. `org` supplies configs and versions; `on_event` hears of each finished
/// change and of each rate-limit pause as it starts. Never fails as a whole: every change gets
/// an outcome.
pub async fn apply<T: Transport>(
    api: &Api<T>,
    org: &LoadedOrg,
    plan: &Plan,
    options: &ApplyOptions,
    cancel: &CancelFlag,
    on_event: impl FnMut(ApplyEvent<'_>),
) -> ApplyReport {
    let requests_before = api.requests_sent();
    // Everything runs in this one task and the callback is only ever called between polls'
    // awaits, so the borrow below never overlaps another.
    let events = RefCell::new(on_event);
    let emit = |event: ApplyEvent<'_>| (events.borrow_mut())(event);
    let run = Run {
        api,
        org,
        options,
        pacer: Pacer::new(options.retry.clone(), api.rate_limit()),
        cancel,
        session_expired: Cell::new(false),
        emit: &emit,
    };

    let total = plan.changes.len();
    let mut results: Vec<Option<ChangeResult>> = vec![None; total];
    let mut report = ApplyReport::default();
    let mut changes = stream::iter(plan.changes.iter().enumerate())
        .map(|(index, change)| {
            let run = &run;
            async move { (index, run.apply_change(change).await) }
        })
        .buffer_unordered(options.concurrency.max(1));

    let mut done = 0;
    while let Some((index, finished)) = changes.next().await {
        done += 1;
        report.updated_actions.extend(finished.action);
        report.updated_drafts.extend(finished.draft);
        let result = ChangeResult {
            change: plan.changes[index].clone(),
            outcome: finished.outcome,
            verification: None,
        };
        emit(ApplyEvent::ChangeFinished {
            result: &result,
            done,
            total,
        });
        results[index] = Some(result);
    }
    drop(changes);

    report.results = results.into_iter().flatten().collect();
    report.stopped = if run.session_expired.get() {
        Some(Stopped::SessionExpired)
    } else if cancel.is_cancelled() {
        Some(Stopped::Cancelled)
    } else {
        None
    };

    if options.verify && report.stopped.is_none() {
        run.verify(&mut report).await;
        if run.session_expired.get() {
            report.stopped = Some(Stopped::SessionExpired);
        }
    }

    report.requests_sent = api.requests_sent() - requests_before;
    report.rate_limited = run.pacer.rate_limited();
    report
}

impl<T: Transport> Run<'_, T> {
    fn stopped(&self) -> bool {
        self.cancel.is_cancelled() || self.session_expired.get()
    }

    /// Runs one API call under the pacing and retry rules.
    async fn call<R, F, Fut>(&self, op: F) -> Result<R, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<R, ApiError>>,
    {
        let stop = || self.stopped();
        let on_pause = |pause| (self.emit)(ApplyEvent::RateLimited { pause });
        match self
            .pacer
            .call(self.api.transport(), &stop, &on_pause, op)
            .await
        {
            Ok(value) => Ok(value),
            Err(CallError::Interrupted) => Err(Failure::Stop),
            Err(CallError::Api(error)) if error.is_session_expired() => {
                tracing::info!("session expired during apply; stopping new work");
                self.session_expired.set(true);
                Err(Failure::Stop)
            }
            Err(CallError::Api(error)) => Err(Failure::Api(error)),
        }
    }

    /// Reads an action (or its draft) with its templates inline.
    async fn read(&self, action_id: &str, draft: bool) -> Result<Action, Failure> {
        let mut read = self
            .call(|| async {
                if draft {
                    self.api.draft(action_id).await
                } else {
                    self.api.action(action_id).await
                }
            })
            .await?;
        self.inline_templates(&mut read, draft).await?;
        Ok(read)
    }

    /// Fetches templates given only as URIs and puts them inline.
    async fn inline_templates(&self, action: &mut Action, draft: bool) -> Result<(), Failure> {
        let Some(config) = action.config.as_mut() else {
            return Ok(());
        };
        for file in config.templates_by_uri() {
            let text = self
                .call(|| self.api.template(&action.id, file, draft))
                .await?;
            config.inline_template(file, text);
        }
        Ok(())
    }

    async fn apply_change(&self, change: &Change) -> Done {
        if self.stopped() {
            return Done::outcome(Outcome::NotStarted);
        }
        if is_custom_auth(&change.action_id) || is_static(&change.action_id) {
            return Done::outcome(Outcome::Skipped {
                reason: "this action's timeout cannot be changed".into(),
            });
        }
        match self.apply_published(change).await {
            Ok((outcome, action)) => {
                let (outcome, draft) = match outcome {
                    Outcome::Applied { new_version, .. } => {
                        let (draft_outcome, draft) = self.apply_draft(change).await;
                        (
                            Outcome::Applied {
                                new_version,
                                draft: draft_outcome,
                            },
                            draft,
                        )
                    }
                    other => (other, None),
                };
                Done {
                    outcome,
                    action,
                    draft,
                }
            }
            Err(Failure::Stop) => Done::outcome(Outcome::NotStarted),
            Err(Failure::Api(error)) => Done::outcome(Outcome::Failed {
                reason: error.to_string(),
            }),
        }
    }

    /// The published action's PATCH with the conflict rule. Returns the outcome (with a
    /// placeholder draft outcome when applied) and the latest read of the action.
    async fn apply_published(&self, change: &Change) -> Result<(Outcome, Option<Action>), Failure> {
        let loaded = self.org.action(&change.action_id);
        let mut current = match loaded {
            Some(action) if action.timeout() == Some(change.before) => {
                let mut action = action.clone();
                self.inline_templates(&mut action, false).await?;
                action
            }
            // Missing, unread config, or loaded state older than the plan: ask Genesys.
            _ => self.read(&change.action_id, false).await?,
        };

        let mut conflicts = 0;
        loop {
            let remote = current.timeout().unwrap_or(Timeout::Default);
            if remote == change.after {
                let outcome = Outcome::Applied {
                    new_version: current.version,
                    draft: DraftOutcome::NoDraft,
                };
                return Ok((outcome, Some(current)));
            }
            if remote != change.before {
                return Ok((Outcome::Conflict { remote }, Some(current)));
            }
            let Some(config) = current.config.as_ref() else {
                return Err(Failure::Api(ApiError::Decode {
                    status: 200,
                    detail: "the action came back without its config".into(),
                }));
            };

            let update = UpdateActionInput::for_action(&current, config.with_timeout(change.after));
            match self
                .call(|| self.api.patch_action(&change.action_id, &update))
                .await
            {
                Ok(mut updated) => {
                    let outcome = Outcome::Applied {
                        new_version: updated.version,
                        draft: DraftOutcome::NoDraft,
                    };
                    // Keep what was written when the answer leaves the config out, so the
                    // loaded state stays usable for the next edit.
                    updated.config.get_or_insert(update.config);
                    return Ok((outcome, Some(updated)));
                }
                Err(Failure::Api(error))
                    if error.is_version_conflict() && conflicts < self.options.conflict_retries =>
                {
                    conflicts += 1;
                    tracing::debug!(action = %change.action_id, "version conflict; re-reading");
                    current = self.read(&change.action_id, false).await?;
                }
                Err(failure) => return Err(failure),
            }
        }
    }

    /// Keeps the draft in step with the published change, by the draft rule.
    async fn apply_draft(&self, change: &Change) -> (DraftOutcome, Option<Action>) {
        let Some(loaded) = self.org.draft(&change.action_id) else {
            return (DraftOutcome::NoDraft, None);
        };
        let draft_timeout = loaded.timeout();
        if !self.options.update_drafts {
            return match draft_timeout {
                Some(draft) if draft == change.before => {
                    (DraftOutcome::SwitchedOff { draft }, None)
                }
                Some(draft) if draft != change.after => (DraftOutcome::LeftAlone { draft }, None),
                _ => (DraftOutcome::AlreadyMatching, None),
            };
        }

        let mut current = loaded.clone();
        let mut conflicts = 0;
        loop {
            let step = self.draft_step(change, &mut current).await;
            match step {
                Err(Failure::Api(error))
                    if error.is_version_conflict() && conflicts < self.options.conflict_retries =>
                {
                    conflicts += 1;
                    match self.read(&change.action_id, true).await {
                        Ok(read) => current = read,
                        Err(failure) => return (draft_failure(failure), None),
                    }
                }
                Err(failure) => return (draft_failure(failure), None),
                Ok(done) => return done,
            }
        }
    }

    /// One attempt at the draft: decide by its timeout, and PATCH it when it has the old one.
    async fn draft_step(
        &self,
        change: &Change,
        current: &mut Action,
    ) -> Result<(DraftOutcome, Option<Action>), Failure> {
        if current.config.is_none() {
            *current = self.read(&change.action_id, true).await?;
        }
        let draft = current.timeout().unwrap_or(Timeout::Default);
        if draft == change.after {
            return Ok((DraftOutcome::AlreadyMatching, None));
        }
        if draft != change.before {
            return Ok((DraftOutcome::LeftAlone { draft }, None));
        }

        self.inline_templates(current, true).await?;
        let config = current
            .config
            .as_ref()
            .map(|c| c.with_timeout(change.after));
        let update = UpdateActionInput::for_action(current, config.unwrap_or_default());
        let mut updated = self
            .call(|| self.api.patch_draft(&change.action_id, &update))
            .await?;
        updated.config.get_or_insert(update.config);
        let outcome = DraftOutcome::Updated {
            new_version: updated.version,
        };
        Ok((outcome, Some(updated)))
    }

    /// Re-reads the applied actions, 50 per request, and records what Genesys holds.
    async fn verify(&self, report: &mut ApplyReport) {
        let applied: Vec<String> = report
            .results
            .iter()
            .filter(|r| r.outcome.is_applied())
            .map(|r| r.change.action_id.clone())
            .collect();
        if applied.is_empty() {
            return;
        }
        (self.emit)(ApplyEvent::Verifying {
            actions: applied.len(),
        });

        let mut reads: Vec<Action> = Vec::new();
        let mut unreadable: Option<String> = None;
        for chunk in applied.chunks(IDS_PER_REQUEST) {
            match self.call(|| self.api.actions_by_ids(chunk)).await {
                Ok(actions) => reads.extend(actions),
                Err(Failure::Api(error)) => unreadable = Some(error.to_string()),
                Err(Failure::Stop) => unreadable = Some("the re-read was stopped".into()),
            }
        }
        // A listing that ignores includeConfig gives no timeouts: read those one by one.
        for read in reads.iter_mut().filter(|a| a.config.is_none()) {
            if let Ok(single) = self.call(|| self.api.action(&read.id)).await {
                *read = single;
            }
        }

        for result in report.results.iter_mut().filter(|r| r.outcome.is_applied()) {
            let read = reads.iter().find(|a| a.id == result.change.action_id);
            result.verification = Some(match read.and_then(Action::timeout) {
                Some(remote) if remote == result.change.after => Verification::Confirmed,
                Some(remote)
                    if result.change.after == Timeout::Default
                        && remote == result.change.before =>
                {
                    Verification::DefaultNotCleared { kept: remote }
                }
                Some(remote) => Verification::Mismatch { remote },
                None => Verification::Unreadable {
                    reason: unreadable
                        .clone()
                        .unwrap_or_else(|| "the action was not returned".into()),
                },
            });
        }
        for result in &report.results {
            if let Some(Verification::DefaultNotCleared { kept }) = result.verification {
                tracing::warn!(action = %result.change.action_id, %kept, "Genesys kept the timeout on a reset to default");
            }
        }
        report
            .updated_actions
            .retain(|a| !reads.iter().any(|r| r.id == a.id));
        report.updated_actions.extend(reads);
    }
}

fn draft_failure(failure: Failure) -> DraftOutcome {
    match failure {
        Failure::Stop => DraftOutcome::Failed {
            reason: "stopped before the draft was updated".into(),
        },
        Failure::Api(error) => DraftOutcome::Failed {
            reason: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, load_org};
    use crate::plan::{Edit, Planner};
    use crate::testing::{FakeGenesys, Injected, api};
    use crate::transport::{HttpResponse, Method};
    use futures::executor::block_on;
    use serde_json::json;

    /// Numbers small enough that tests do not wait.
    fn quick() -> ApplyOptions {
        ApplyOptions {
            retry: RetryPolicy {
                rate_per_minute: 60_000,
                headroom: 0,
                max_pause: Duration::from_millis(500),
                rate_limit_backoff: Duration::from_millis(1),
                server_backoff: Duration::from_millis(1),
                ..RetryPolicy::default()
            },
            ..ApplyOptions::default()
        }
    }

    fn load(fake: &FakeGenesys) -> LoadedOrg {
        block_on(load_org(
            &api(fake),
            &LoadOptions::default(),
            &CancelFlag::new(),
            |_| {},
        ))
        .unwrap()
    }

    fn plan(org: &LoadedOrg, ids: &[&str], seconds: u8) -> Plan {
        let edits: Vec<Edit> = ids
            .iter()
            .map(|id| Edit {
                action_id: id.to_string(),
                timeout: Timeout::Explicit(seconds),
            })
            .collect();
        Planner::new(org, true).plan(&edits)
    }

    fn run(
        fake: &FakeGenesys,
        org: &LoadedOrg,
        plan: &Plan,
        options: &ApplyOptions,
    ) -> ApplyReport {
        let api = api(fake);
        block_on(apply(&api, org, plan, options, &CancelFlag::new(), |_| {}))
    }

    fn three() -> FakeGenesys {
        FakeGenesys::with_actions(&[("a", Some(20)), ("b", Some(30)), ("c", None)])
    }

    #[test]
    fn a_plain_apply_patches_each_action_once_and_verifies_in_one_read() {
        let fake = three();
        let org = load(&fake);
        let log_before = fake.log.borrow().len();
        let report = run(&fake, &org, &plan(&org, &["a", "b", "c"], 9), &quick());

        assert_eq!(report.counts().applied, 3);
        assert_eq!(report.requests_sent, 4);
        assert_eq!(fake.log.borrow().len() - log_before, 4);
        for id in ["a", "b", "c"] {
            assert_eq!(fake.timeout_of(id), Some(9));
            assert_eq!(fake.actions.borrow()[id].config["extra"], json!([1, 2]));
        }
        assert!(
            report
                .results
                .iter()
                .all(|r| r.verification == Some(Verification::Confirmed))
        );
        assert_eq!(report.updated_actions.len(), 3);
    }

    #[test]
    fn server_errors_are_retried_three_times_in_all() {
        let fake = three();
        let org = load(&fake);
        for _ in 0..2 {
            fake.inject(
                Method::Patch,
                "actions/a",
                Injected::Respond(HttpResponse::new(503, "")),
            );
        }
        fake.inject(Method::Patch, "actions/b", Injected::Drop);
        for _ in 0..3 {
            fake.inject(
                Method::Patch,
                "actions/c",
                Injected::Respond(HttpResponse::new(502, "")),
            );
        }
        let report = run(&fake, &org, &plan(&org, &["a", "b", "c"], 9), &quick());

        assert!(report.results[0].outcome.is_applied());
        assert!(report.results[1].outcome.is_applied());
        assert!(matches!(report.results[2].outcome, Outcome::Failed { .. }));
        assert_eq!(fake.timeout_of("c"), None);
        assert_eq!(fake.requests(Method::Patch), 3 + 2 + 3);
    }

    #[test]
    fn a_501_or_a_400_is_not_retried() {
        let fake = three();
        let org = load(&fake);
        fake.inject(
            Method::Patch,
            "actions/a",
            Injected::Respond(HttpResponse::new(501, "")),
        );
        fake.inject(
            Method::Patch,
            "actions/b",
            Injected::Respond(HttpResponse::new(
                400,
                r#"{"message":"timeoutSeconds is invalid"}"#,
            )),
        );
        let report = run(&fake, &org, &plan(&org, &["a", "b"], 9), &quick());
        assert_eq!(report.counts().failed, 2);
        assert_eq!(fake.requests(Method::Patch), 2);
        assert_eq!(
            report.results[1].outcome,
            Outcome::Failed {
                reason: "Genesys answered 400: timeoutSeconds is invalid".into()
            }
        );
    }

    #[test]
    fn a_429_pauses_every_worker_before_anyone_sends_again() {
        let fake = FakeGenesys::with_actions(&[
            ("a", Some(20)),
            ("b", Some(20)),
            ("c", Some(20)),
            ("d", Some(20)),
        ]);
        let org = load(&fake);
        let mut options = quick();
        options.retry.rate_limit_backoff = Duration::from_millis(150);
        options.verify = false;
        fake.inject(
            Method::Patch,
            "actions/a",
            Injected::Respond(HttpResponse::new(429, "")),
        );

        let api = api(&fake);
        let mut pauses = Vec::new();
        let mut first_event = None;
        let started = web_time::Instant::now();
        let report = block_on(apply(
            &api,
            &org,
            &plan(&org, &["a", "b", "c", "d"], 9),
            &options,
            &CancelFlag::new(),
            |event| {
                first_event.get_or_insert(matches!(event, ApplyEvent::RateLimited { .. }));
                if let ApplyEvent::RateLimited { pause } = event {
                    pauses.push(pause);
                }
            },
        ));

        // The pause is reported when it starts, before any change finishes.
        assert_eq!(first_event, Some(true));
        assert_eq!(report.counts().applied, 4);
        assert_eq!(report.rate_limited, 1);
        assert_eq!(pauses, vec![Duration::from_millis(150)]);
        // Every PATCH after the refused one waited for the pause: a lower bound, not a speed
        // requirement.
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(fake.requests(Method::Patch), 5);
    }

    #[test]
    fn retry_after_is_obeyed_but_capped() {
        let fake = three();
        let org = load(&fake);
        let mut options = quick();
        options.retry.max_pause = Duration::from_millis(20);
        fake.inject(
            Method::Patch,
            "actions/a",
            Injected::Respond(HttpResponse::new(429, "").with_header("Retry-After", "3600")),
        );
        let mut pauses = Vec::new();
        let api = api(&fake);
        let report = block_on(apply(
            &api,
            &org,
            &plan(&org, &["a"], 9),
            &options,
            &CancelFlag::new(),
            |event| {
                if let ApplyEvent::RateLimited { pause } = event {
                    pauses.push(pause);
                }
            },
        ));
        assert!(report.results[0].outcome.is_applied());
        assert_eq!(pauses, vec![Duration::from_millis(20)]);
    }

    #[test]
    fn a_conflict_with_the_same_timeout_retries_with_the_reread_config() {
        let fake = three();
        let org = load(&fake);
        // A colleague edits another field of `a` just before our PATCH arrives.
        *fake.before_patch.borrow_mut() = Some(Box::new(|fake, id| {
            let mut actions = fake.actions.borrow_mut();
            let stored = actions.get_mut(id).unwrap();
            if stored.version == 1 {
                stored.config["response"]["successTemplate"] = json!("edited");
                stored.version = 2;
            }
        }));
        let report = run(&fake, &org, &plan(&org, &["a"], 9), &quick());

        assert_eq!(
            report.results[0].outcome,
            Outcome::Applied {
                new_version: 3,
                draft: DraftOutcome::NoDraft
            }
        );
        let stored = fake.actions.borrow()["a"].config.clone();
        assert_eq!(stored["response"]["successTemplate"], json!("edited"));
        assert_eq!(stored["timeoutSeconds"], json!(9));
    }

    #[test]
    fn a_conflict_with_another_timeout_stops_with_the_remote_value() {
        let fake = three();
        let org = load(&fake);
        {
            let mut actions = fake.actions.borrow_mut();
            let stored = actions.get_mut("a").unwrap();
            stored.config["timeoutSeconds"] = json!(45);
            stored.version = 2;
        }
        let report = run(&fake, &org, &plan(&org, &["a"], 9), &quick());
        assert_eq!(
            report.results[0].outcome,
            Outcome::Conflict {
                remote: Timeout::Explicit(45)
            }
        );
        assert_eq!(fake.timeout_of("a"), Some(45));
        assert_eq!(
            report.overwrite_conflicts_plan().changes[0].before,
            Timeout::Explicit(45)
        );
    }

    #[test]
    fn endless_conflicts_give_up_after_three_rereads() {
        let fake = three();
        let org = load(&fake);
        *fake.before_patch.borrow_mut() = Some(Box::new(|fake, id| {
            fake.actions.borrow_mut().get_mut(id).unwrap().version += 1;
        }));
        let report = run(&fake, &org, &plan(&org, &["a"], 9), &quick());
        assert!(matches!(report.results[0].outcome, Outcome::Failed { .. }));
        assert_eq!(fake.requests(Method::Patch), 4);
    }

    #[test]
    fn a_dropped_patch_that_took_effect_is_recognised_as_applied() {
        let fake = three();
        let org = load(&fake);
        fake.inject(Method::Patch, "actions/a", Injected::ServeThenDrop);
        let report = run(&fake, &org, &plan(&org, &["a"], 9), &quick());
        assert!(
            report.results[0].outcome.is_applied(),
            "{:?}",
            report.results[0]
        );
        assert_eq!(fake.timeout_of("a"), Some(9));
        assert_eq!(fake.actions.borrow()["a"].version, 2);
    }

    #[test]
    fn a_401_stops_new_work_and_keeps_the_rest_for_resuming() {
        let fake = FakeGenesys::with_actions(&[
            ("a", Some(20)),
            ("b", Some(20)),
            ("c", Some(20)),
            ("d", Some(20)),
        ]);
        let org = load(&fake);
        let mut options = quick();
        options.concurrency = 1;
        fake.inject(
            Method::Patch,
            "actions/b",
            Injected::Respond(HttpResponse::new(401, "")),
        );
        let report = run(&fake, &org, &plan(&org, &["a", "b", "c", "d"], 9), &options);

        assert_eq!(report.stopped, Some(Stopped::SessionExpired));
        let outcomes: Vec<bool> = report
            .results
            .iter()
            .map(|r| r.outcome.is_applied())
            .collect();
        assert_eq!(outcomes, vec![true, false, false, false]);
        assert_eq!(fake.requests(Method::Patch), 2);
        let unfinished = report.unfinished_plan();
        assert_eq!(unfinished.changes.len(), 3);

        let resumed = run(&fake, &org, &unfinished, &options);
        assert_eq!(resumed.counts().applied, 3);
        assert!(
            ["a", "b", "c", "d"]
                .iter()
                .all(|id| fake.timeout_of(id) == Some(9))
        );
    }

    #[test]
    fn a_cancelled_apply_sends_nothing() {
        let fake = three();
        let org = load(&fake);
        let cancel = CancelFlag::new();
        cancel.cancel();
        let api = api(&fake);
        let report = block_on(apply(
            &api,
            &org,
            &plan(&org, &["a", "b"], 9),
            &quick(),
            &cancel,
            |_| {},
        ));
        assert_eq!(report.stopped, Some(Stopped::Cancelled));
        assert_eq!(report.counts().not_started, 2);
        assert_eq!(report.requests_sent, 0);
    }

    #[test]
    fn drafts_follow_only_when_they_had_the_old_timeout() {
        let fake = three();
        fake.add_draft("a", Some(20));
        fake.add_draft("b", Some(50));
        let org = load(&fake);
        let report = run(&fake, &org, &plan(&org, &["a", "b"], 9), &quick());
        assert_eq!(
            report.results[0].outcome,
            Outcome::Applied {
                new_version: 2,
                draft: DraftOutcome::Updated { new_version: 2 }
            }
        );
        assert_eq!(
            report.results[1].outcome,
            Outcome::Applied {
                new_version: 2,
                draft: DraftOutcome::LeftAlone {
                    draft: Timeout::Explicit(50)
                }
            }
        );
        assert_eq!(fake.drafts.borrow()["a"].config["timeoutSeconds"], json!(9));
        assert_eq!(
            fake.drafts.borrow()["b"].config["timeoutSeconds"],
            json!(50)
        );
        assert_eq!(report.updated_drafts.len(), 1);
    }

    #[test]
    fn a_reset_that_is_not_cleared_offers_an_explicit_sixty() {
        let fake = three();
        let org = load(&fake);
        // Genesys keeps the old value when the field is omitted.
        *fake.before_patch.borrow_mut() = Some(Box::new(|fake, id| {
            fake.actions.borrow_mut().get_mut(id).unwrap().name = format!("patched {id}");
        }));
        let edits = [Edit {
            action_id: "a".into(),
            timeout: Timeout::Default,
        }];
        let plan = Planner::new(&org, true).plan(&edits);
        let api = api(&fake);
        let report = block_on(apply(
            &api,
            &org,
            &plan,
            &quick(),
            &CancelFlag::new(),
            |event| {
                if let ApplyEvent::Verifying { .. } = event {
                    fake.actions.borrow_mut().get_mut("a").unwrap().config["timeoutSeconds"] =
                        json!(20);
                }
            },
        ));
        assert_eq!(
            report.results[0].verification,
            Some(Verification::DefaultNotCleared {
                kept: Timeout::Explicit(20)
            })
        );
        let sixty = report.explicit_sixty_plan();
        assert_eq!(sixty.changes[0].after, Timeout::Explicit(60));
        assert_eq!(sixty.changes[0].before, Timeout::Explicit(20));
    }

    #[test]
    fn templates_given_by_uri_are_inlined_before_the_write() {
        let fake = three();
        {
            let mut actions = fake.actions.borrow_mut();
            let stored = actions.get_mut("a").unwrap();
            stored.config["response"] = json!({"successTemplateUri": "/api/v2/integrations/actions/a/templates/successtemplate.vm"});
        }
        let org = load(&fake);
        let report = run(&fake, &org, &plan(&org, &["a"], 9), &quick());
        assert!(report.results[0].outcome.is_applied());
        let stored = fake.actions.borrow()["a"].config.clone();
        assert_eq!(
            stored["response"],
            json!({"successTemplate": "template successtemplate.vm"})
        );
        assert!(
            fake.log
                .borrow()
                .iter()
                .any(|l| l.contains("templates/successtemplate.vm"))
        );
    }

    #[test]
    fn rerunning_a_finished_plan_from_stale_state_changes_nothing() {
        let fake = three();
        let org = load(&fake);
        let plan = plan(&org, &["a"], 9);
        let first = run(&fake, &org, &plan, &quick());
        assert!(first.results[0].outcome.is_applied());

        // The loaded state still says version 1: the PATCH is refused as stale, the re-read
        // finds the target already in place, and the change counts as applied.
        let again = run(&fake, &org, &plan, &quick());
        assert!(again.results[0].outcome.is_applied());
        assert_eq!(fake.requests(Method::Patch), 2);
        assert_eq!(fake.actions.borrow()["a"].version, 2);
        assert_eq!(fake.timeout_of("a"), Some(9));
    }

    #[test]
    fn the_estimate_counts_patches_drafts_and_rereads() {
        let change = |warnings| Change {
            action_id: "a".into(),
            action_name: "a".into(),
            before: Timeout::Explicit(5),
            after: Timeout::Explicit(6),
            warnings,
        };
        let mut changes = vec![change(Vec::new()); 400];
        changes.extend(vec![
            change(vec![crate::plan::Warning::DraftWillBeUpdated]);
            100
        ]);
        let plan = Plan {
            changes,
            skipped: Vec::new(),
        };
        // 500 PATCHes + 100 draft PATCHes + 10 re-reads = 610 requests: 310 over the budget
        // of 300, at 5 per second.
        assert_eq!(
            estimated_duration(&plan, &ApplyOptions::default()),
            Duration::from_secs(62)
        );
    }

    #[test]
    fn the_rate_limit_floor_counts_only_what_exceeds_the_budget() {
        assert_eq!(rate_limit_floor(600, 300), Duration::from_secs(60));
        assert_eq!(rate_limit_floor(200, 300), Duration::ZERO);
        assert_eq!(rate_limit_floor(301, 60), Duration::from_secs(241));
    }
}
