//! Latency-informed tuning: figures, suggestions and flags beside every timeout, "Use
//! suggested" through review, the details panel (chart, where used, history, test runs), the
//! organisation's limits, and what a viewer without the extra permissions is told.

use std::sync::Arc;

use browser_tests::{
    ChromeDriver, Stage, button, choose, click, edit_timeout, expect_accessible, fill, find,
    heading, literal, people, row_text, sign_in, sign_in_to_table, table_count, text_appears,
    text_disappears, wait_for_column,
};
use fantoccini::Client;
use genesys_emulator::model::LatencyProfile;
use genesys_emulator::{EmulatorConfig, Quirk, Seed};
use timeouts_core::suggest;

crate::scenarios!(
    latency_figures_and_suggestions_match_the_seeded_profiles,
    missing_percentiles_fall_back_to_the_maximum_with_a_note,
    suggestions_on_a_selection_are_reviewed_with_p99_warnings,
    details_show_the_chart_where_used_and_the_limits,
    a_viewer_is_told_which_permissions_would_show_more,
    a_get_action_is_tested_and_a_post_action_asks_first,
    the_history_shows_a_change_made_in_the_same_test,
);

/// The flag column once latency is loaded: selection, action, integration, category,
/// timeout, p95, p99, calls, suggested, flag.
const FLAG_COLUMN: usize = 10;

const BELOW_P99: &str = "timeout below p99: calls likely time out";
const FAR_ABOVE_P99: &str = "default or high timeout far above p99";

/// What the seed says about one demo action.
struct Seeded {
    id: String,
    /// The effective timeout in seconds (60 when unset).
    timeout: u32,
    latency: LatencyProfile,
}

impl Seeded {
    /// Calls in the default window of 7 days, as the emulator counts them.
    fn weekly_calls(&self) -> u64 {
        (self.latency.calls_per_day * 7.0).round() as u64
    }
}

fn seeded(name: &str) -> Result<Seeded, String> {
    genesys_emulator::seed::build(&Seed::Demo)
        .actions
        .into_iter()
        .find(|a| a.published.name == name)
        .map(|a| Seeded {
            id: a.id.clone(),
            timeout: a.published.config.timeout_seconds.unwrap_or(60),
            latency: a.latency,
        })
        .ok_or_else(|| format!("the demo seed has no action {name:?}"))
}

/// Every demo action whose p99 exceeds its effective timeout and that had calls this week.
fn seeded_below_p99() -> usize {
    genesys_emulator::seed::build(&Seed::Demo)
        .actions
        .iter()
        .filter(|a| {
            let timeout_ms = u64::from(a.published.config.timeout_seconds.unwrap_or(60)) * 1000;
            (a.latency.calls_per_day * 7.0).round() > 0.0 && timeout_ms < a.latency.p99_ms
        })
        .count()
}

/// The suggestion for a p99, by the core's rule.
fn suggested_seconds(p99_ms: f64) -> u64 {
    u64::from(suggest::seconds_covering(p99_ms))
}

/// Milliseconds as the page shows them: "0.45 s".
fn seconds(ms: u64) -> String {
    suggest::seconds_text(ms as f64)
}

/// Signs in as `person` and loads the latency of the last 7 days.
async fn load_latency(browser: &Client, app_url: &str, person: &str) -> Result<(), String> {
    sign_in(browser, app_url, person).await?;
    table_count(browser).await?;
    click(&button(browser, "Load latency").await?).await?;
    text_appears(browser, "Latency of the last 7 days.").await
}

async fn expect_row(browser: &Client, name: &str, parts: &[String]) -> Result<(), String> {
    let row = row_text(browser, name).await?;
    for part in parts {
        if !row.contains(part.as_str()) {
            return Err(format!("the row of {name:?} lacks {part:?}: {row}"));
        }
    }
    Ok(())
}

