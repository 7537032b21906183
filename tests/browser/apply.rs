//! Changing timeouts: the in-place editor, bulk changes, review, apply (with conflicts, rate
//! limits, failures and an expiring session), drafts, resets, undo, files, and pending
//! changes kept per user. Every apply is checked at the emulator, not only on the page.

use std::sync::Arc;
use std::time::Duration;

use browser_tests::{
    ChromeDriver, Stage, button, choose, click, downloaded, edit_timeout, fill, find, heading,
    heading_within, import_file, keys, literal, open_editor, page_text, people, row_text, run_js,
    sign_in, sign_in_to_table, sign_out, table_count, text_appears, text_disappears, wait_for_text,
};
use fantoccini::{Client, Locator};
use genesys_emulator::{AdminEdit, EmulatorConfig, FailureMode, Faults, Quirk, Seed, TimeoutEdit};
use serde_json::{Value, json};

crate::scenarios!(
    an_edit_is_reviewed_applied_and_changes_only_the_timeout,
    bad_timeouts_are_refused_with_their_message_and_nothing_is_queued,
    a_bulk_set_on_300_actions_reaches_genesys,
    a_conflict_shows_the_other_admins_value_and_both_choices_work,
    rate_limits_and_server_errors_during_an_apply_are_recovered,
    an_apply_interrupted_by_session_expiry_resumes_after_signing_in,
    a_resumed_apply_keeps_draft_updates_switched_off,
    drafts_follow_the_change_unless_they_differ_or_updates_are_off,
    a_reset_to_default_clears_the_timeout_or_offers_sixty_seconds,
    undo_puts_the_old_timeouts_back,
    exported_files_import_back_as_pending_changes,
    a_malformed_import_lists_every_problem_by_line_and_adds_nothing,
    pending_changes_survive_a_reload,
    another_user_does_not_inherit_pending_changes,
    a_bulk_cap_skips_read_only_actions_and_says_so,
    a_change_that_keeps_failing_can_be_retried,
    a_cancelled_apply_keeps_the_unfinished_changes_pending,
    a_session_too_short_for_the_apply_is_announced,
    reloading_during_an_apply_asks_first_and_keeps_the_unfinished_changes,
);

/// The id of the demo organisation's action number `n` (1 to 60).
fn demo_id(n: u64) -> String {
    format!("ac710000-0000-4000-8000-{n:012x}")
}

/// "Lookup external contact by phone": 8 s, with a draft equal to it.
const LOOKUP_CONTACT: u64 = 5;
/// "Get open orders": 15 s, with a draft of 25 s.
const OPEN_ORDERS: u64 = 18;
/// "Get invoice": 30 s.
const INVOICE: u64 = 50;
/// "Get balance": no timeout (default).
const BALANCE: u64 = 51;
/// "Get payment history": 20 s.
const PAYMENT_HISTORY: u64 = 53;
/// "Reactivate account": 15 s, with a draft equal to it.
const REACTIVATE: u64 = 57;

/// How long a long apply (hundreds of changes at the rate limit) may take.
const LONG_APPLY: Duration = Duration::from_secs(180);

/// The stored action's `config.timeoutSeconds`, or `None` when it has none.
fn stored_timeout(stage: &Stage, n: u64) -> Result<Option<u64>, String> {
    let action = stage
        .emulator
        .stored_action(&demo_id(n))
        .map_err(|e| e.to_string())?;
    Ok(timeout_of(&action))
}

fn stored_draft_timeout(stage: &Stage, n: u64) -> Result<Option<u64>, String> {
    let draft = stage
        .emulator
        .stored_draft(&demo_id(n))
        .map_err(|e| e.to_string())?;
    Ok(timeout_of(&draft))
}

fn timeout_of(action: &Value) -> Option<u64> {
    action["config"]["timeoutSeconds"].as_u64()
}

/// Fails unless the stored action `n` is named `name`, so that a reseeded demo shows up as
/// such rather than as a confusing timeout mismatch.
fn expect_name(stage: &Stage, n: u64, name: &str) -> Result<(), String> {
    let action = stage
        .emulator
        .stored_action(&demo_id(n))
        .map_err(|e| e.to_string())?;
    if action["name"] != json!(name) {
        return Err(format!("action {n} is {}, not {name:?}", action["name"]));
    }
    Ok(())
}

/// The keys of this tab's stored pending changes.
async fn stored_pending_keys(browser: &Client) -> Result<Vec<String>, String> {
    let keys = run_js(
        browser,
        "return Object.keys(sessionStorage).filter(k => k.startsWith('dat.pending.'));",
    )
    .await?;
    serde_json::from_value(keys).map_err(|e| e.to_string())
}

