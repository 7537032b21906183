//! The app loads from the emulator's app origin and starts under its Content-Security-Policy.

use std::sync::Arc;

use browser_tests::{ChromeDriver, Stage, button, csp_violations, heading, open_page};

crate::scenarios!(app_page_loads_under_its_content_security_policy);

async fn app_page_loads_under_its_content_security_policy(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            open_page(&browser, &stage.app_url).await?;
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