async fn latency_figures_and_suggestions_match_the_seeded_profiles(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            load_latency(&browser, &stage.app_url, people::ADMIN).await?;
            expect_accessible(&browser, "table with latency").await?;

            for name in [
                "Get user presence",
                "Get queue observations",
                "Compute refund amount",
                "Lookup warranty",
                "Get statement PDF link",
            ] {
                let action = seeded(name)?;
                let calls = action.weekly_calls();
                assert!(calls >= 20, "{name} should have enough calls");
                let suggestion = suggested_seconds(action.latency.p99_ms as f64);
                expect_row(
                    &browser,
                    name,
                    &[
                        seconds(action.latency.p95_ms),
                        seconds(action.latency.p99_ms),
                        suggest::grouped(calls),
                        format!("{suggestion} s"),
                    ],
                )
                .await?;
            }

            // Too few calls: no suggestion, and the count says why.
            for name in ["Get agent skills", "Suspend account"] {
                let calls = seeded(name)?.weekly_calls();
                let words = if calls == 1 { "call" } else { "calls" };
                expect_row(&browser, name, &[format!("no suggestion: {calls} {words}")]).await?;
            }

            expect_row(&browser, "Get queue observations", &[BELOW_P99.to_string()]).await?;
            expect_row(&browser, "Lookup warranty", &[FAR_ABOVE_P99.to_string()]).await?;
            let quiet = row_text(&browser, "Get user presence").await?;
            if quiet.contains(BELOW_P99) || quiet.contains(FAR_ABOVE_P99) {
                return Err(format!("a well-set timeout is flagged: {quiet}"));
            }

            // Another window replaces the figures: a day has a seventh of the week's calls.
            choose(&browser, "Latency window", "Last 24 hours").await?;
            text_appears(&browser, "Latency of the last 24 hours.").await?;
            let observations = seeded("Get queue observations")?;
            let daily = observations.latency.calls_per_day.round() as u64;
            expect_row(
                &browser,
                "Get queue observations",
                &[suggest::grouped(daily)],
            )
            .await?;
            choose(&browser, "Latency window", "Last 7 days").await?;
            text_appears(&browser, "Latency of the last 7 days.").await?;

            choose(&browser, "Latency flag", "Timeout below p99").await?;
            let expected = seeded_below_p99();
            text_appears(&browser, &format!("Showing {expected} of ")).await?;
            wait_for_column(&browser, FLAG_COLUMN, |flags| {
                flags.len() == expected && flags.iter().all(|f| f == BELOW_P99)
            })
            .await
            .map_err(|e| format!("the below-p99 filter kept other rows: {e}"))?;

            choose(&browser, "Latency flag", "Timeout far above p99").await?;
            wait_for_column(&browser, FLAG_COLUMN, |flags| {
                !flags.is_empty() && flags.iter().all(|f| f.starts_with(FAR_ABOVE_P99))
            })
            .await
            .map_err(|e| format!("the far-above filter kept other rows: {e}"))?;
            row_text(&browser, "Lookup warranty").await?;
            Ok(())
        })
        .await
}

async fn missing_percentiles_fall_back_to_the_maximum_with_a_note(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::start(EmulatorConfig {
        quirks: vec![Quirk::NoPercentiles],
        ..EmulatorConfig::default()
    })
    .await?;
    driver
        .with_browser(|browser| async move {
            load_latency(&browser, &stage.app_url, people::ADMIN).await?;
            text_appears(&browser, "Analytics returned no p95 or p99 for").await?;

            // The maximum of a busy action is about 1.25 × its p99 (5.25 s here), so the
            // suggestion rests on it and is larger than the p99's would be.
            let action = seeded("Get queue observations")?;
            let max_ms = action.latency.p99_ms as f64 * 1.25;
            let suggestion = suggested_seconds(max_ms);
            expect_row(
                &browser,
                "Get queue observations",
                &[
                    "no p95; mean".to_string(),
                    format!("no p99; max {}", seconds(max_ms.round() as u64)),
                    format!("{suggestion} s"),
                    "(from the maximum)".to_string(),
                    BELOW_P99.to_string(),
                ],
            )
            .await
        })
        .await
}

