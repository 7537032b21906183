//! The core's loader and apply engine over real HTTP against the in-process emulator. After
//! each scenario the emulator's stored state is checked: every change applied or reported,
//! nothing else altered.

// A panic in a test is a failed test with a useful message (as clippy.toml allows in unit tests).
#![allow(clippy::unwrap_used)]

mod support;

use genesys_emulator::{AdminEdit, FailureMode, Faults, Quirk, Seed};
use serde_json::Value;
use timeouts_core::engine::{
    ApplyEvent, ApplyOptions, CancelFlag, DraftOutcome, Outcome, Stopped, Verification, apply,
};
use timeouts_core::load::{LoadEvent, LoadOptions, load_org};
use timeouts_core::model::Action;
use timeouts_core::plan::{BulkOp, Change, Edit, Plan, Planner};
use timeouts_core::timeout::Timeout;
use timeouts_core::undo::inverse_plan;

use support::{
    OTHER_ADMIN, Setup, assert_all_confirmed, plain_actions, plain_id, plain_ids, plan_for,
    refreshed, run, run_watching, set_all, stored_timeout, version, without_timeout_and_version,
};

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
    let listing_requests = api.transport().count(|r| r.url.contains("pageSize=100"));
    assert_eq!(listing_requests as u32, total);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_listing_without_config_is_completed_by_single_reads() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[Quirk::ListIgnoresIncludeConfig]).await;
    assert!(!org.actions().is_empty());
    assert!(org.actions().iter().all(|a| a.config.is_some()));
    assert!(org.drafts().iter().all(|d| d.config.is_some()));
    for action in org.actions() {
        assert_eq!(action.timeout(), Some(setup.timeout_of(&action.id)));
    }

    // The verification re-read falls back to single reads too.
    let ids = plain_ids(&org, 8, 2);
    let report = set_all(&api, &org, &ids, Timeout::Explicit(8)).await;
    assert_all_confirmed(&report);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_apply_changes_only_the_timeouts_it_planned() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let ids = plain_ids(&org, 7, 5);
    assert_eq!(ids.len(), 5);
    let before = setup.snapshot(&org);

    let report = set_all(&api, &org, &ids, Timeout::Explicit(7)).await;

    assert_eq!(report.counts().applied, 5, "{:?}", report.results);
    assert!(report.stopped.is_none());
    assert_all_confirmed(&report);
    setup.assert_only_set(&before, &ids, Timeout::Explicit(7));

    // Five PATCHes and one batched re-read, nothing else.
    let sent = api.transport().sent();
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
    let (setup, api, mut org) = Setup::loaded(Seed::Demo, &[]).await;
    let id = plain_id(&org, 9);
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

    let report = set_all(&api, &org, std::slice::from_ref(&id), Timeout::Explicit(9)).await;
    assert!(report.results[0].outcome.is_applied());

    let sent = api.transport().sent();
    let patch = sent.iter().find(|r| r.method.as_str() == "PATCH").unwrap();
    let body: Value = serde_json::from_str(patch.body.as_deref().unwrap()).unwrap();
    let sent_config: timeouts_core::model::ActionConfig =
        serde_json::from_value(body["config"].clone()).unwrap();
    assert_eq!(sent_config.without_timeout(), read_config.without_timeout());
    assert_eq!(sent_config.timeout(), Timeout::Explicit(9));
    assert_eq!(setup.timeout_of(&id), Timeout::Explicit(9));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn templates_given_by_uri_are_fetched_and_kept() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[Quirk::TemplatesAsUris]).await;
    let with_uris: Vec<String> = plain_actions(&org, 11)
        .iter()
        .filter(|a| !a.config.as_ref().unwrap().templates_by_uri().is_empty())
        .take(3)
        .map(|a| a.id.clone())
        .collect();
    assert!(!with_uris.is_empty());
    let before = setup.snapshot(&org);

    let report = set_all(&api, &org, &with_uris, Timeout::Explicit(11)).await;

    assert_eq!(report.counts().applied, with_uris.len());
    setup.assert_only_set(&before, &with_uris, Timeout::Explicit(11));
    let template_reads = api.transport().count(|r| r.url.contains("/templates/"));
    assert!(template_reads >= with_uris.len());
    setup.shutdown().await;
}

