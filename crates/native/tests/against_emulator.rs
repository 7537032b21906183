//! The core's loader and apply engine over real HTTP against the in-process emulator. After
//! each scenario the emulator's stored state is checked: every change applied or reported,
//! nothing else altered.

// A panic in a test is a failed test with a useful message (as clippy.toml allows in unit tests).
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use genesys_emulator::{
    AdminEdit, Emulator, EmulatorConfig, FailureMode, Faults, Quirk, Seed, TimeoutEdit,
};
use serde_json::Value;
use timeouts_core::api::Api;
use timeouts_core::auth::AccessToken;
use timeouts_core::engine::{
    ApplyEvent, ApplyOptions, ApplyReport, CancelFlag, DraftOutcome, Outcome, Stopped,
    Verification, apply,
};
use timeouts_core::load::{LoadEvent, LoadOptions, LoadedOrg, load_org};
use timeouts_core::model::Action;
use timeouts_core::plan::{BulkOp, Edit, Plan, Planner};
use timeouts_core::region::Environment;
use timeouts_core::timeout::Timeout;
use timeouts_core::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use timeouts_core::undo::inverse_plan;
use timeouts_native::ReqwestTransport;

const ADMIN: &str = "a5e00000-0000-4000-8000-000000000001";
const OTHER_ADMIN: &str = "a5e00000-0000-4000-8000-000000000004";

/// Records every request body sent, to check what went over the wire.
struct Recording {
    inner: ReqwestTransport,
    sent: RefCell<Vec<HttpRequest>>,
}

impl Transport for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.inner.send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await;
    }
}

struct Setup {
    emulator: Emulator,
    environment: Environment,
}

impl Setup {
    async fn start(seed: Seed, quirks: &[Quirk]) -> Setup {
        let config = EmulatorConfig {
            seed,
            quirks: quirks.to_vec(),
            ..EmulatorConfig::default()
        };
        let emulator = genesys_emulator::start(config)
            .await
            .expect("emulator starts");
        let environment = Environment::Custom {
            api_base: emulator.api_url().to_string(),
            login_base: emulator.login_url().to_string(),
        };
        Setup {
            emulator,
            environment,
        }
    }

    fn token(&self, user: &str) -> AccessToken {
        let issued = self.emulator.issue_user_token(user).expect("token");
        AccessToken {
            token: issued.access_token,
            expires_in: Some(issued.expires_in),
        }
    }

    fn api(&self) -> Api<Recording> {
        self.api_for(ADMIN)
    }

    fn api_for(&self, user: &str) -> Api<Recording> {
        let transport = Recording {
            inner: ReqwestTransport::new().expect("client"),
            sent: RefCell::new(Vec::new()),
        };
        Api::new(transport, &self.environment, &self.token(user))
    }

    async fn load(&self, api: &Api<Recording>) -> LoadedOrg {
        load_org(api, &LoadOptions::default(), &CancelFlag::new(), |_| {})
            .await
            .expect("load")
    }

    fn stored(&self, id: &str) -> Value {
        self.emulator.stored_action(id).expect("stored action")
    }

    fn stored_draft(&self, id: &str) -> Value {
        self.emulator.stored_draft(id).expect("stored draft")
    }

    /// Every stored action (and draft) by id, to compare before and after.
    fn stored_all(&self, org: &LoadedOrg) -> HashMap<String, (Value, Option<Value>)> {
        org.actions()
            .iter()
            .map(|a| {
                let draft = self.emulator.stored_draft(&a.id).ok();
                (a.id.clone(), (self.stored(&a.id), draft))
            })
            .collect()
    }

    async fn shutdown(self) {
        self.emulator.shutdown().await;
    }
}

fn stored_timeout(stored: &Value) -> Timeout {
    Timeout::from_wire(stored["config"].get("timeoutSeconds"))
}

/// A stored action with its timeout and version taken out: what must not change.
fn without_timeout_and_version(stored: &Value) -> Value {
    let mut copy = stored.clone();
    copy["config"]
        .as_object_mut()
        .map(|c| c.shift_remove("timeoutSeconds"));
    copy.as_object_mut().map(|o| o.shift_remove("version"));
    copy
}

