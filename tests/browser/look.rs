//! Screenshots for a person to look at, not assertions: run with
//! `cargo test -p browser-tests --test browser -- --ignored look` and find the PNGs in the
//! system's temporary folder.

use std::sync::Arc;

use browser_tests::{ChromeDriver, Stage, button, click, people, screenshot, sign_in_to_table};

crate::scenarios!(look_at_the_table_and_the_review);

async fn look_at_the_table_and_the_review(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let folder = std::env::temp_dir();
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            screenshot(&browser, &folder.join("dat-table.png")).await?;
            click(&button(&browser, "Edit timeout of Get invoice").await?).await?;
            let input = browser_tests::find(
                &browser,
                "//input[contains(@aria-label, 'New timeout for Get invoice')]",
            )
            .await?;
            input
                .send_keys("12\u{E007}")
                .await
                .map_err(|e| e.to_string())?;
            click(&button(&browser, "Select all 60 shown").await?).await?;
            screenshot(&browser, &folder.join("dat-pending.png")).await?;
            click(&button(&browser, "Review 1 change").await?).await?;
            screenshot(&browser, &folder.join("dat-review.png")).await?;
            Ok(())
        })
        .await
}
