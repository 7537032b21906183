//! Accessibility: axe-core finds no serious or critical problem on any screen of the app
//! (set-up, sign-in, table, review, apply in progress, details, and error screens), and an
//! edit can be found, reviewed and applied with the keyboard alone, the focus always drawn.

use std::sync::Arc;

use browser_tests::{
    ChromeDriver, Stage, button, click, edit_timeout, expect_accessible, find, heading,
    heading_within, keys, open_page, people, run_js, serious_accessibility_violations, sign_in,
    sign_in_to_table, start_sign_in, text_appears,
};
use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use genesys_emulator::Faults;
use serde_json::json;

crate::scenarios!(
    axe_reports_a_button_without_a_name,
    the_setup_page_is_accessible,
    the_sign_in_pages_are_accessible,
    the_table_review_apply_and_report_are_accessible,
    the_details_panel_is_accessible,
    the_error_screens_are_accessible,
    an_edit_is_found_reviewed_and_applied_with_the_keyboard_alone,
);

/// The check itself: a page with a nameless button must fail it, or passing proves nothing.
async fn axe_reports_a_button_without_a_name(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            open_page(&browser, &stage.app_url).await?;
            button(&browser, "Sign in with Genesys Cloud").await?;
            run_js(
                &browser,
                "document.querySelector('main').append(document.createElement('button')); \
                 return null;",
            )
            .await?;
            let violations = serious_accessibility_violations(&browser).await?;
            if !violations.iter().any(|v| v.starts_with("button-name ")) {
                return Err(format!("axe missed the nameless button: {violations:?}"));
            }
            Ok(())
        })
        .await
}

async fn the_setup_page_is_accessible(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    // A blank client id: a `null` in a patch only drops an earlier override.
    let patch = json!({ "clientId": " " });
    stage
        .emulator
        .patch_app_config(patch.as_object().ok_or("not an object")?);
    driver
        .with_browser(|browser| async move {
            open_page(&browser, &stage.app_url).await?;
            if let Err(error) = heading(&browser, "Data Action Timeouts: set-up needed").await {
                let shown = browser_tests::page_text(&browser).await.unwrap_or_default();
                return Err(format!("{error}; the page says:\n{shown}"));
            }
            expect_accessible(&browser, "set-up page").await
        })
        .await
}

async fn the_sign_in_pages_are_accessible(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            open_page(&browser, &stage.app_url).await?;
            button(&browser, "Sign in with Genesys Cloud").await?;
            expect_accessible(&browser, "sign-in page").await?;

            // A real deployment shows the region picker too.
            let patch = json!({ "region": "mypurecloud.ie", "emulator": null });
            stage
                .emulator
                .patch_app_config(patch.as_object().ok_or("not an object")?);
            browser.refresh().await.map_err(|e| e.to_string())?;
            find(
                &browser,
                "//label[contains(., 'Genesys Cloud region')]//select",
            )
            .await?;
            expect_accessible(&browser, "sign-in page with the region picker").await
        })
        .await
}

async fn the_table_review_apply_and_report_are_accessible(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            expect_accessible(&browser, "table").await?;

            edit_timeout(&browser, "Get invoice", "12").await?;
            edit_timeout(&browser, "Get balance", "14").await?;
            text_appears(&browser, "Pending changes (2)").await?;
            expect_accessible(&browser, "table with pending changes").await?;

            click(
                &find(
                    &browser,
                    "//section[contains(@class, 'pending')]//button[starts-with(normalize-space(), 'Review ')]",
                )
                .await?,
            )
            .await?;
            heading(&browser, "Review changes").await?;
            expect_accessible(&browser, "review").await?;

            // Slow answers keep the apply in progress while axe looks at it.
            stage.emulator.set_faults(Faults {
                latency_ms: 3_000,
                ..Faults::default()
            });
            click(
                &find(
                    &browser,
                    "//section[contains(@class, 'review')]//button[starts-with(normalize-space(), 'Apply ')]",
                )
                .await?,
            )
            .await?;
            heading(&browser, "Applying changes").await?;
            expect_accessible(&browser, "apply in progress").await?;
            stage.emulator.clear_faults();

            browser_tests::heading_within(
                &browser,
                "Apply finished",
                std::time::Duration::from_secs(60),
            )
            .await?;
            expect_accessible(&browser, "apply report").await
        })
        .await
}

async fn the_details_panel_is_accessible(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            click(&button(&browser, "Details of Get queue observations").await?).await?;
            heading(&browser, "Details: Get queue observations").await?;
            text_appears(&browser, "Main IVR (inbound call flow, published)").await?;
            expect_accessible(&browser, "details panel").await
        })
        .await
}

