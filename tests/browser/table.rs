//! The actions table: every action with its timeout and badges, search, filters and sorting,
//! a large organisation, hostile names, and recovery from rate limits and server errors.

use std::sync::Arc;

use browser_tests::{
    ChromeDriver, Stage, button, choose, click, fill, find, people, row_text, sign_in,
    sign_in_to_table, table_count, text_appears, wait_for_column,
};
use genesys_emulator::{EmulatorConfig, FailureMode, Faults, Seed};

crate::scenarios!(
    every_demo_action_is_listed_with_its_timeout_and_badges,
    search_filters_and_sorting_narrow_and_order_the_table,
    a_large_organisation_is_listed_completely,
    hostile_names_are_shown_as_text,
    rate_limits_and_server_errors_while_loading_are_recovered,
);

/// Columns of the table, counted from 1: selection, action, integration, category, timeout,
/// draft, secure, editable.
const TIMEOUT_COLUMN: usize = 5;
const DRAFT_COLUMN: usize = 6;

fn demo_action_count() -> usize {
    genesys_emulator::seed::build(&Seed::Demo).actions.len()
}

async fn every_demo_action_is_listed_with_its_timeout_and_badges(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in(&browser, &stage.app_url, people::ADMIN).await?;
            let expected = demo_action_count();
            let count = table_count(&browser).await?;
            if count != format!("Showing {expected} of {expected} actions") {
                return Err(format!(
                    "the table says {count:?}; the org has {expected} actions"
                ));
            }

            let expectations = [
                ("Get invoice", "30 s"),
                ("Get balance", "default (60 s)"),
                ("Lookup external contact by phone", "draft"),
                ("Check payment card (PCI)", "secure"),
                (
                    "Acme CRM (web services) custom auth",
                    "read-only: custom auth",
                ),
                ("Get Genesys Cloud wrap-up codes", "read-only: built-in"),
                ("Calculate late fee", "function"),
            ];
            for (name, expected) in expectations {
                let row = row_text(&browser, name).await?;
                if !row.contains(expected) {
                    return Err(format!("the row of {name:?} lacks {expected:?}: {row}"));
                }
            }
            let differing = browser
                .find_all(fantoccini::Locator::XPath("//span[contains(., 'differs')]"))
                .await
                .map_err(|e| e.to_string())?;
            if differing.is_empty() {
                return Err("no draft with a different timeout is flagged".into());
            }
            Ok(())
        })
        .await
}

async fn search_filters_and_sorting_narrow_and_order_the_table(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;

            fill(&browser, "Search actions", "INVOICE").await?;
            text_appears(&browser, "Showing 1 of").await?;
            row_text(&browser, "Get invoice").await?;

            fill(&browser, "Search actions", "").await?;
            choose(&browser, "Timeout", "Default (60 s) only").await?;
            wait_for_column(&browser, TIMEOUT_COLUMN, |timeouts| {
                !timeouts.is_empty() && timeouts.iter().all(|t| t.starts_with("default (60 s)"))
            })
            .await
            .map_err(|e| format!("the default-only filter shows other timeouts: {e}"))?;

            choose(&browser, "Timeout", "Explicit and default").await?;
            choose(&browser, "Draft", "Has a draft").await?;
            wait_for_column(&browser, DRAFT_COLUMN, |drafts| {
                !drafts.is_empty() && drafts.iter().all(|d| d.starts_with("draft"))
            })
            .await
            .map_err(|e| format!("the draft filter kept actions without a draft: {e}"))?;

            choose(&browser, "Draft", "With or without draft").await?;
            click(&button(&browser, "Timeout").await?).await?;
            wait_for_column(&browser, TIMEOUT_COLUMN, |timeouts| {
                timeouts.first().is_some_and(|t| t.starts_with("1 s"))
            })
            .await
            .map_err(|e| format!("sorting by timeout did not put the shortest first: {e}"))?;
            find(
                &browser,
                "//th[@aria-sort='ascending'][contains(., 'Timeout')]",
            )
            .await?;
            Ok(())
        })
        .await
}

async fn a_large_organisation_is_listed_completely(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let config = EmulatorConfig {
        seed: Seed::Large {
            count: 2000,
            seed: 7,
        },
        ..EmulatorConfig::default()
    };
    let stage = Stage::start(config).await?;
    driver
        .with_browser(|browser| async move {
            sign_in(&browser, &stage.app_url, people::ADMIN).await?;
            let count = table_count(&browser).await?;
            if count != "Showing 2000 of 2000 actions" {
                return Err(format!("the table says {count:?}"));
            }
            text_appears(&browser, "Page 1 of 20").await?;
            for _ in 0..19 {
                click(&button(&browser, "Next page").await?).await?;
            }
            text_appears(&browser, "Page 20 of 20").await?;
            let rows = browser
                .find_all(fantoccini::Locator::Css("tbody tr"))
                .await
                .map_err(|e| e.to_string())?;
            if rows.len() != 100 {
                return Err(format!("the last page has {} rows", rows.len()));
            }
            Ok(())
        })
        .await
}

async fn hostile_names_are_shown_as_text(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            row_text(&browser, "<script>alert(1)</script> lookup").await?;
            row_text(&browser, "Fetch & merge <b>profile</b>").await?;
            let injected = browser_tests::run_js(
                &browser,
                "return document.querySelectorAll('tbody script, tbody b').length;",
            )
            .await?;
            if injected != serde_json::json!(0) {
                return Err(format!("{injected} elements were made from action names"));
            }
            Ok(())
        })
        .await
}

async fn rate_limits_and_server_errors_while_loading_are_recovered(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            stage.emulator.force_rate_limit_burst(2, 1);
            sign_in(&browser, &stage.app_url, people::ADMIN).await?;
            let expected = demo_action_count();
            let count = table_count(&browser).await?;
            if count != format!("Showing {expected} of {expected} actions") {
                return Err(format!("after 429s the table says {count:?}"));
            }

            stage.emulator.set_faults(Faults {
                fail_next: 2,
                fail_mode: FailureMode::Status,
                fail_status: 503,
                ..Faults::default()
            });
            browser.refresh().await.map_err(|e| e.to_string())?;
            let count = table_count(&browser).await?;
            if count != format!("Showing {expected} of {expected} actions") {
                return Err(format!("after 503s the table says {count:?}"));
            }
            Ok(())
        })
        .await
}
