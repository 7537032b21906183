//! Security rules seen from the browser: the page works under the response headers a host
//! must send; the token stays out of localStorage, the address, exported files and the
//! console; hostile names and imported files are shown as text; CSV exports neutralise
//! formulas.

use std::sync::Arc;

use browser_tests::{
    ChromeDriver, Stage, button, click, csp_violations, current_url, downloaded, fill, import_file,
    people, row_text, run_js, sign_in_to_table, sign_out, table_count, text_appears, wait_for_text,
};
use fantoccini::Client;
use genesys_emulator::{AdminEdit, TimeoutEdit};
use serde_json::json;

crate::scenarios!(
    the_page_works_under_the_hosting_headers,
    the_token_stays_out_of_local_storage_addresses_exports_and_the_console,
    hostile_action_names_are_shown_as_text,
    hostile_csv_and_json_imports_are_shown_as_text,
    csv_exports_neutralise_formula_cells,
);

/// A name that would become an element, and run script, if the page inserted it as HTML.
const HOSTILE_MARKUP: &str = "<img src=x onerror=alert(1)> Get invoice";
/// A name that a spreadsheet would run as a formula if a CSV cell started with it.
const HOSTILE_FORMULA: &str = "=HYPERLINK(\"http://evil.example/\";\"Open\")";

/// The id of the demo organisation's action number `n` (1 to 60).
fn demo_id(n: u64) -> String {
    format!("ac710000-0000-4000-8000-{n:012x}")
}

/// Renames the demo action `n` as another admin would.
fn rename(stage: &Stage, n: u64, name: &str) -> Result<(), String> {
    let edit = AdminEdit {
        timeout: TimeoutEdit::Keep,
        name: Some(name.to_string()),
    };
    stage
        .emulator
        .edit_action(&demo_id(n), &edit)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The tab's token, read from sessionStorage where the page keeps it.
async fn stored_token(browser: &Client) -> Result<String, String> {
    let token = run_js(
        browser,
        "const s = sessionStorage.getItem('dat.session'); return s && JSON.parse(s).token;",
    )
    .await?;
    token
        .as_str()
        .filter(|token| token.len() >= 16)
        .map(str::to_string)
        .ok_or_else(|| format!("no token in sessionStorage: {token}"))
}

/// Fails when the page holds any element made from markup in data: an `img`, a `script` or
/// an element with an inline event handler. The app itself renders none of these.
async fn expect_no_injected_elements(browser: &Client) -> Result<(), String> {
    let found = run_js(
        browser,
        "return [...document.querySelectorAll('img, script:not([src]), [onerror], [onclick]')] \
           .map(e => e.outerHTML);",
    )
    .await?;
    if found.as_array().is_some_and(|found| !found.is_empty()) {
        return Err(format!("markup from data became elements: {found}"));
    }
    let violations = csp_violations(browser).await?;
    if violations != 0 {
        return Err(format!("{violations} Content-Security-Policy violations"));
    }
    Ok(())
}

async fn the_page_works_under_the_hosting_headers(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;

            // The headers the browser received with the page itself.
            let headers = browser
                .execute_async(
                    "const done = arguments[0]; \
                     fetch(location.href).then(r => done(Object.fromEntries(r.headers)));",
                    Vec::new(),
                )
                .await
                .map_err(|e| e.to_string())?;
            let policy = headers["content-security-policy"]
                .as_str()
                .unwrap_or_default();
            if !policy.starts_with("frame-ancestors 'self' https://apps.mypurecloud.com ") {
                return Err(format!("the page came with the policy {policy:?}"));
            }
            // Browsers ignore HSTS over plain HTTP, so only its presence can be checked here.
            let expected = [
                ("strict-transport-security", "max-age=31536000"),
                ("referrer-policy", "no-referrer"),
                ("x-content-type-options", "nosniff"),
            ];
            for (name, value) in expected {
                if headers[name] != json!(value) {
                    return Err(format!("{name} is {}, not {value}", headers[name]));
                }
            }

            let violations = csp_violations(&browser).await?;
            if violations != 0 {
                return Err(format!("{violations} Content-Security-Policy violations"));
            }
            Ok(())
        })
        .await
}