/// Whether the "Pending changes" section is on the page now.
async fn pending_section_shown(browser: &Client) -> Result<bool, String> {
    let found = browser
        .find_all(Locator::Css("section.pending"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(!found.is_empty())
}

/// Opens the review from the pending changes panel.
async fn open_review(browser: &Client) -> Result<(), String> {
    let review = find(
        browser,
        "//section[contains(@class, 'pending')]//button[starts-with(normalize-space(), 'Review ')]",
    )
    .await?;
    click(&review).await?;
    heading(browser, "Review changes").await?;
    Ok(())
}

/// The text of the review's row for the action `name`.
async fn review_row(browser: &Client, name: &str) -> Result<String, String> {
    let row = find(
        browser,
        &format!(
            "//table[contains(@class, 'plan')]//tr[th[normalize-space()={}]]",
            literal(name)
        ),
    )
    .await?;
    row.text().await.map_err(|e| e.to_string())
}

/// The text of the report's row for the action `name`.
async fn report_row(browser: &Client, name: &str) -> Result<String, String> {
    let row = find(
        browser,
        &format!(
            "//section[contains(@class, 'report')]//tr[th[normalize-space()={}]]",
            literal(name)
        ),
    )
    .await?;
    row.text().await.map_err(|e| e.to_string())
}

/// Clicks "Apply N changes" on the review.
async fn start_apply(browser: &Client) -> Result<(), String> {
    let apply = find(
        browser,
        "//section[contains(@class, 'review')]//button[starts-with(normalize-space(), 'Apply ')]",
    )
    .await?;
    click(&apply).await
}

/// Makes every answer of the emulator slow, starts the apply and waits until the first change
/// has an outcome, so that most changes are still unfinished when the test steps in.
async fn start_slow_apply(browser: &Client, stage: &Stage) -> Result<(), String> {
    stage.emulator.set_faults(Faults {
        latency_ms: 700,
        ..Faults::default()
    });
    start_apply(browser).await?;
    find(browser, "//ul[@class='outcomes']/li").await?;
    Ok(())
}

/// Clicks "Apply N changes" on the review and waits for the report.
async fn apply_reviewed(browser: &Client, patience: Duration) -> Result<(), String> {
    start_apply(browser).await?;
    heading_within(browser, "Apply finished", patience).await?;
    Ok(())
}

/// The report's summary line ("N applied, N conflicts, …").
async fn report_summary(browser: &Client) -> Result<String, String> {
    wait_for_text(
        browser,
        "//section[contains(@class, 'report')]/p[@role='status']",
        |text| text.contains(" applied"),
    )
    .await
}

/// Signs in as Dana Admin and waits for the whole table.
async fn sign_in_as_admin(browser: &Client, stage: &Stage) -> Result<(), String> {
    sign_in_to_table(browser, &stage.app_url, people::ADMIN).await?;
    Ok(())
}

async fn an_edit_is_reviewed_applied_and_changes_only_the_timeout(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    expect_name(&stage, INVOICE, "Get invoice")?;
    let before = stage
        .emulator
        .stored_action(&demo_id(INVOICE))
        .map_err(|e| e.to_string())?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            edit_timeout(&browser, "Get invoice", "20").await?;
            text_appears(&browser, "Pending changes (1)").await?;
            text_appears(&browser, "Get invoice: 30 s → 20 s").await?;
            let row = row_text(&browser, "Get invoice").await?;
            if !row.contains("30 s → 20 s") {
                return Err(format!("the row does not show the pending change: {row}"));
            }

            open_review(&browser).await?;
            let planned = review_row(&browser, "Get invoice").await?;
            if !(planned.contains("30 s") && planned.contains("20 s")) {
                return Err(format!("the review row says {planned:?}"));
            }
            if stored_timeout(&stage, INVOICE)? != Some(30) {
                return Err("something was sent before the apply was confirmed".into());
            }

            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with("1 applied, 0 conflicts, 0 failed") {
                return Err(format!("the report says {summary:?}"));
            }
            let reported = report_row(&browser, "Get invoice").await?;
            if !reported.contains("Genesys holds the new value") {
                return Err(format!("the report row says {reported:?}"));
            }

            let after = stage
                .emulator
                .stored_action(&demo_id(INVOICE))
                .map_err(|e| e.to_string())?;
            if timeout_of(&after) != Some(20) {
                return Err(format!("Genesys holds {}", after["config"]));
            }
            let without_timeout = |action: &Value| {
                let mut config = action["config"].clone();
                config.as_object_mut().map(|c| c.remove("timeoutSeconds"));
                config
            };
            if without_timeout(&after) != without_timeout(&before) {
                return Err(format!(
                    "other config fields changed:\nbefore {}\nafter {}",
                    before["config"], after["config"]
                ));
            }
            let (old, new) = (before["version"].as_u64(), after["version"].as_u64());
            if new != old.map(|v| v + 1) {
                return Err(format!("the version went from {old:?} to {new:?}"));
            }

            click(&button(&browser, "Back to the table").await?).await?;
            table_count(&browser).await?;
            let row = row_text(&browser, "Get invoice").await?;
            if !row.contains("20 s") || row.contains("30 s") {
                return Err(format!("the table shows {row:?} after the apply"));
            }
            if pending_section_shown(&browser).await? {
                return Err("the applied change is still pending".into());
            }
            Ok(())
        })
        .await
}

/// Typed text the editor must refuse, with a part of the message the core gives for it.
const BAD_INPUTS: [(&str, &str); 25] = [
    ("", "Enter whole seconds from 1 to 60, or \"default\""),
    ("   ", "Enter whole seconds from 1 to 60, or \"default\""),
    ("0", "0 is below the 1-second minimum"),
    ("61", "61 is above the 60-second maximum"),
    ("-5", "-5 is negative"),
    ("+5", "without a sign: +5"),
    ("2.5", "Use whole seconds: 2.5"),
    ("2,5", "Use whole seconds: 2,5"),
    ("20ms", "20ms is not in seconds"),
    ("1 min", "1 min is not in seconds"),
    ("abc", "abc is not a number"),
    ("٣", "has other digits"),
    ("１０", "has other digits"),
    ("1e3", "1e3 is not a number"),
    ("99999999999999999999", "is above the 60-second maximum"),
    ("5 5", "5 5 is not a number"),
    ("default5", "default5 is not a number"),
    (
        "Please set this one to thirty seconds.",
        "Please set this one … is not a number",
    ),
    ("-0", "without a sign: -0"),
    ("00", "00 is below the 1-second minimum"),
    ("60.0", "Use whole seconds: 60.0"),
    ("0x10", "0x10 is not a number"),
    ("1h", "1h is not in seconds"),
    ("½", "has other digits"),
    ("NaN", "NaN is not a number"),
];