async fn select(browser: &Client, name: &str) -> Result<(), String> {
    let label = literal(&format!("Select {name}"));
    click(
        &find(
            browser,
            &format!("//input[@type='checkbox'][@aria-label={label}]"),
        )
        .await?,
    )
    .await
}

async fn suggestions_on_a_selection_are_reviewed_with_p99_warnings(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            load_latency(&browser, &stage.app_url, people::ADMIN).await?;

            // One row on its own.
            let presence = seeded("Get user presence")?;
            let presence_suggestion = suggested_seconds(presence.latency.p99_ms as f64);
            click(
                &button(
                    &browser,
                    &format!("Use suggested {presence_suggestion} s for Get user presence"),
                )
                .await?,
            )
            .await?;
            text_appears(
                &browser,
                &format!("Get user presence: 5 s → {presence_suggestion} s"),
            )
            .await?;

            // A selection: two suggestions, one capped at 60 s below a p99 of 70 s, and one
            // action with too few calls that is left alone.
            for name in [
                "Get queue observations",
                "Get statement PDF link",
                "Get agent skills",
            ] {
                select(&browser, name).await?;
            }
            click(&button(&browser, "Use suggested on the selection").await?).await?;
            text_appears(&browser, "Suggested timeouts used for 2 actions; 1 without").await?;
            let observations = seeded("Get queue observations")?;
            text_appears(
                &browser,
                &format!(
                    "Get queue observations: 3 s → {} s",
                    suggested_seconds(observations.latency.p99_ms as f64)
                ),
            )
            .await?;
            text_appears(&browser, "Get statement PDF link: 40 s → 60 s").await?;

            // A hand-made change below the p99 is warned about too.
            edit_timeout(&browser, "Find case by number", "3").await?;
            click(&button(&browser, "Review 4 changes").await?).await?;
            heading(&browser, "Review changes").await?;
            text_appears(&browser, "below the measured p99 of 70 s").await?;
            text_appears(&browser, "below the measured p99 of 7 s").await?;
            text_appears(&browser, "2 with warnings").await?;
            Ok(())
        })
        .await
}

async fn details_show_the_chart_where_used_and_the_limits(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            text_appears(
                &browser,
                "at most 50 data action calls at once, and 2,500 calls a minute",
            )
            .await?;

            click(&button(&browser, "Details of Get queue observations").await?).await?;
            heading(&browser, "Details: Get queue observations").await?;
            find(&browser, "//dialog[@open]").await?;
            text_appears(&browser, "Main IVR (inbound call flow, published)").await?;
            text_appears(&browser, "Queue hold experience (in-queue call flow, published)")
                .await?;
            let chart = find(
                &browser,
                "//*[local-name()='svg'][@role='img'][contains(@aria-label, 'p95 2.6 s, p99 4.2 s, timeout 3 s')]",
            )
            .await?;
            let label = chart
                .attr("aria-label")
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            if !label.contains("above the timeout") {
                return Err(format!("the chart does not say the p99 is too high: {label}"));
            }
            text_appears(&browser, "No changes in the last 7 days.").await?;
            expect_accessible(&browser, "details panel").await?;

            // Escape closes the panel, wherever the focus is inside it.
            let close = find(&browser, "//dialog[@open]//button[normalize-space()='Close']").await?;
            close
                .send_keys(&browser_tests::keys::ESCAPE.to_string())
                .await
                .map_err(|e| e.to_string())?;
            text_disappears(&browser, "Details: Get queue observations").await?;

            click(&button(&browser, "Details of Escalate VIP ticket 🚨").await?).await?;
            text_appears(&browser, "After-call survey (workflow, not published)").await?;
            click(&button(&browser, "Close").await?).await?;
            click(&button(&browser, "Details of Lookup warranty").await?).await?;
            text_appears(&browser, "No flow uses this action.").await?;
            Ok(())
        })
        .await
}