async fn the_token_stays_out_of_local_storage_addresses_exports_and_the_console(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
    let downloads = folder.path().to_path_buf();
    let console_driver = Arc::clone(&driver);
    driver
        .with_browser_downloading(Some(folder.path()), |browser| async move {
            let mut console = String::new();
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            let token = stored_token(&browser).await?;

            // Reloading reads the token back from storage and uses it again.
            browser.refresh().await.map_err(|e| e.to_string())?;
            table_count(&browser).await?;
            console.push_str(&console_driver.console_text(&browser).await?);

            let local = run_js(&browser, "return JSON.stringify({ ...localStorage });").await?;
            if local.to_string().contains(&token) {
                return Err("the token is in localStorage".into());
            }
            let address = current_url(&browser).await?;
            if address.contains(&token) {
                return Err(format!("the token is in the address {address}"));
            }

            click(&button(&browser, "Export shown as CSV").await?).await?;
            let csv = downloaded(&downloads, "timeouts-", "csv").await?;
            click(&button(&browser, "Export shown as JSON").await?).await?;
            let exported = downloaded(&downloads, "timeouts-2", "json").await?;
            if csv.contains(&token) || exported.contains(&token) {
                return Err("the token is in an exported file".into());
            }

            // The console channel must be able to see what the page prints, or finding no
            // token in it would prove nothing: a message written by the page's own console,
            // as the app would write one, has to come through.
            let probe = format!("console-probe-{}", token.len() * 7919);
            run_js(&browser, &format!("console.log('{probe}'); return null;")).await?;
            let deadline = std::time::Instant::now() + browser_tests::PATIENCE;
            loop {
                console.push_str(&console_driver.console_text(&browser).await?);
                if console.contains(&probe) {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!("the console reader missed the probe:\n{console}"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }

            // Signing out revokes the token, one more place where the page handles it.
            sign_out(&browser).await?;
            console.push_str(&console_driver.console_text(&browser).await?);
            if console.contains(&token) {
                return Err(format!("the token was written to the console:\n{console}"));
            }
            if current_url(&browser).await?.contains(&token) {
                return Err("the token is in the address after signing out".into());
            }
            Ok(())
        })
        .await
}

async fn hostile_action_names_are_shown_as_text(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    rename(&stage, 50, HOSTILE_MARKUP)?;
    rename(
        &stage,
        51,
        "<script>window.injected = 1</script>Get balance",
    )?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            let row = row_text(&browser, "<img src=x").await?;
            if !row.contains(HOSTILE_MARKUP) {
                return Err(format!("the row does not show the name as written: {row}"));
            }
            row_text(&browser, "<script>window.injected = 1</script>").await?;

            // Searching and editing show the name in more places.
            fill(&browser, "Search actions", "onerror").await?;
            wait_for_text(
                &browser,
                "//p[starts-with(normalize-space(), 'Showing ')]",
                |t| t.starts_with("Showing 1 of"),
            )
            .await?;
            browser_tests::edit_timeout(&browser, HOSTILE_MARKUP, "12").await?;
            text_appears(&browser, "Pending changes (1)").await?;
            expect_no_injected_elements(&browser).await?;
            if run_js(&browser, "return window.injected === undefined;").await? != json!(true) {
                return Err("a script from a name ran".into());
            }
            Ok(())
        })
        .await
}

async fn hostile_csv_and_json_imports_are_shown_as_text(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
    let csv_path = folder.path().join("hostile.csv");
    let csv = format!(
        "action_id,name,timeout\n\
         ,<img src=x onerror=alert(1)>,20\n\
         ,\"{}\",20\n\
         {},Get invoice,<b>12</b>\n",
        HOSTILE_FORMULA.replace('"', "\"\""),
        demo_id(50)
    );
    std::fs::write(&csv_path, csv).map_err(|e| e.to_string())?;
    let json_path = folder.path().join("hostile.json");
    let json = json!({ "actions": [
        { "actionId": "<svg onload=alert(1)>", "name": "<svg onload=alert(1)>", "timeout": 20 },
    ]});
    std::fs::write(&json_path, json.to_string()).map_err(|e| e.to_string())?;

    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;

            import_file(&browser, &csv_path).await?;
            let listed =
                wait_for_text(&browser, "//div[@role='alert']", |t| t.contains("line 4")).await?;
            let expected = [
                "<img src=x onerror=alert(1)>",
                // The message quotes the name with its inner quotes escaped.
                "no action is named \"=HYPERLINK(",
                "<b>12</b>",
            ];
            for text in expected {
                if !listed.contains(text) {
                    return Err(format!("the problems do not quote {text:?}:\n{listed}"));
                }
            }
            expect_no_injected_elements(&browser).await?;

            import_file(&browser, &json_path).await?;
            let listed = wait_for_text(&browser, "//div[@role='alert']", |t| {
                !t.is_empty() && !t.contains("line 4")
            })
            .await?;
            if !listed.contains("<svg onload=alert(1)>") {
                return Err(format!(
                    "the problems do not quote the id as text:\n{listed}"
                ));
            }
            expect_no_injected_elements(&browser).await?;
            let svg = run_js(
                &browser,
                "return document.querySelectorAll('svg[onload]').length;",
            )
            .await?;
            if svg != json!(0) {
                return Err("an imported name became an svg element".into());
            }
            Ok(())
        })
        .await
}

async fn csv_exports_neutralise_formula_cells(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let names = [
        (50, HOSTILE_FORMULA),
        (51, "+1+1 balance"),
        (52, "-2+3 refunds"),
        (53, "@SUM(A1) history"),
    ];
    for (n, name) in names {
        rename(&stage, n, name)?;
    }
    let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
    let downloads = folder.path().to_path_buf();
    driver
        .with_browser_downloading(Some(folder.path()), |browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            click(&button(&browser, "Export shown as CSV").await?).await?;
            let csv = downloaded(&downloads, "timeouts-", "csv").await?;

            // Each hostile name is exported with a leading apostrophe (and CSV quoting where
            // it holds quotes), so a spreadsheet shows it as text.
            let expected = [
                ",\"'=HYPERLINK(\"\"http://evil.example/\"\";\"\"Open\"\")\",",
                ",'+1+1 balance,",
                ",'-2+3 refunds,",
                ",'@SUM(A1) history,",
            ];
            for cell in expected {
                if !csv.contains(cell) {
                    return Err(format!("the CSV lacks the neutralised cell {cell}:\n{csv}"));
                }
            }
            let dangerous: Vec<&str> = csv
                .lines()
                .filter(|line| {
                    ["=", "+", "-", "@"].iter().any(|start| {
                        line.starts_with(start)
                            || line.contains(&format!(",{start}"))
                            || line.contains(&format!(",\"{start}"))
                    })
                })
                .collect();
            if !dangerous.is_empty() {
                return Err(format!("cells that start a formula: {dangerous:?}"));
            }
            Ok(())
        })
        .await
}