async fn bad_timeouts_are_refused_with_their_message_and_nothing_is_queued(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            let name = "Get invoice";
            let alert = format!(
                "//tr[th[starts-with(normalize-space(), {})]]//*[@role='alert']",
                literal(name)
            );
            let mut problems = Vec::new();
            for (typed, expected) in BAD_INPUTS {
                let editor = open_editor(&browser, name, typed).await?;
                editor
                    .send_keys(&keys::ENTER.to_string())
                    .await
                    .map_err(|e| e.to_string())?;
                let shown = wait_for_text(&browser, &alert, |t| !t.is_empty())
                    .await
                    .unwrap_or_else(|missing| format!("no message ({missing})"));
                if !shown.contains(expected) {
                    problems.push(format!("{typed:?}: expected {expected:?}, shown {shown:?}"));
                }
                if editor
                    .prop("value")
                    .await
                    .map_err(|e| e.to_string())?
                    .is_none()
                {
                    problems.push(format!("{typed:?}: the editor closed on Enter"));
                }
                if pending_section_shown(&browser).await? {
                    problems.push(format!("{typed:?} was queued"));
                }
                let stored = stored_pending_keys(&browser).await?;
                if !stored.is_empty() {
                    problems.push(format!("{typed:?} was stored under {stored:?}"));
                }

                editor
                    .send_keys(&keys::ESCAPE.to_string())
                    .await
                    .map_err(|e| e.to_string())?;
                button(&browser, &format!("Edit timeout of {name}")).await?;
            }
            if !problems.is_empty() {
                return Err(problems.join("\n"));
            }

            // Escape leaves a valid value unqueued too.
            let editor = open_editor(&browser, name, "20").await?;
            editor
                .send_keys(&keys::ESCAPE.to_string())
                .await
                .map_err(|e| e.to_string())?;
            button(&browser, &format!("Edit timeout of {name}")).await?;
            if pending_section_shown(&browser).await? {
                return Err("Escape queued the typed value".into());
            }
            let row = row_text(&browser, name).await?;
            if row.contains('→') {
                return Err(format!("the row shows a pending change: {row}"));
            }
            Ok(())
        })
        .await
}

async fn a_bulk_set_on_300_actions_reaches_genesys(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::start(EmulatorConfig {
        seed: Seed::Large {
            count: 2000,
            seed: 1,
        },
        ..EmulatorConfig::default()
    })
    .await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            // "ic" matches 301 generated names ("invoice", "ticket"); one is left out below.
            fill(&browser, "Search actions", "ic").await?;
            wait_for_text(
                &browser,
                "//p[starts-with(normalize-space(), 'Showing ')]",
                |t| t == "Showing 301 of 2000 actions",
            )
            .await?;
            click(&button(&browser, "Select all 301 shown").await?).await?;
            text_appears(&browser, "301 selected").await?;

            let first = find(&browser, "//tbody/tr[1]").await?;
            let left_out = first
                .attr("data-action-id")
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the first row has no action id")?;
            let left_out_before = stage
                .emulator
                .stored_action(&left_out)
                .map_err(|e| e.to_string())?;
            let checkbox = first
                .find(Locator::Css("input[type=checkbox]"))
                .await
                .map_err(|e| e.to_string())?;
            click(&checkbox).await?;
            text_appears(&browser, "300 selected").await?;
            let selected: Vec<String> = serde_json::from_value(
                run_js(
                    &browser,
                    "return [...document.querySelectorAll('tbody tr')] \
                     .filter(r => r.querySelector('input[type=checkbox]').checked) \
                     .map(r => r.dataset.actionId);",
                )
                .await?,
            )
            .map_err(|e| e.to_string())?;

            choose(&browser, "Bulk change", "Set to").await?;
            fill(&browser, "Seconds", "25").await?;
            click(&button(&browser, "Add to pending changes").await?).await?;
            text_appears(&browser, "to the pending changes.").await?;

            open_review(&browser).await?;
            apply_reviewed(&browser, LONG_APPLY).await?;
            let summary = report_summary(&browser).await?;
            if !summary.contains(" 0 conflicts, 0 failed, 0 not started") {
                return Err(format!("the report says {summary:?}"));
            }

            // Every action of the search but the one left out, all pages of it.
            let ids: Vec<String> = (1..=2000u64)
                .map(|n| format!("ac711000-0000-4000-8000-{n:012x}"))
                .filter(|id| *id != left_out)
                .filter(|id| {
                    stage.emulator.stored_action(id).is_ok_and(|a| {
                        a["name"]
                            .as_str()
                            .is_some_and(|n| n.to_lowercase().contains("ic"))
                    })
                })
                .collect();
            if ids.len() != 300 {
                return Err(format!(
                    "{} actions match besides the one left out",
                    ids.len()
                ));
            }
            for id in selected.iter().chain(&ids) {
                let action = stage
                    .emulator
                    .stored_action(id)
                    .map_err(|e| e.to_string())?;
                if timeout_of(&action) != Some(25) {
                    return Err(format!("{id} holds {}", action["config"]["timeoutSeconds"]));
                }
            }
            let left_out_after = stage
                .emulator
                .stored_action(&left_out)
                .map_err(|e| e.to_string())?;
            if left_out_after != left_out_before {
                return Err("the action left out of the selection was changed".into());
            }
            Ok(())
        })
        .await
}

async fn a_conflict_shows_the_other_admins_value_and_both_choices_work(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    expect_name(&stage, INVOICE, "Get invoice")?;
    expect_name(&stage, PAYMENT_HISTORY, "Get payment history")?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            edit_timeout(&browser, "Get invoice", "20").await?;
            edit_timeout(&browser, "Get payment history", "40").await?;
            text_appears(&browser, "Pending changes (2)").await?;
            open_review(&browser).await?;

            let other_admin = |n: u64, seconds: u32| {
                stage
                    .emulator
                    .edit_action(
                        &demo_id(n),
                        &AdminEdit {
                            timeout: TimeoutEdit::Set(seconds),
                            name: None,
                        },
                    )
                    .map_err(|e| e.to_string())
            };
            other_admin(INVOICE, 45)?;
            other_admin(PAYMENT_HISTORY, 50)?;

            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with("0 applied, 2 conflicts") {
                return Err(format!("the report says {summary:?}"));
            }
            let invoice = report_row(&browser, "Get invoice").await?;
            if !invoice.contains("conflict: another admin set 45 s") {
                return Err(format!("the invoice row says {invoice:?}"));
            }
            let history = report_row(&browser, "Get payment history").await?;
            if !history.contains("conflict: another admin set 50 s") {
                return Err(format!("the payment history row says {history:?}"));
            }

            click(&button(&browser, "Keep theirs for Get payment history").await?).await?;
            text_appears(&browser, "kept the other admin's value").await?;
            click(&button(&browser, "Keep mine for Get invoice").await?).await?;
            wait_for_text(
                &browser,
                "//section[contains(@class, 'report')]/p[@role='status']",
                |t| t.starts_with("1 applied, 0 conflicts"),
            )
            .await?;

            if stored_timeout(&stage, INVOICE)? != Some(20) {
                return Err(format!(
                    "after keeping mine Genesys holds {:?}",
                    stored_timeout(&stage, INVOICE)?
                ));
            }
            if stored_timeout(&stage, PAYMENT_HISTORY)? != Some(50) {
                return Err(format!(
                    "after keeping theirs Genesys holds {:?}",
                    stored_timeout(&stage, PAYMENT_HISTORY)?
                ));
            }
            click(&button(&browser, "Back to the table").await?).await?;
            table_count(&browser).await?;
            if pending_section_shown(&browser).await? {
                return Err("a decided conflict is still pending".into());
            }
            let row = row_text(&browser, "Get payment history").await?;
            if !row.contains("50 s") {
                return Err(format!(
                    "the table shows {row:?}, not the other admin's 50 s"
                ));
            }
            Ok(())
        })
        .await
}

