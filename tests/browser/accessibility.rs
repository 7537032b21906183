//! Accessibility: axe-core finds no serious or critical problem on any screen of the app
//! (set-up, sign-in, table, review, apply in progress, details, and error screens).

use std::sync::Arc;

use browser_tests::{
    ChromeDriver, Stage, button, click, edit_timeout, expect_accessible, find, heading, people,
    run_js, serious_accessibility_violations, sign_in, sign_in_to_table, text_appears,
};
use genesys_emulator::Faults;
use serde_json::json;

crate::scenarios!(
    axe_reports_a_button_without_a_name,
    the_setup_page_is_accessible,
    the_sign_in_pages_are_accessible,
    the_table_review_apply_and_report_are_accessible,
    the_details_panel_is_accessible,
    the_error_screens_are_accessible,
);

/// The check itself: a page with a nameless button must fail it, or passing proves nothing.
async fn axe_reports_a_button_without_a_name(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            browser
                .goto(&stage.app_url)
                .await
                .map_err(|e| e.to_string())?;
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
            browser
                .goto(&stage.app_url)
                .await
                .map_err(|e| e.to_string())?;
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
            browser
                .goto(&stage.app_url)
                .await
                .map_err(|e| e.to_string())?;
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
            browser
                .goto(&stage.app_url)
                .await
                .map_err(|e| e.to_string())?;
            click(&button(&browser, "Sign in with Genesys Cloud").await?).await?;
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