async fn a_viewer_is_told_which_permissions_would_show_more(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            load_latency(&browser, &stage.app_url, people::VIEWER).await?;
            click(&button(&browser, "Details of Get user presence").await?).await?;
            heading(&browser, "Details: Get user presence").await?;
            text_appears(
                &browser,
                "Where this action is used is hidden: it needs the architect:dependencyTracking:view permission.",
            )
            .await?;
            text_appears(
                &browser,
                "The history of changes is hidden: it needs the audits:audit:view permission.",
            )
            .await?;
            text_appears(
                &browser,
                "Testing is not available: it needs the integrations:action:execute permission.",
            )
            .await?;
            // The latency itself only needs the view permission.
            find(
                &browser,
                "//*[local-name()='svg'][@role='img'][contains(@aria-label, 'p99 0.9 s')]",
            )
            .await?;
            Ok(())
        })
        .await
}

async fn a_get_action_is_tested_and_a_post_action_asks_first(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let presence = seeded("Get user presence")?;
    let participant = seeded("Set participant data")?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;

            stage
                .emulator
                .force_next_test_ms(&presence.id, 200)
                .map_err(|e| e.to_string())?;
            click(&button(&browser, "Details of Get user presence").await?).await?;
            fill(&browser, "query (required)", "agent-1").await?;
            click(&button(&browser, "Run test").await?).await?;
            text_appears(&browser, "Test succeeded in").await?;
            text_appears(&browser, "(measured by this page)").await?;

            // A test slower than the 5 s timeout fails with Genesys' timeout error.
            let too_slow = u64::from(presence.timeout) * 1000 + 2000;
            stage
                .emulator
                .force_next_test_ms(&presence.id, too_slow)
                .map_err(|e| e.to_string())?;
            click(&button(&browser, "Run test").await?).await?;
            text_appears(&browser, "Test failed after").await?;
            text_appears(&browser, "The request timed out after 5 seconds.").await?;
            click(&button(&browser, "Close").await?).await?;

            // A POST is not sent before the person confirms.
            stage
                .emulator
                .force_next_test_ms(&participant.id, 100)
                .map_err(|e| e.to_string())?;
            click(&button(&browser, "Details of Set participant data").await?).await?;
            fill(&browser, "query (required)", "conversation-1").await?;
            click(&button(&browser, "Run test").await?).await?;
            text_appears(&browser, "A test really calls the outside service.").await?;
            click(&button(&browser, "Cancel").await?).await?;
            text_disappears(&browser, "A test really calls the outside service.").await?;
            if test_runs(&stage, &participant.id)? != 0 {
                return Err("the POST action was tested without confirmation".into());
            }

            click(&button(&browser, "Run test").await?).await?;
            click(&button(&browser, "Yes, run the test").await?).await?;
            text_appears(&browser, "Test succeeded in").await?;
            if test_runs(&stage, &participant.id)? != 1 {
                return Err("the confirmed test did not run exactly once".into());
            }
            Ok(())
        })
        .await
}

/// How many tests the emulator ran for an action.
fn test_runs(stage: &Stage, action_id: &str) -> Result<u64, String> {
    let record = stage
        .emulator
        .control()
        .stored_record(action_id)
        .map_err(|e| e.to_string())?;
    record
        .get("testRuns")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("no test count in {record}"))
}

async fn the_history_shows_a_change_made_in_the_same_test(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;

            edit_timeout(&browser, "Get tariff", "2").await?;
            click(&button(&browser, "Review 1 change").await?).await?;
            click(&button(&browser, "Apply 1 change").await?).await?;
            heading(&browser, "Apply finished").await?;
            click(&button(&browser, "Back to the table").await?).await?;
            table_count(&browser).await?;

            click(&button(&browser, "Details of Get tariff").await?).await?;
            let row = find(
                &browser,
                "//table[contains(@class, 'history')]//tr[td[normalize-space()='1 s → 2 s']]",
            )
            .await?
            .text()
            .await
            .map_err(|e| e.to_string())?;
            for part in ["Dana Admin", "Update action", "UTC"] {
                if !row.contains(part) {
                    return Err(format!("the history row lacks {part:?}: {row}"));
                }
            }
            Ok(())
        })
        .await
}