/// Narrows the table to the Legacy Billing integration (actions 50 to 60), selects them all
/// and queues "set to `seconds`".
async fn queue_legacy_billing(browser: &Client, seconds: &str) -> Result<(), String> {
    choose(browser, "Integration", "Legacy Billing (web services)").await?;
    wait_for_text(
        browser,
        "//p[starts-with(normalize-space(), 'Showing ')]",
        |t| t.starts_with("Showing 11 of "),
    )
    .await?;
    click(&button(browser, "Select all 11 shown").await?).await?;
    fill(browser, "Seconds", seconds).await?;
    click(&button(browser, "Add to pending changes").await?).await?;
    text_appears(browser, "Pending changes (11)").await?;
    Ok(())
}

/// Fails unless every Legacy Billing action (50 to 60) holds `seconds`.
fn expect_legacy_billing(stage: &Stage, seconds: u64) -> Result<(), String> {
    let wrong: Vec<String> = (50..=60)
        .filter_map(|n| match stored_timeout(stage, n) {
            Ok(Some(s)) if s == seconds => None,
            other => Some(format!("action {n}: {other:?}")),
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("not at {seconds} s: {}", wrong.join(", ")))
    }
}

async fn rate_limits_and_server_errors_during_an_apply_are_recovered(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            queue_legacy_billing(&browser, "44").await?;
            open_review(&browser).await?;

            stage.emulator.set_faults(Faults {
                fail_next: 3,
                fail_mode: FailureMode::Status,
                fail_status: 503,
                ..Faults::default()
            });
            stage.emulator.force_rate_limit_burst(4, 3);
            start_apply(&browser).await?;
            text_appears(&browser, "Waiting for the rate limit, resuming in").await?;
            let bar = find(
                &browser,
                "//section[contains(@class, 'applying')]//progress",
            )
            .await?;
            let max = bar.attr("max").await.map_err(|e| e.to_string())?;
            if max.as_deref() != Some("11") {
                return Err(format!("the progress bar counts to {max:?}"));
            }
            text_appears(&browser, " of 11 done.").await?;
            heading_within(&browser, "Apply finished", LONG_APPLY).await?;

            let summary = report_summary(&browser).await?;
            if !summary.starts_with("11 applied, 0 conflicts, 0 failed") {
                return Err(format!("the report says {summary:?}"));
            }
            expect_legacy_billing(&stage, 44)
        })
        .await
}

async fn an_apply_interrupted_by_session_expiry_resumes_after_signing_in(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    interrupt_by_session_expiry_and_resume(driver, true).await
}

async fn a_resumed_apply_keeps_draft_updates_switched_off(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    interrupt_by_session_expiry_and_resume(driver, false).await
}

/// Sets the Legacy Billing actions to 33 s, ends the session after the first changes, signs
/// in again and resumes; "Reactivate account" (action 57) has a draft with the old timeout,
/// which follows the change only when `update_drafts` is on.
async fn interrupt_by_session_expiry_and_resume(
    driver: Arc<ChromeDriver>,
    update_drafts: bool,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    expect_name(&stage, REACTIVATE, "Reactivate account")?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            queue_legacy_billing(&browser, "33").await?;
            open_review(&browser).await?;
            if !update_drafts {
                let switch = find(
                    &browser,
                    "//label[contains(., 'Also update drafts')]//input[@type='checkbox']",
                )
                .await?;
                click(&switch).await?;
                text_appears(&browser, "Drafts will not be updated").await?;
            }

            // Slow answers, so that the session can end while most changes are unfinished.
            start_slow_apply(&browser, &stage).await?;
            stage.emulator.expire_all_tokens();

            text_appears(&browser, "Your session ended. Sign in again.").await?;
            stage.emulator.clear_faults();
            let applied_before = (50..=60)
                .filter(|&n| stored_timeout(&stage, n).is_ok_and(|t| t == Some(33)))
                .count();
            if applied_before == 0 || applied_before == 11 {
                return Err(format!(
                    "{applied_before} of 11 changes were applied before the session ended"
                ));
            }

            if stored_timeout(&stage, REACTIVATE)? == Some(33) {
                return Err("Reactivate account was done before the session ended".into());
            }

            click(&button(&browser, "Sign in with Genesys Cloud").await?).await?;
            click(&button(&browser, "Sign in as Dana Admin").await?).await?;
            table_count(&browser).await?;
            let unfinished = 11 - applied_before;
            text_appears(&browser, &format!("Pending changes ({unfinished})")).await?;
            text_appears(&browser, "Your last apply stopped when the session ended").await?;
            click(&button(&browser, "Resume the apply").await?).await?;
            heading_within(&browser, "Apply finished", LONG_APPLY).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with(&format!("{unfinished} applied, 0 conflicts, 0 failed")) {
                return Err(format!("the resumed apply says {summary:?}"));
            }
            expect_legacy_billing(&stage, 33)?;
            let draft = stored_draft_timeout(&stage, REACTIVATE)?;
            let expected = if update_drafts { 33 } else { 15 };
            if draft != Some(expected) {
                return Err(format!(
                    "the draft of Reactivate account holds {draft:?}, not {expected} s"
                ));
            }
            click(&button(&browser, "Back to the table").await?).await?;
            table_count(&browser).await?;
            if pending_section_shown(&browser).await? {
                return Err("changes are still pending after the resumed apply".into());
            }
            Ok(())
        })
        .await
}