async fn the_error_screens_are_accessible(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            // Consent refused at Genesys: the sign-in page explains it.
            start_sign_in(&browser, &stage.app_url).await?;
            click(&button(&browser, "Deny").await?).await?;
            text_appears(&browser, "Sign-in was not completed").await?;
            expect_accessible(&browser, "refused sign-in").await?;

            // A person without the permission to see actions.
            sign_in(&browser, &stage.app_url, people::NO_INTEGRATIONS).await?;
            text_appears(&browser, "You cannot view Data Actions").await?;
            expect_accessible(&browser, "missing-permission screen").await?;
            Ok(())
        })
        .await
}

/// After signing in, a person who uses only the keyboard searches, edits a timeout, reviews
/// and applies it; every control on the way is reached with Tab and shows where the focus is.
async fn an_edit_is_found_reviewed_and_applied_with_the_keyboard_alone(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;

            tab_to(&browser, Tab::Forward, "Search actions").await?;
            press(&browser, "Get invoice").await?;
            tab_to(&browser, Tab::Forward, "Edit timeout of Get invoice").await?;
            press(&browser, &keys::ENTER.to_string()).await?;
            press(&browser, &format!("17{}", keys::ENTER)).await?;
            text_appears(&browser, "Pending changes (1)").await?;

            // The pending changes sit above the table: back up to them, as a person would.
            tab_to(&browser, Tab::Backward, "Review 1 change").await?;
            press(&browser, &keys::ENTER.to_string()).await?;
            heading(&browser, "Review changes").await?;
            tab_to(&browser, Tab::Forward, "Apply 1 change").await?;
            press(&browser, &keys::ENTER.to_string()).await?;
            heading_within(
                &browser,
                "Apply finished",
                std::time::Duration::from_secs(60),
            )
            .await?;
            text_appears(&browser, "1 applied, 0 conflicts, 0 failed").await
        })
        .await
}

/// The most Tab presses a control may be away; the demo's page has far fewer stops.
const MOST_TAB_STOPS: usize = 80;

/// Which way to move the focus: Tab or Shift+Tab.
#[derive(Clone, Copy)]
enum Tab {
    Forward,
    Backward,
}

/// Presses Tab (or Shift+Tab) until the focused control's name starts with `name`, as a
/// keyboard user moves through the page, and checks that the focus is drawn there. The walk
/// never needs to wrap past the end of the page, where the focus would leave the document.
async fn tab_to(browser: &Client, direction: Tab, name: &str) -> Result<(), String> {
    for _ in 0..MOST_TAB_STOPS {
        let focused = run_js(
            browser,
            "const e = document.activeElement; \
             if (!e || e === document.body) return ''; \
             const label = e.labels && e.labels.length ? e.labels[0].textContent : ''; \
             return (e.getAttribute('aria-label') || label || e.textContent || '').trim();",
        )
        .await?;
        if focused.as_str().is_some_and(|text| text.starts_with(name)) {
            return expect_focus_drawn(browser, name).await;
        }
        let step = match direction {
            Tab::Forward => keys::TAB.to_string(),
            Tab::Backward => format!("{}{}", keys::SHIFT, keys::TAB),
        };
        press(browser, &step).await?;
    }
    Err(format!(
        "{name:?} was not reached in {MOST_TAB_STOPS} presses of Tab"
    ))
}

/// Presses the keys of `sequence` one after the other on the keyboard, into whatever has the focus; Shift is
/// held down for the key after it. (An element's own "send keys" would not do: on a file
/// input it means choosing a file.)
async fn press(browser: &Client, sequence: &str) -> Result<(), String> {
    let mut typing = KeyActions::new("keyboard".to_string());
    let mut shift_held = false;
    for key in sequence.chars() {
        typing = typing.then(KeyAction::Down { value: key });
        if key == keys::SHIFT {
            shift_held = true;
            continue;
        }
        typing = typing.then(KeyAction::Up { value: key });
        if std::mem::take(&mut shift_held) {
            typing = typing.then(KeyAction::Up { value: keys::SHIFT });
        }
    }
    browser
        .perform_actions(typing)
        .await
        .map_err(|e| e.to_string())
}

/// The focused control must show an outline: a keyboard user has to see where they are.
async fn expect_focus_drawn(browser: &Client, name: &str) -> Result<(), String> {
    let outline = run_js(
        browser,
        "const style = getComputedStyle(document.activeElement); \
         return style.outlineStyle === 'none' ? '' : style.outlineWidth;",
    )
    .await?;
    match outline.as_str() {
        Some(width) if !width.is_empty() && width != "0px" => Ok(()),
        _ => Err(format!("the focus on {name:?} is not drawn ({outline})")),
    }
}