async fn concurrent_rename_is_retried_and_kept(quirks: &[Quirk]) {
    let (setup, api, org) = Setup::loaded(Seed::Demo, quirks).await;
    let id = plain_id(&org, 13);

    // Another admin renames the action after it was loaded: the version moves on.
    let edit = AdminEdit {
        name: Some("Renamed by a colleague".into()),
        ..AdminEdit::default()
    };
    setup.emulator.edit_action(&id, &edit).unwrap();

    let report = set_all(&api, &org, std::slice::from_ref(&id), Timeout::Explicit(13)).await;
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
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
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

    let report = set_all(&api, &org, std::slice::from_ref(&id), Timeout::Explicit(14)).await;
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
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let ids = plain_ids(&org, 6, 2);
    setup.colleague_sets_timeout(&ids[0], 42);
    let theirs = setup.stored(&ids[0]);

    let report = set_all(&api, &org, &ids, Timeout::Explicit(6)).await;
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
    let org = refreshed(org, &report);
    let overwrite = report.overwrite_conflicts_plan();
    assert_eq!(overwrite.changes[0].before, Timeout::Explicit(42));
    let second = run(&api, &org, &overwrite).await;
    assert!(second.results[0].outcome.is_applied());
    assert_eq!(setup.timeout_of(&ids[0]), Timeout::Explicit(6));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_429_storm_pauses_everyone_and_still_finishes() {
    for quirks in [vec![], vec![Quirk::NoRetryAfter]] {
        let (setup, api, org) = Setup::loaded(Seed::Demo, &quirks).await;
        let ids = plain_ids(&org, 9, 6);
        let before = setup.snapshot(&org);
        setup.emulator.force_rate_limit_burst(6, 1);

        let mut pauses = Vec::new();
        let plan = plan_for(&org, &ids, Timeout::Explicit(9));
        let report = run_watching(&api, &org, &plan, |event| {
            if let ApplyEvent::RateLimited { pause } = event {
                pauses.push(pause);
            }
        })
        .await;

        assert_eq!(
            report.counts().applied,
            ids.len(),
            "{quirks:?}: {:?}",
            report.results
        );
        assert_eq!(report.rate_limited, 6);
        assert_eq!(pauses.len(), 6);
        setup.assert_only_set(&before, &ids, Timeout::Explicit(9));
        setup.shutdown().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn server_errors_and_dropped_connections_are_retried() {
    for mode in [FailureMode::Status, FailureMode::Drop] {
        let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
        let ids = plain_ids(&org, 17, 4);
        let before = setup.snapshot(&org);
        setup.emulator.set_faults(Faults {
            fail_next: 2,
            fail_mode: mode,
            fail_status: 503,
            ..Faults::default()
        });

        let report = set_all(&api, &org, &ids, Timeout::Explicit(17)).await;

        assert_eq!(
            report.counts().applied,
            ids.len(),
            "{mode:?}: {:?}",
            report.results
        );
        assert!(report.requests_sent > ids.len() as u64 + 2);
        setup.assert_only_set(&before, &ids, Timeout::Explicit(17));
        setup.shutdown().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn persistent_server_errors_fail_the_change_after_three_attempts() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let id = plain_id(&org, 3);
    let before = setup.stored(&id);
    setup.emulator.set_faults(Faults {
        fail_next: 3,
        fail_status: 500,
        ..Faults::default()
    });

    let report = set_all(&api, &org, std::slice::from_ref(&id), Timeout::Explicit(3)).await;

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
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let ids = plain_ids(&org, 4, 12);
    assert_eq!(ids.len(), 12);
    let before = setup.snapshot(&org);
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
    setup.assert_applied_or_untouched(&report, Timeout::Explicit(4));

    // Sign in again and resume.
    let api = setup.api();
    let org = refreshed(org, &report);
    let resumed = run(&api, &org, &report.unfinished_plan()).await;
    assert_eq!(resumed.counts().applied, counts.not_started);
    setup.assert_only_set(&before, &ids, Timeout::Explicit(4));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn cancelling_stops_new_work_and_leaves_the_rest_untouched() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let ids = plain_ids(&org, 5, 10);
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
    setup.assert_applied_or_untouched(&report, Timeout::Explicit(5));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn drafts_with_the_old_timeout_follow_and_others_are_left_alone() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
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

    let report = set_all(
        &api,
        &org,
        &[same.clone(), own.clone()],
        Timeout::Explicit(2),
    )
    .await;

    match &report.results[0].outcome {
        Outcome::Applied {
            draft: DraftOutcome::Updated { new_version },
            ..
        } => assert_eq!(*new_version, version(&same_draft_before) + 1),
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
    assert_eq!(setup.timeout_of(&own), Timeout::Explicit(2));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn draft_updates_can_be_switched_off() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
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
    assert_eq!(setup.timeout_of(&same), Timeout::Explicit(2));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn reset_to_default_clears_the_timeout_and_is_verified() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let ids = plain_ids(&org, 60, 3);
    let before = setup.snapshot(&org);
    let plan =
        Planner::new(&org, true).plan_bulk(ids.iter().map(String::as_str), BulkOp::ResetToDefault);

    let report = run(&api, &org, &plan).await;

    assert_all_confirmed(&report);
    assert!(report.explicit_sixty_plan().is_empty());
    setup.assert_only_set(&before, &ids, Timeout::Default);
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_reset_that_genesys_ignores_is_reported_and_sixty_is_offered() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[Quirk::PatchKeepsOmittedTimeout]).await;
    let id = plain_id(&org, 60);
    let old = org.action(&id).unwrap().timeout().unwrap();
    let plan = Planner::new(&org, true).plan_bulk([id.as_str()], BulkOp::ResetToDefault);

    let report = run(&api, &org, &plan).await;

    assert_eq!(
        report.results[0].verification,
        Some(Verification::DefaultNotCleared { kept: old })
    );
    assert_eq!(setup.timeout_of(&id), old);

    let org = refreshed(org, &report);
    let sixty = report.explicit_sixty_plan();
    assert_eq!(sixty.changes.len(), 1);
    let second = run(&api, &org, &sixty).await;
    assert_all_confirmed(&second);
    assert_eq!(setup.timeout_of(&id), Timeout::Explicit(60));
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn undo_puts_the_previous_timeouts_back() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let ids = plain_ids(&org, 21, 4);
    let before = setup.snapshot(&org);
    let report = set_all(&api, &org, &ids, Timeout::Explicit(21)).await;
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
        assert_eq!(now["version"], version(old) + 2);
    }
    setup.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn verification_reports_a_change_made_after_the_write() {
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let id = plain_id(&org, 10);
    let plan = plan_for(&org, std::slice::from_ref(&id), Timeout::Explicit(10));

    let report = run_watching(&api, &org, &plan, |event| {
        if let ApplyEvent::Verifying { .. } = event {
            setup.colleague_sets_timeout(&id, 33);
        }
    })
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
    let (setup, api, org) = Setup::loaded(Seed::Demo, &[]).await;
    let read_only: Vec<&Action> = org
        .actions()
        .iter()
        .filter(|a| a.id.starts_with("customAuth") || a.id.starts_with("static"))
        .collect();
    assert!(read_only.len() >= 2);
    let before = setup.snapshot(&org);
    // A stored or imported plan can name them even though the planner would not.
    let plan = Plan {
        changes: read_only
            .iter()
            .map(|a| Change {
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
    setup.assert_untouched(&before);
    setup.shutdown().await;
}