/// Publishes the draft of demo action `n` through the API, as an admin would in Genesys.
async fn publish_draft(browser: &Client, stage: &Stage, n: u64) -> Result<(), String> {
    let token = stage
        .emulator
        .issue_user_token("a5e00000-0000-4000-8000-000000000001")
        .map_err(|e| e.to_string())?;
    let draft = stage
        .emulator
        .stored_draft(&demo_id(n))
        .map_err(|e| e.to_string())?;
    let url = format!(
        "{}/api/v2/integrations/actions/{}/draft/publish",
        stage.emulator.api_url(),
        demo_id(n)
    );
    let status = browser
        .execute_async(
            "const [url, token, version, done] = arguments; \
             fetch(url, { method: 'POST', headers: { Authorization: 'Bearer ' + token, \
             'Content-Type': 'application/json' }, body: JSON.stringify({ version }) }) \
             .then(r => done(r.status), e => done(String(e)));",
            vec![
                json!(url),
                json!(token.access_token),
                draft["version"].clone(),
            ],
        )
        .await
        .map_err(|e| e.to_string())?;
    if status != json!(200) {
        return Err(format!(
            "publishing the draft of action {n} answered {status}"
        ));
    }
    Ok(())
}

async fn drafts_follow_the_change_unless_they_differ_or_updates_are_off(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    expect_name(&stage, LOOKUP_CONTACT, "Lookup external contact by phone")?;
    expect_name(&stage, OPEN_ORDERS, "Get open orders")?;
    expect_name(&stage, REACTIVATE, "Reactivate account")?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;

            // A draft with the old timeout follows; a draft with its own is left and named.
            edit_timeout(&browser, "Lookup external contact by phone", "18").await?;
            edit_timeout(&browser, "Get open orders", "20").await?;
            text_appears(&browser, "Pending changes (2)").await?;
            open_review(&browser).await?;
            let same = review_row(&browser, "Lookup external contact by phone").await?;
            if !same.contains("its draft has the old timeout and will be updated too") {
                return Err(format!("the review row says {same:?}"));
            }
            let differs = review_row(&browser, "Get open orders").await?;
            if !differs.contains("its draft has its own timeout (25 s) and is left alone") {
                return Err(format!("the review row says {differs:?}"));
            }
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            report_summary(&browser).await?;

            if stored_draft_timeout(&stage, LOOKUP_CONTACT)? != Some(18) {
                return Err(format!(
                    "the matching draft holds {:?}",
                    stored_draft_timeout(&stage, LOOKUP_CONTACT)?
                ));
            }
            if stored_draft_timeout(&stage, OPEN_ORDERS)? != Some(25) {
                return Err("the draft with its own timeout was changed".into());
            }
            if stored_timeout(&stage, OPEN_ORDERS)? != Some(20) {
                return Err("the published action with a differing draft was not changed".into());
            }
            publish_draft(&browser, &stage, LOOKUP_CONTACT).await?;
            if stored_timeout(&stage, LOOKUP_CONTACT)? != Some(18) {
                return Err(format!(
                    "publishing the updated draft set {:?}",
                    stored_timeout(&stage, LOOKUP_CONTACT)?
                ));
            }

            // With draft updates off the person is warned, and publishing reverts the change.
            click(&button(&browser, "Back to the table").await?).await?;
            table_count(&browser).await?;
            edit_timeout(&browser, "Reactivate account", "35").await?;
            open_review(&browser).await?;
            let switch = find(
                &browser,
                "//label[contains(., 'Also update drafts')]//input[@type='checkbox']",
            )
            .await?;
            click(&switch).await?;
            text_appears(
                &browser,
                "Drafts will not be updated: publishing such a draft later puts the old timeout back.",
            )
            .await?;
            let reverting = review_row(&browser, "Reactivate account").await?;
            if !reverting.contains("its draft still has 15 s: publishing the draft would undo") {
                return Err(format!("the review row says {reverting:?}"));
            }
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            report_summary(&browser).await?;
            if stored_timeout(&stage, REACTIVATE)? != Some(35) {
                return Err("the published action was not changed".into());
            }
            if stored_draft_timeout(&stage, REACTIVATE)? != Some(15) {
                return Err("the draft was updated although updates were off".into());
            }
            publish_draft(&browser, &stage, REACTIVATE).await?;
            if stored_timeout(&stage, REACTIVATE)? != Some(15) {
                return Err("publishing the old draft did not put 15 s back".into());
            }
            Ok(())
        })
        .await
}

async fn a_reset_to_default_clears_the_timeout_or_offers_sixty_seconds(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    for quirk in [false, true] {
        let stage = Stage::demo().await?;
        expect_name(&stage, INVOICE, "Get invoice")?;
        if quirk {
            stage.emulator.enable_quirk(Quirk::PatchKeepsOmittedTimeout);
        }
        driver
            .with_browser(|browser| async move {
                sign_in_as_admin(&browser, &stage).await?;
                edit_timeout(&browser, "Get invoice", "default").await?;
                text_appears(&browser, "Get invoice: 30 s → default (60 s)").await?;
                open_review(&browser).await?;
                apply_reviewed(&browser, browser_tests::PATIENCE).await?;
                report_summary(&browser).await?;
                let reported = report_row(&browser, "Get invoice").await?;

                if !quirk {
                    let action = stage
                        .emulator
                        .stored_action(&demo_id(INVOICE))
                        .map_err(|e| e.to_string())?;
                    if action["config"].get("timeoutSeconds").is_some() {
                        return Err(format!("the reset left {}", action["config"]));
                    }
                    if !reported.contains("Genesys holds the new value") {
                        return Err(format!("the report row says {reported:?}"));
                    }
                    return Ok(());
                }

                if !reported.contains("Genesys kept 30 s instead of clearing it") {
                    return Err(format!("the report row says {reported:?}"));
                }
                click(&button(&browser, "Review setting 60 s explicitly on 1 action").await?)
                    .await?;
                heading(&browser, "Review changes").await?;
                let planned = review_row(&browser, "Get invoice").await?;
                if !(planned.contains("30 s") && planned.contains("60 s")) {
                    return Err(format!("the review row says {planned:?}"));
                }
                apply_reviewed(&browser, browser_tests::PATIENCE).await?;
                report_summary(&browser).await?;
                if stored_timeout(&stage, INVOICE)? != Some(60) {
                    return Err(format!(
                        "Genesys holds {:?}, not 60 s",
                        stored_timeout(&stage, INVOICE)?
                    ));
                }
                Ok(())
            })
            .await?;
    }
    Ok(())
}

