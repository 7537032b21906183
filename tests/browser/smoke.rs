//! The app loads from the emulator's app origin and starts under its Content-Security-Policy.

use std::sync::Arc;

use browser_tests::{ChromeDriver, app_dist, heading};
use futures::FutureExt;
use genesys_emulator::EmulatorConfig;

use crate::Scenario;

pub const SCENARIOS: &[(&str, Scenario)] = &[(
    "smoke::app_page_loads_and_shows_its_title",
    |driver| app_page_loads_and_shows_its_title(driver).boxed_local(),
)];

async fn app_page_loads_and_shows_its_title(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let config = EmulatorConfig {
        app_dir: Some(app_dist()?),
        ..EmulatorConfig::default()
    };
    let emulator = genesys_emulator::start(config).await.map_err(|e| e.to_string())?;
    let app_url = emulator.app_url().ok_or("the emulator serves no app")?.to_string();

    let outcome = driver
        .with_browser(|browser| async move {
            browser.goto(&app_url).await.map_err(|e| e.to_string())?;
            heading(&browser, "Data Action Timeouts").await?;
            Ok(())
        })
        .await;

    emulator.shutdown().await;
    outcome
}
