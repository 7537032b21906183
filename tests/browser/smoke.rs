//! The app loads from the emulator's app origin and starts under its Content-Security-Policy.

use std::sync::Arc;

use browser_tests::{ChromeDriver, Stage, button, csp_violations, heading};

crate::scenarios!(app_page_loads_under_its_content_security_policy);

async fn app_page_loads_under_its_content_security_policy(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            browser
                .goto(&stage.app_url)
                .await
                .map_err(|e| e.to_string())?;
            heading(&browser, "Data Action Timeouts").await?;
            button(&browser, "Sign in with Genesys Cloud").await?;
            let violations = csp_violations(&browser).await?;
            if violations != 0 {
                return Err(format!("{violations} Content-Security-Policy violations"));
            }
            Ok(())
        })
        .await
}