async fn undo_puts_the_old_timeouts_back(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    expect_name(&stage, PAYMENT_HISTORY, "Get payment history")?;
    expect_name(&stage, BALANCE, "Get balance")?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            edit_timeout(&browser, "Get payment history", "40").await?;
            edit_timeout(&browser, "Get balance", "7").await?;
            text_appears(&browser, "Pending changes (2)").await?;
            open_review(&browser).await?;
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            report_summary(&browser).await?;
            if stored_timeout(&stage, PAYMENT_HISTORY)? != Some(40)
                || stored_timeout(&stage, BALANCE)? != Some(7)
            {
                return Err("the apply did not reach Genesys".into());
            }

            click(&button(&browser, "Undo this apply").await?).await?;
            heading(&browser, "Review changes").await?;
            let history = review_row(&browser, "Get payment history").await?;
            if !(history.contains("40 s") && history.contains("20 s")) {
                return Err(format!("the undo plans {history:?}"));
            }
            let balance = review_row(&browser, "Get balance").await?;
            if !(balance.contains("7 s") && balance.contains("default (60 s)")) {
                return Err(format!("the undo plans {balance:?}"));
            }
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with("2 applied") {
                return Err(format!("the undo says {summary:?}"));
            }
            if stored_timeout(&stage, PAYMENT_HISTORY)? != Some(20) {
                return Err("the payment history is not back at 20 s".into());
            }
            if stored_timeout(&stage, BALANCE)?.is_some() {
                return Err("the balance is not back to the default".into());
            }
            Ok(())
        })
        .await
}

async fn exported_files_import_back_as_pending_changes(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
    let downloads = folder.path().join("downloads");
    std::fs::create_dir(&downloads).map_err(|e| e.to_string())?;
    let downloads_for_browser = downloads.clone();
    driver
        .with_browser_downloading(Some(&downloads_for_browser), |browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            fill(&browser, "Search actions", "lookup").await?;
            let shown = wait_for_text(
                &browser,
                "//p[starts-with(normalize-space(), 'Showing ')]",
                |t| t.starts_with("Showing 6 of"),
            )
            .await?;

            click(&button(&browser, "Export shown as CSV").await?).await?;
            let csv = downloaded(&downloads, "timeouts-", "csv").await?;
            let mut lines = csv.lines();
            if lines.next() != Some("action_id,name,integration,category,timeout,version") {
                return Err(format!("the CSV starts {csv:?}"));
            }
            let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
            if rows.len() != 6 {
                return Err(format!(
                    "{shown}, but the CSV has {} rows:\n{csv}",
                    rows.len()
                ));
            }
            for row in &rows {
                let id = row.split(',').next().unwrap_or_default();
                let action = stage
                    .emulator
                    .stored_action(id)
                    .map_err(|e| e.to_string())?;
                let timeout = row.rsplit(',').nth(1).unwrap_or_default();
                let expected =
                    timeout_of(&action).map_or_else(|| "default".to_string(), |s| s.to_string());
                if timeout != expected {
                    return Err(format!(
                        "the CSV says {timeout} for {id}, Genesys {expected}"
                    ));
                }
            }

            click(&button(&browser, "Export shown as JSON").await?).await?;
            let snapshot: Value =
                serde_json::from_str(&downloaded(&downloads, "timeouts-2", "json").await?)
                    .map_err(|e| format!("the JSON export does not parse: {e}"))?;
            if snapshot["actions"].as_array().map(Vec::len) != Some(6) {
                return Err(format!("the JSON export holds {}", snapshot["actions"]));
            }

            // Every timeout of the exported CSV set to 12, then imported back.
            let mut edited = String::from("action_id,name,integration,category,timeout,version\n");
            for row in &rows {
                let mut cells: Vec<&str> = row.rsplitn(3, ',').collect();
                cells[1] = "12";
                edited.push_str(&format!("{},{},{}\n", cells[2], cells[1], cells[0]));
            }
            let edited_path = folder.path().join("edited.csv");
            std::fs::write(&edited_path, edited).map_err(|e| e.to_string())?;
            import_file(&browser, &edited_path).await?;
            text_appears(&browser, "Imported edited.csv: 6 changes added").await?;
            text_appears(&browser, "Pending changes (6)").await?;
            open_review(&browser).await?;

            // The snapshot offered before applying holds the affected actions as they are.
            click(&button(&browser, "Download current timeouts (JSON)").await?).await?;
            let before: Value =
                serde_json::from_str(&downloaded(&downloads, "timeouts-before-", "json").await?)
                    .map_err(|e| format!("the snapshot does not parse: {e}"))?;
            let entries = before["actions"].as_array().cloned().unwrap_or_default();
            if entries.len() != 6 {
                return Err(format!("the snapshot before applying holds {entries:?}"));
            }
            for entry in &entries {
                let id = entry["actionId"].as_str().unwrap_or_default();
                let action = stage
                    .emulator
                    .stored_action(id)
                    .map_err(|e| e.to_string())?;
                let expected = timeout_of(&action).map_or_else(|| json!("default"), |s| json!(s));
                if entry["timeout"] != expected {
                    return Err(format!("the snapshot says {entry} but Genesys {expected}"));
                }
            }
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with("6 applied") {
                return Err(format!("the import's apply says {summary:?}"));
            }
            for row in &rows {
                let id = row.split(',').next().unwrap_or_default();
                let action = stage
                    .emulator
                    .stored_action(id)
                    .map_err(|e| e.to_string())?;
                if timeout_of(&action) != Some(12) {
                    return Err(format!("{id} holds {}", action["config"]));
                }
            }

            // The JSON export, every timeout set to the default, imports back too.
            let mut snapshot = snapshot;
            for entry in snapshot["actions"].as_array_mut().into_iter().flatten() {
                entry["timeout"] = json!("default");
            }
            let json_path = folder.path().join("edited.json");
            std::fs::write(&json_path, snapshot.to_string()).map_err(|e| e.to_string())?;
            click(&button(&browser, "Back to the table").await?).await?;
            table_count(&browser).await?;
            import_file(&browser, &json_path).await?;
            text_appears(&browser, "Imported edited.json: 6 changes added").await?;
            text_appears(&browser, "Pending changes (6)").await?;
            Ok(())
        })
        .await
}

