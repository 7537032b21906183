//! Inside Genesys Cloud as a Client Application: crafted `gcTargetEnv` values are refused, and a
//! framed page signs in through a popup.

use std::sync::Arc;
use std::time::{Duration, Instant};

use browser_tests::{
    ChromeDriver, Stage, button, click, open_page, page_text, people, run_js, text_appears,
};

crate::scenarios!(
    a_crafted_genesys_environment_is_refused,
    an_unfilled_placeholder_is_explained,
    a_framed_page_signs_in_through_a_popup,
);

async fn a_crafted_genesys_environment_is_refused(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            let crafted = format!(
                "{}?gcTargetEnv=evil.example.com&gcHostOrigin=https%3A%2F%2Fevil.example.com",
                stage.app_url
            );
            open_page(&browser, &crafted).await?;
            text_appears(&browser, "Sign-in is not offered").await?;
            text_appears(&browser, "not a known region").await?;
            if page_text(&browser)
                .await?
                .contains("Sign in with Genesys Cloud")
            {
                return Err("a crafted environment still offers sign-in".into());
            }

            let wrong_origin = format!(
                "{}?gcTargetEnv=mypurecloud.ie&gcHostOrigin=https%3A%2F%2Fapps.evil.example",
                stage.app_url
            );
            browser
                .goto(&wrong_origin)
                .await
                .map_err(|e| e.to_string())?;
            text_appears(&browser, "does not belong to the named region").await?;
            Ok(())
        })
        .await
}

async fn an_unfilled_placeholder_is_explained(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            let url = format!("{}?gcTargetEnv={{{{gcTargetEnv}}}}", stage.app_url);
            open_page(&browser, &url).await?;
            text_appears(
                &browser,
                "open the page from Genesys Cloud, which fills it in",
            )
            .await
        })
        .await
}

async fn a_framed_page_signs_in_through_a_popup(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            // A page of the app's own origin frames the app, as Genesys Cloud does. The app's
            // own page forbids frames in its policy, so the host is the style sheet shown as a
            // plain text document (JSON would open Firefox's viewer, another origin), which the
            // frame-ancestors rule ('self') lets frame the app.
            let host = format!("{}main.css", stage.app_url);
            open_page(&browser, &host).await?;
            let framed = format!(
                "{}?gcTargetEnv=mypurecloud.ie&gcHostOrigin=https%3A%2F%2Fapps.mypurecloud.ie",
                stage.app_url
            );
            run_js(
                &browser,
                &format!(
                    "document.body.replaceChildren(); const f = document.createElement('iframe'); \
                     f.src = {framed:?}; f.width = 1000; f.height = 800; document.body.append(f); return null;"
                ),
            )
            .await?;
            let main_window = browser.window().await.map_err(|e| e.to_string())?;
            browser.enter_frame(0).await.map_err(|e| e.to_string())?;
            text_appears(&browser, "Genesys Cloud region: mypurecloud.ie (from Genesys Cloud)").await?;
            click(&button(&browser, "Sign in with Genesys Cloud").await?).await?;

            let popup = wait_for_second_window(&browser, &main_window).await?;
            browser.switch_to_window(popup).await.map_err(|e| e.to_string())?;
            click(&button(&browser, &format!("Sign in as {}", people::ADMIN)).await?).await?;

            browser.switch_to_window(main_window).await.map_err(|e| e.to_string())?;
            browser.enter_frame(0).await.map_err(|e| e.to_string())?;
            text_appears(&browser, "Signed in as Dana Admin").await?;
            Ok(())
        })
        .await
}

async fn wait_for_second_window(
    browser: &fantoccini::Client,
    main: &fantoccini::wd::WindowHandle,
) -> Result<fantoccini::wd::WindowHandle, String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let windows = browser.windows().await.map_err(|e| e.to_string())?;
        if let Some(popup) = windows.into_iter().find(|w| w != main) {
            return Ok(popup);
        }
        if Instant::now() > deadline {
            return Err("no sign-in popup opened".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