/// Editable actions with an explicit timeout other than `target` and no draft, for plain
/// changes to `target`.
fn plain_actions(org: &LoadedOrg, target: u8) -> Vec<&Action> {
    let planner = Planner::new(org, true);
    org.actions()
        .iter()
        .filter(|a| org.draft(&a.id).is_none())
        .filter(|a| matches!(a.timeout(), Some(Timeout::Explicit(s)) if s != target))
        .filter(|a| {
            let probe = planner.plan(&[Edit {
                action_id: a.id.clone(),
                timeout: Timeout::Explicit(target),
            }]);
            probe.changes.len() == 1 && probe.changes[0].warnings.is_empty()
        })
        .collect()
}

fn plan_for(org: &LoadedOrg, ids: &[String], timeout: Timeout) -> Plan {
    let edits: Vec<Edit> = ids
        .iter()
        .map(|id| Edit {
            action_id: id.clone(),
            timeout,
        })
        .collect();
    Planner::new(org, true).plan(&edits)
}

async fn run(api: &Api<Recording>, org: &LoadedOrg, plan: &Plan) -> ApplyReport {
    apply(
        api,
        org,
        plan,
        &ApplyOptions::default(),
        &CancelFlag::new(),
        |_| {},
    )
    .await
}

/// Checks that every changed action holds its new timeout with everything else as before,
/// and that no other action or draft was touched.
fn assert_only_changed(
    setup: &Setup,
    before: &HashMap<String, (Value, Option<Value>)>,
    changed: &HashMap<String, Timeout>,
) {
    for (id, (old, old_draft)) in before {
        let now = setup.stored(id);
        match changed.get(id) {
            Some(timeout) => {
                assert_eq!(stored_timeout(&now), *timeout, "timeout of {id}");
                assert_eq!(
                    without_timeout_and_version(&now),
                    without_timeout_and_version(old),
                    "other fields of {id}"
                );
                assert_eq!(now["version"], old["version"].as_u64().unwrap() + 1);
            }
            None => assert_eq!(&now, old, "untouched action {id}"),
        }
        if !changed.contains_key(id) {
            assert_eq!(
                &setup.emulator.stored_draft(id).ok(),
                old_draft,
                "draft of {id}"
            );
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_loader_pages_through_a_large_org_with_progress() {
    let setup = Setup::start("large:2500".parse().unwrap(), &[]).await;
    let api = setup.api();
    let mut progress = Vec::new();
    let mut shown = 0;
    let org = load_org(
        &api,
        &LoadOptions::default(),
        &CancelFlag::new(),
        |event| match event {
            LoadEvent::Progress { done, total } => progress.push((done, total)),
            LoadEvent::Actions(actions) => shown += actions.len(),
            LoadEvent::RateLimited { .. } => {}
        },
    )
    .await
    .unwrap();

    assert!(
        org.actions().len() >= 2500,
        "{} actions",
        org.actions().len()
    );
    let mut ids: Vec<&str> = org.actions().iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), org.actions().len(), "no action listed twice");
    assert_eq!(shown, org.actions().len());
    assert!(org.actions().iter().all(|a| a.config.is_some()));
    let (done, total) = *progress.last().unwrap();
    assert_eq!(done, total);
    assert!(total >= 25, "{total} pages");
    let listing_requests = api
        .transport()
        .sent
        .borrow()
        .iter()
        .filter(|r| r.url.contains("pageSize=100"))
        .count();
    assert_eq!(listing_requests as u32, total);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_listing_without_config_is_completed_by_single_reads() {
    let setup = Setup::start(Seed::Demo, &[Quirk::ListIgnoresIncludeConfig]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    assert!(!org.actions().is_empty());
    assert!(org.actions().iter().all(|a| a.config.is_some()));
    assert!(org.drafts().iter().all(|d| d.config.is_some()));
    for action in org.actions() {
        assert_eq!(
            action.timeout(),
            Some(stored_timeout(&setup.stored(&action.id)))
        );
    }

    // The verification re-read falls back to single reads too.
    let ids: Vec<String> = plain_actions(&org, 8)
        .iter()
        .take(2)
        .map(|a| a.id.clone())
        .collect();
    let report = run(&api, &org, &plan_for(&org, &ids, Timeout::Explicit(8))).await;
    for result in &report.results {
        assert_eq!(result.verification, Some(Verification::Confirmed));
    }
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_apply_changes_only_the_timeouts_it_planned() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let ids: Vec<String> = plain_actions(&org, 7)
        .iter()
        .take(5)
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(ids.len(), 5);
    let before = setup.stored_all(&org);

    let plan = plan_for(&org, &ids, Timeout::Explicit(7));
    let report = run(&api, &org, &plan).await;

    assert_eq!(report.counts().applied, 5, "{:?}", report.results);
    assert!(report.stopped.is_none());
    for result in &report.results {
        assert_eq!(result.verification, Some(Verification::Confirmed));
    }
    let changed = ids
        .iter()
        .map(|id| (id.clone(), Timeout::Explicit(7)))
        .collect();
    assert_only_changed(&setup, &before, &changed);

    // Five PATCHes and one batched re-read, nothing else.
    let sent = api.transport().sent.borrow().clone();
    let after_load: Vec<_> = sent.iter().rev().take(6).collect();
    assert_eq!(
        after_load
            .iter()
            .filter(|r| r.method.as_str() == "PATCH")
            .count(),
        5
    );
    assert_eq!(report.requests_sent, 6);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn unknown_config_fields_are_sent_back_unchanged() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let mut org = setup.load(&api).await;
    let id = plain_actions(&org, 9)[0].id.clone();
    // Genesys may add config fields this code does not know; pretend it just did.
    let mut action = org.action(&id).unwrap().clone();
    let config = action.config.as_mut().unwrap();
    config.0.insert(
        "futureSetting".into(),
        serde_json::json!({"nested": [1, "two", null]}),
    );
    config.0["request"]
        .as_object_mut()
        .unwrap()
        .insert("retryPolicy".into(), serde_json::json!("exponential"));
    let read_config = config.clone();
    org.update_actions([action]);

    let report = run(
        &api,
        &org,
        &plan_for(&org, std::slice::from_ref(&id), Timeout::Explicit(9)),
    )
    .await;
    assert!(report.results[0].outcome.is_applied());

    let sent = api.transport().sent.borrow().clone();
    let patch = sent.iter().find(|r| r.method.as_str() == "PATCH").unwrap();
    let body: Value = serde_json::from_str(patch.body.as_deref().unwrap()).unwrap();
    let sent_config: timeouts_core::model::ActionConfig =
        serde_json::from_value(body["config"].clone()).unwrap();
    assert_eq!(sent_config.without_timeout(), read_config.without_timeout());
    assert_eq!(sent_config.timeout(), Timeout::Explicit(9));
    assert_eq!(stored_timeout(&setup.stored(&id)), Timeout::Explicit(9));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn templates_given_by_uri_are_fetched_and_kept() {
    let setup = Setup::start(Seed::Demo, &[Quirk::TemplatesAsUris]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let with_uris: Vec<String> = plain_actions(&org, 11)
        .iter()
        .filter(|a| !a.config.as_ref().unwrap().templates_by_uri().is_empty())
        .take(3)
        .map(|a| a.id.clone())
        .collect();
    assert!(!with_uris.is_empty());
    let before = setup.stored_all(&org);

    let report = run(
        &api,
        &org,
        &plan_for(&org, &with_uris, Timeout::Explicit(11)),
    )
    .await;
    assert_eq!(report.counts().applied, with_uris.len());
    let changed = with_uris
        .iter()
        .map(|id| (id.clone(), Timeout::Explicit(11)))
        .collect();
    assert_only_changed(&setup, &before, &changed);
    let template_reads = api
        .transport()
        .sent
        .borrow()
        .iter()
        .filter(|r| r.url.contains("/templates/"))
        .count();
    assert!(template_reads >= with_uris.len());
    setup.shutdown().await;
}

async fn concurrent_rename_is_retried_and_kept(quirks: &[Quirk]) {
    let setup = Setup::start(Seed::Demo, quirks).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let id = plain_actions(&org, 13)[0].id.clone();

    // Another admin renames the action after it was loaded: the version moves on.
    let edit = AdminEdit {
        name: Some("Renamed by a colleague".into()),
        ..AdminEdit::default()
    };
    setup.emulator.edit_action(&id, &edit).unwrap();

    let report = run(
        &api,
        &org,
        &plan_for(&org, std::slice::from_ref(&id), Timeout::Explicit(13)),
    )
    .await;
    let stored = setup.stored(&id);
    assert!(
        report.results[0].outcome.is_applied(),
        "{:?}",
        report.results[0]
    );
    assert_eq!(stored["name"], "Renamed by a colleague");
    assert_eq!(stored_timeout(&stored), Timeout::Explicit(13));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_409_from_a_concurrent_edit_is_retried_keeping_the_other_edit() {
    concurrent_rename_is_retried_and_kept(&[]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_400_version_mismatch_is_treated_like_a_409() {
    concurrent_rename_is_retried_and_kept(&[Quirk::VersionMismatch400]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn another_admins_template_edit_is_kept_on_retry() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let id = plain_actions(&org, 14)
        .iter()
        .find(|a| {
            a.config.as_ref().unwrap().0["response"]
                .get("successTemplate")
                .is_some()
        })
        .map(|a| a.id.clone())
        .unwrap();

    // The colleague edits the success template through the API with their own token.
    let colleague = setup.api_for(OTHER_ADMIN);
    let mut theirs = colleague.action(&id).await.unwrap();
    let mut config = theirs.config.clone().unwrap();
    config.0["response"]["successTemplate"] = Value::String("{\"edited\": true}".into());
    theirs.config = Some(config.clone());
    let update = timeouts_core::model::UpdateActionInput::for_action(&theirs, config);
    colleague.patch_action(&id, &update).await.unwrap();

    let report = run(
        &api,
        &org,
        &plan_for(&org, std::slice::from_ref(&id), Timeout::Explicit(14)),
    )
    .await;
    assert!(report.results[0].outcome.is_applied());
    let stored = setup.stored(&id);
    assert_eq!(
        stored["config"]["response"]["successTemplate"],
        "{\"edited\": true}"
    );
    assert_eq!(stored_timeout(&stored), Timeout::Explicit(14));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_concurrent_timeout_change_is_a_conflict_showing_the_remote_value() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let ids: Vec<String> = plain_actions(&org, 6)
        .iter()
        .take(2)
        .map(|a| a.id.clone())
        .collect();
    let edit = AdminEdit {
        timeout: TimeoutEdit::Set(42),
        ..AdminEdit::default()
    };
    setup.emulator.edit_action(&ids[0], &edit).unwrap();
    let theirs = setup.stored(&ids[0]);

    let plan = plan_for(&org, &ids, Timeout::Explicit(6));
    let report = run(&api, &org, &plan).await;
    assert_eq!(
        report.results[0].outcome,
        Outcome::Conflict {
            remote: Timeout::Explicit(42)
        }
    );
    assert!(report.results[1].outcome.is_applied());
    assert_eq!(
        setup.stored(&ids[0]),
        theirs,
        "the colleague's change stands"
    );

    // The person decides to overwrite.
    let mut org = org;
    org.update_actions(report.updated_actions.clone());
    let overwrite = report.overwrite_conflicts_plan();
    assert_eq!(overwrite.changes[0].before, Timeout::Explicit(42));
    let second = run(&api, &org, &overwrite).await;
    assert!(second.results[0].outcome.is_applied());
    assert_eq!(stored_timeout(&setup.stored(&ids[0])), Timeout::Explicit(6));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_429_storm_pauses_everyone_and_still_finishes() {
    for quirks in [vec![], vec![Quirk::NoRetryAfter]] {
        let setup = Setup::start(Seed::Demo, &quirks).await;
        let api = setup.api();
        let org = setup.load(&api).await;
        let ids: Vec<String> = plain_actions(&org, 9)
            .iter()
            .take(6)
            .map(|a| a.id.clone())
            .collect();
        let before = setup.stored_all(&org);
        setup.emulator.force_rate_limit_burst(6, 1);

        let mut pauses = Vec::new();
        let plan = plan_for(&org, &ids, Timeout::Explicit(9));
        let report = apply(
            &api,
            &org,
            &plan,
            &ApplyOptions::default(),
            &CancelFlag::new(),
            |event| {
                if let ApplyEvent::RateLimited { pause } = event {
                    pauses.push(pause);
                }
            },
        )
        .await;

        assert_eq!(
            report.counts().applied,
            ids.len(),
            "{quirks:?}: {:?}",
            report.results
        );
        assert_eq!(report.rate_limited, 6);
        assert_eq!(pauses.len(), 6);
        let changed = ids
            .iter()
            .map(|id| (id.clone(), Timeout::Explicit(9)))
            .collect();
        assert_only_changed(&setup, &before, &changed);
        setup.shutdown().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn server_errors_and_dropped_connections_are_retried() {
    for mode in [FailureMode::Status, FailureMode::Drop] {
        let setup = Setup::start(Seed::Demo, &[]).await;
        let api = setup.api();
        let org = setup.load(&api).await;
        let ids: Vec<String> = plain_actions(&org, 17)
            .iter()
            .take(4)
            .map(|a| a.id.clone())
            .collect();
        let before = setup.stored_all(&org);
        setup.emulator.set_faults(Faults {
            fail_next: 2,
            fail_mode: mode,
            fail_status: 503,
            ..Faults::default()
        });

        let report = run(&api, &org, &plan_for(&org, &ids, Timeout::Explicit(17))).await;
        assert_eq!(
            report.counts().applied,
            ids.len(),
            "{mode:?}: {:?}",
            report.results
        );
        assert!(report.requests_sent > ids.len() as u64 + 2);
        let changed = ids
            .iter()
            .map(|id| (id.clone(), Timeout::Explicit(17)))
            .collect();
        assert_only_changed(&setup, &before, &changed);
        setup.shutdown().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn persistent_server_errors_fail_the_change_after_three_attempts() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let id = plain_actions(&org, 3)[0].id.clone();
    let before = setup.stored(&id);
    setup.emulator.set_faults(Faults {
        fail_next: 3,
        fail_status: 500,
        ..Faults::default()
    });
    let report = run(
        &api,
        &org,
        &plan_for(&org, std::slice::from_ref(&id), Timeout::Explicit(3)),
    )
    .await;
    match &report.results[0].outcome {
        Outcome::Failed { reason } => assert!(reason.contains("500"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(report.requests_sent, 3);
    assert_eq!(setup.stored(&id), before);
    assert_eq!(report.failed_plan().changes.len(), 1);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_session_that_expires_mid_apply_stops_and_resumes_with_a_new_token() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let ids: Vec<String> = plain_actions(&org, 4)
        .iter()
        .take(12)
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(ids.len(), 12);
    let before = setup.stored_all(&org);
    let plan = plan_for(&org, &ids, Timeout::Explicit(4));

    let options = ApplyOptions {
        concurrency: 2,
        ..ApplyOptions::default()
    };
    let emulator = &setup.emulator;
    let report = apply(&api, &org, &plan, &options, &CancelFlag::new(), |event| {
        if let ApplyEvent::ChangeFinished { done: 3, .. } = event {
            emulator.expire_all_tokens();
        }
    })
    .await;

    assert_eq!(report.stopped, Some(Stopped::SessionExpired));
    let counts = report.counts();
    assert!(counts.applied >= 3, "{counts:?}");
    assert!(counts.not_started >= 1, "{counts:?}");
    assert_eq!(counts.applied + counts.not_started, 12, "{counts:?}");
    for result in &report.results {
        let stored = stored_timeout(&setup.stored(&result.change.action_id));
        match result.outcome {
            Outcome::Applied { .. } => assert_eq!(stored, Timeout::Explicit(4)),
            _ => assert_eq!(
                stored, result.change.before,
                "{} is untouched",
                result.change.action_id
            ),
        }
    }

    // Sign in again and resume.
    let api = setup.api();
    let mut org = org;
    org.update_actions(report.updated_actions.clone());
    let resumed = run(&api, &org, &report.unfinished_plan()).await;
    assert_eq!(resumed.counts().applied, counts.not_started);
    let changed = ids
        .iter()
        .map(|id| (id.clone(), Timeout::Explicit(4)))
        .collect();
    assert_only_changed(&setup, &before, &changed);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn cancelling_stops_new_work_and_leaves_the_rest_untouched() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let ids: Vec<String> = plain_actions(&org, 5)
        .iter()
        .take(10)
        .map(|a| a.id.clone())
        .collect();
    let plan = plan_for(&org, &ids, Timeout::Explicit(5));
    let cancel = CancelFlag::new();
    let options = ApplyOptions {
        concurrency: 1,
        ..ApplyOptions::default()
    };
    let report = apply(&api, &org, &plan, &options, &cancel, |event| {
        if let ApplyEvent::ChangeFinished { done: 2, .. } = event {
            cancel.cancel();
        }
    })
    .await;

    assert_eq!(report.stopped, Some(Stopped::Cancelled));
    let counts = report.counts();
    assert_eq!(
        (counts.applied, counts.not_started),
        (2, ids.len() - 2),
        "{counts:?}"
    );
    for result in &report.results {
        let stored = stored_timeout(&setup.stored(&result.change.action_id));
        let expected = if result.outcome.is_applied() {
            Timeout::Explicit(5)
        } else {
            result.change.before
        };
        assert_eq!(stored, expected);
    }
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn drafts_with_the_old_timeout_follow_and_others_are_left_alone() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let editable = |a: &&Action| {
        Planner::new(&org, true)
            .plan(&[Edit {
                action_id: a.id.clone(),
                timeout: Timeout::Explicit(2),
            }])
            .changes
            .len()
            == 1
    };
    let same = org
        .actions()
        .iter()
        .filter(editable)
        .find(|a| org.draft(&a.id).and_then(Action::timeout) == a.timeout())
        .unwrap()
        .id
        .clone();
    let own = org
        .actions()
        .iter()
        .filter(editable)
        .find(|a| {
            let draft = org.draft(&a.id).and_then(Action::timeout);
            draft.is_some() && draft != a.timeout() && draft != Some(Timeout::Explicit(2))
        })
        .unwrap()
        .id
        .clone();
    let own_draft_before = setup.stored_draft(&own);
    let same_draft_before = setup.stored_draft(&same);

    let report = run(
        &api,
        &org,
        &plan_for(&org, &[same.clone(), own.clone()], Timeout::Explicit(2)),
    )
    .await;
    match &report.results[0].outcome {
        Outcome::Applied {
            draft: DraftOutcome::Updated { new_version },
            ..
        } => {
            assert_eq!(
                *new_version,
                same_draft_before["version"].as_u64().unwrap() + 1
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        report.results[1].outcome,
        Outcome::Applied {
            draft: DraftOutcome::LeftAlone { .. },
            ..
        }
    ));
    let same_draft = setup.stored_draft(&same);
    assert_eq!(stored_timeout(&same_draft), Timeout::Explicit(2));
    assert_eq!(
        without_timeout_and_version(&same_draft),
        without_timeout_and_version(&same_draft_before)
    );
    assert_eq!(setup.stored_draft(&own), own_draft_before);
    assert_eq!(stored_timeout(&setup.stored(&own)), Timeout::Explicit(2));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn draft_updates_can_be_switched_off() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let same = org
        .actions()
        .iter()
        .find(|a| {
            org.draft(&a.id).and_then(Action::timeout) == a.timeout()
                && !a.id.starts_with("customAuth")
                && !a.id.starts_with("static")
                && a.timeout() != Some(Timeout::Explicit(2))
        })
        .unwrap()
        .id
        .clone();
    let draft_before = setup.stored_draft(&same);
    let options = ApplyOptions {
        update_drafts: false,
        ..ApplyOptions::default()
    };
    let plan = plan_for(&org, std::slice::from_ref(&same), Timeout::Explicit(2));
    let report = apply(&api, &org, &plan, &options, &CancelFlag::new(), |_| {}).await;
    assert!(matches!(
        report.results[0].outcome,
        Outcome::Applied {
            draft: DraftOutcome::SwitchedOff { .. },
            ..
        }
    ));
    assert_eq!(setup.stored_draft(&same), draft_before);
    assert_eq!(stored_timeout(&setup.stored(&same)), Timeout::Explicit(2));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn reset_to_default_clears_the_timeout_and_is_verified() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let ids: Vec<String> = plain_actions(&org, 60)
        .iter()
        .take(3)
        .map(|a| a.id.clone())
        .collect();
    let before = setup.stored_all(&org);
    let plan =
        Planner::new(&org, true).plan_bulk(ids.iter().map(String::as_str), BulkOp::ResetToDefault);
    let report = run(&api, &org, &plan).await;
    for result in &report.results {
        assert_eq!(result.verification, Some(Verification::Confirmed));
    }
    assert!(report.explicit_sixty_plan().is_empty());
    let changed = ids
        .iter()
        .map(|id| (id.clone(), Timeout::Default))
        .collect();
    assert_only_changed(&setup, &before, &changed);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_reset_that_genesys_ignores_is_reported_and_sixty_is_offered() {
    let setup = Setup::start(Seed::Demo, &[Quirk::PatchKeepsOmittedTimeout]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let id = plain_actions(&org, 60)[0].id.clone();
    let old = org.action(&id).unwrap().timeout().unwrap();
    let plan = Planner::new(&org, true).plan_bulk([id.as_str()], BulkOp::ResetToDefault);
    let report = run(&api, &org, &plan).await;
    assert_eq!(
        report.results[0].verification,
        Some(Verification::DefaultNotCleared { kept: old })
    );
    assert_eq!(stored_timeout(&setup.stored(&id)), old);

    let mut org = org;
    org.update_actions(report.updated_actions.clone());
    let sixty = report.explicit_sixty_plan();
    assert_eq!(sixty.changes.len(), 1);
    let second = run(&api, &org, &sixty).await;
    assert_eq!(
        second.results[0].verification,
        Some(Verification::Confirmed)
    );
    assert_eq!(stored_timeout(&setup.stored(&id)), Timeout::Explicit(60));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn undo_puts_the_previous_timeouts_back() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let ids: Vec<String> = plain_actions(&org, 21)
        .iter()
        .take(4)
        .map(|a| a.id.clone())
        .collect();
    let before = setup.stored_all(&org);
    let report = run(&api, &org, &plan_for(&org, &ids, Timeout::Explicit(21))).await;
    assert_eq!(report.counts().applied, 4);

    // Undo from the state before the apply: the engine's version check copes.
    let undo = run(&api, &org, &inverse_plan(&report)).await;
    assert_eq!(undo.counts().applied, 4, "{:?}", undo.results);
    for id in &ids {
        let (old, _) = &before[id];
        let now = setup.stored(id);
        assert_eq!(stored_timeout(&now), stored_timeout(old));
        assert_eq!(
            without_timeout_and_version(&now),
            without_timeout_and_version(old)
        );
        assert_eq!(now["version"], old["version"].as_u64().unwrap() + 2);
    }
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn verification_reports_a_change_made_after_the_write() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let id = plain_actions(&org, 10)[0].id.clone();
    let emulator = &setup.emulator;
    let plan = plan_for(&org, std::slice::from_ref(&id), Timeout::Explicit(10));
    let report = apply(
        &api,
        &org,
        &plan,
        &ApplyOptions::default(),
        &CancelFlag::new(),
        |event| {
            if let ApplyEvent::Verifying { .. } = event {
                let edit = AdminEdit {
                    timeout: TimeoutEdit::Set(33),
                    ..AdminEdit::default()
                };
                emulator.edit_action(&id, &edit).unwrap();
            }
        },
    )
    .await;
    assert_eq!(
        report.results[0].verification,
        Some(Verification::Mismatch {
            remote: Timeout::Explicit(33)
        })
    );
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn read_only_actions_in_a_plan_are_skipped_without_a_request() {
    let setup = Setup::start(Seed::Demo, &[]).await;
    let api = setup.api();
    let org = setup.load(&api).await;
    let read_only: Vec<&Action> = org
        .actions()
        .iter()
        .filter(|a| a.id.starts_with("customAuth") || a.id.starts_with("static"))
        .collect();
    assert!(read_only.len() >= 2);
    let before = setup.stored_all(&org);
    // A stored or imported plan can name them even though the planner would not.
    let plan = Plan {
        changes: read_only
            .iter()
            .map(|a| timeouts_core::plan::Change {
                action_id: a.id.clone(),
                action_name: a.name.clone(),
                before: a.timeout().unwrap(),
                after: Timeout::Explicit(3),
                warnings: Vec::new(),
            })
            .collect(),
        skipped: Vec::new(),
    };
    let report = run(&api, &org, &plan).await;
    assert_eq!(report.counts().skipped, read_only.len());
    assert_eq!(report.requests_sent, 0);
    assert_only_changed(&setup, &before, &HashMap::new());
    setup.shutdown().await;
}