async fn a_malformed_import_lists_every_problem_by_line_and_adds_nothing(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = folder.path().join("broken.csv");
    let invoice = demo_id(INVOICE);
    let text = [
        "action_id,name,timeout".to_string(),
        format!("{invoice},Get invoice,20"),
        "ac710000-0000-4000-8000-0000000000ff,,20".to_string(),
        ",No such action,20".to_string(),
        format!("{},Get balance,", demo_id(BALANCE)),
        format!("{invoice},Get invoice,25"),
        format!("{},Get payment history,61", demo_id(PAYMENT_HISTORY)),
        format!("{},Get payment history,abc", demo_id(PAYMENT_HISTORY)),
    ]
    .join("\n");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            import_file(&browser, &path).await?;
            text_appears(&browser, "The file was not imported. Nothing was changed.").await?;
            let expected = [
                "line 3: no action has the id",
                "line 4: no action is named \"No such action\"",
                "line 5: no timeout is given",
                "line 6: the action",
                "line 7: 61 is above the 60-second maximum",
                "line 8: Enter whole seconds from 1 to 60, or \"default\": abc is not a number",
            ];
            let listed =
                wait_for_text(&browser, "//div[@role='alert']", |t| t.contains("line 8")).await?;
            let missing: Vec<&str> = expected
                .iter()
                .copied()
                .filter(|problem| !listed.contains(problem))
                .collect();
            if !missing.is_empty() {
                return Err(format!("missing {missing:?} in:\n{listed}"));
            }
            if listed.contains("line 2:") {
                return Err(format!(
                    "the valid line 2 is listed as a problem:\n{listed}"
                ));
            }
            if pending_section_shown(&browser).await? {
                return Err("a malformed file added pending changes".into());
            }
            let stored = stored_pending_keys(&browser).await?;
            if !stored.is_empty() {
                return Err(format!("pending changes were stored: {stored:?}"));
            }
            Ok(())
        })
        .await
}

async fn pending_changes_survive_a_reload(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            edit_timeout(&browser, "Get invoice", "20").await?;
            edit_timeout(&browser, "Get balance", "9").await?;
            text_appears(&browser, "Pending changes (2)").await?;

            browser.refresh().await.map_err(|e| e.to_string())?;
            table_count(&browser).await?;
            text_appears(&browser, "Pending changes (2)").await?;
            text_appears(&browser, "Get invoice: 30 s → 20 s").await?;
            text_appears(&browser, "Get balance: default (60 s) → 9 s").await?;
            let stored = run_js(
                &browser,
                "return Object.keys(sessionStorage).filter(k => k.startsWith('dat.pending.')) \
                 .map(k => sessionStorage.getItem(k)).join('');",
            )
            .await?;
            let stored = stored.as_str().unwrap_or_default();
            if stored.contains("requestUrlTemplate") || stored.contains("config") {
                return Err(format!(
                    "pending changes store more than ids and values: {stored}"
                ));
            }

            click(&button(&browser, "Drop the change to Get balance").await?).await?;
            text_appears(&browser, "Pending changes (1)").await?;
            browser.refresh().await.map_err(|e| e.to_string())?;
            table_count(&browser).await?;
            text_appears(&browser, "Pending changes (1)").await?;
            Ok(())
        })
        .await
}

async fn another_user_does_not_inherit_pending_changes(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            edit_timeout(&browser, "Get invoice", "20").await?;
            text_appears(&browser, "Pending changes (1)").await?;

            sign_out(&browser).await?;
            sign_in(&browser, &stage.app_url, people::WILDCARD_ADMIN).await?;
            text_appears(&browser, "Signed in as Wren Wildcard").await?;
            table_count(&browser).await?;
            let page = page_text(&browser).await?;
            if page.contains("Pending changes") || page.contains('→') {
                return Err(format!("the second user sees pending changes:\n{page}"));
            }

            sign_out(&browser).await?;
            sign_in(&browser, &stage.app_url, people::ADMIN).await?;
            text_appears(&browser, "Signed in as Dana Admin").await?;
            table_count(&browser).await?;
            text_appears(&browser, "Pending changes (1)").await?;
            text_appears(&browser, "Get invoice: 30 s → 20 s").await?;
            text_disappears(&browser, "Reading your account").await?;
            Ok(())
        })
        .await
}

async fn a_bulk_cap_skips_read_only_actions_and_says_so(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let static_user_by_email = format!("static_-_{}", demo_id(12));
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            choose(&browser, "Integration", "Genesys Cloud Data Actions").await?;
            wait_for_text(
                &browser,
                "//p[starts-with(normalize-space(), 'Showing ')]",
                |t| t.starts_with("Showing 12 of "),
            )
            .await?;
            click(&button(&browser, "Select all 12 shown").await?).await?;
            choose(&browser, "Bulk change", "Cap at").await?;
            fill(&browser, "Seconds", "10").await?;
            click(&button(&browser, "Add to pending changes").await?).await?;
            for said in [
                "Added 6 changes to the pending changes.",
                "4 actions already had that timeout.",
                "Skipped 2 read-only actions that cannot be changed:",
                "Get Genesys Cloud wrap-up codes",
                "Get Genesys Cloud user by email",
            ] {
                text_appears(&browser, said).await?;
            }

            open_review(&browser).await?;
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with("6 applied, 0 conflicts, 0 failed") {
                return Err(format!("the report says {summary:?}"));
            }
            // Actions 1 to 10 held 5, default, 10, 15, 8, default, 3, 20, 12 and default.
            let expected = [5, 10, 10, 10, 8, 10, 3, 10, 10, 10];
            for (n, seconds) in (1..=10).zip(expected) {
                if stored_timeout(&stage, n)? != Some(seconds) {
                    return Err(format!(
                        "action {n} holds {:?}, not {seconds} s",
                        stored_timeout(&stage, n)?
                    ));
                }
            }
            let built_in = stage
                .emulator
                .stored_action(&static_user_by_email)
                .map_err(|e| e.to_string())?;
            if timeout_of(&built_in) != Some(30) {
                return Err(format!(
                    "a built-in action was changed: {}",
                    built_in["config"]
                ));
            }
            Ok(())
        })
        .await
}

async fn a_change_that_keeps_failing_can_be_retried(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            edit_timeout(&browser, "Get invoice", "20").await?;
            open_review(&browser).await?;

            // More server errors in a row than one change's attempts.
            stage.emulator.set_faults(Faults {
                fail_next: 3,
                fail_mode: FailureMode::Status,
                fail_status: 500,
                ..Faults::default()
            });
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with("0 applied, 0 conflicts, 1 failed") {
                return Err(format!("the report says {summary:?}"));
            }
            let reported = report_row(&browser, "Get invoice").await?;
            if !reported.contains("failed") {
                return Err(format!("the report row says {reported:?}"));
            }
            if stored_timeout(&stage, INVOICE)? != Some(30) {
                return Err("a failed change reached Genesys".into());
            }

            click(&button(&browser, "Retry 1 failed change").await?).await?;
            wait_for_text(
                &browser,
                "//section[contains(@class, 'report')]/p[@role='status']",
                |t| t.starts_with("1 applied, 0 conflicts, 0 failed"),
            )
            .await?;
            if stored_timeout(&stage, INVOICE)? != Some(20) {
                return Err("the retried change did not reach Genesys".into());
            }
            Ok(())
        })
        .await
}

async fn a_cancelled_apply_keeps_the_unfinished_changes_pending(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            queue_legacy_billing(&browser, "22").await?;
            open_review(&browser).await?;

            start_slow_apply(&browser, &stage).await?;
            click(&button(&browser, "Cancel").await?).await?;
            heading(&browser, "Apply finished").await?;
            stage.emulator.clear_faults();
            text_appears(
                &browser,
                "The apply was cancelled: the changes not started are still pending.",
            )
            .await?;

            let applied = (50..=60)
                .filter(|&n| stored_timeout(&stage, n).is_ok_and(|t| t == Some(22)))
                .count();
            if applied == 0 || applied == 11 {
                return Err(format!(
                    "{applied} of 11 changes were applied before the cancel"
                ));
            }
            click(&button(&browser, "Back to the table").await?).await?;
            table_count(&browser).await?;
            text_appears(&browser, &format!("Pending changes ({})", 11 - applied)).await?;
            Ok(())
        })
        .await
}

async fn a_session_too_short_for_the_apply_is_announced(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::start(EmulatorConfig {
        token_ttl_seconds: 45,
        ..EmulatorConfig::default()
    })
    .await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            edit_timeout(&browser, "Get invoice", "20").await?;
            open_review(&browser).await?;
            text_appears(&browser, "but your session ends in").await?;
            click(&button(&browser, "Sign in again now").await?).await?;
            click(&button(&browser, "Sign in as Dana Admin").await?).await?;
            table_count(&browser).await?;
            text_appears(&browser, "Pending changes (1)").await?;
            Ok(())
        })
        .await
}

async fn reloading_during_an_apply_asks_first_and_keeps_the_unfinished_changes(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_as_admin(&browser, &stage).await?;
            queue_legacy_billing(&browser, "27").await?;
            open_review(&browser).await?;

            start_slow_apply(&browser, &stage).await?;
            let guarded = run_js(
                &browser,
                "return typeof window.onbeforeunload === 'function';",
            )
            .await?;
            if guarded != json!(true) {
                return Err("leaving the page during an apply does not ask first".into());
            }

            // The person confirms leaving: WebDriver accepts the question on reload.
            browser.refresh().await.map_err(|e| e.to_string())?;
            let _ = browser.accept_alert().await;
            stage.emulator.clear_faults();
            table_count(&browser).await?;
            let pending_line = wait_for_text(&browser, "//h2[@id='pending-heading']", |t| {
                t.starts_with("Pending changes (")
            })
            .await?;
            let pending: usize = pending_line
                .trim_start_matches("Pending changes (")
                .trim_end_matches(')')
                .parse()
                .map_err(|_| format!("the panel says {pending_line:?}"))?;
            let applied = (50..=60)
                .filter(|&n| stored_timeout(&stage, n).is_ok_and(|t| t == Some(27)))
                .count();
            // A change whose answer the reload cut off may be done at Genesys and still be
            // pending here; applying it again finds it done.
            if pending == 11 || pending + applied < 11 {
                return Err(format!(
                    "{pending} pending after the reload, {applied} applied at Genesys"
                ));
            }

            open_review(&browser).await?;
            apply_reviewed(&browser, browser_tests::PATIENCE).await?;
            let summary = report_summary(&browser).await?;
            if !summary.starts_with(&format!("{pending} applied, 0 conflicts, 0 failed")) {
                return Err(format!("the apply after the reload says {summary:?}"));
            }
            expect_legacy_billing(&stage, 27)
        })
        .await
}
