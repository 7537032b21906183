//! Benchmark of the page (not a test): the release bundle's size, the time from data arrival
//! to the full table for an organisation of 2,000 actions in headless Chromium, and how long
//! the table takes to follow a search or a sort. Each figure is printed with its bound and
//! their ratio. Run with `cargo bench -p browser-tests --bench table` after a release build.

use std::io::Write;
use std::time::Duration;

use browser_tests::{ChromeDriver, Stage, app_dist, people, run_js, sign_in, table_count};
use flate2::Compression;
use flate2::write::GzEncoder;
use genesys_emulator::{EmulatorConfig, Seed};

/// Targets from the product's requirements.
const BUNDLE_BOUND_KB: f64 = 250.0;
const TABLE_BOUND_MS: f64 = 1000.0;
const UPDATE_BOUND_MS: f64 = 100.0;
const ROUNDS: usize = 10;

fn main() {
    if let Err(error) = run() {
        eprintln!("benchmark failed: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    bundle_size()?;

    let driver = ChromeDriver::start()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, table_timings(&driver))
}

/// The gzip size of what a browser downloads: wasm, JavaScript and CSS.
fn bundle_size() -> Result<(), String> {
    let dist = app_dist()?;
    let mut total = 0usize;
    for entry in std::fs::read_dir(&dist).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let counted = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js" | "css")
        );
        if counted {
            let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            encoder.write_all(&bytes).map_err(|e| e.to_string())?;
            let gzipped = encoder.finish().map_err(|e| e.to_string())?.len();
            println!(
                "  {:<40} {:>8} bytes, {:>7} gzip",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default(),
                bytes.len(),
                gzipped
            );
            total += gzipped;
        }
    }
    let kb = total as f64 / 1024.0;
    println!(
        "bundle (wasm + js + css, gzip): {kb:.1} KB; bound {BUNDLE_BOUND_KB} KB; ratio {:.2}",
        kb / BUNDLE_BOUND_KB
    );
    Ok(())
}

async fn table_timings(driver: &ChromeDriver) -> Result<(), String> {
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
            table_count(&browser).await?;
            tokio::time::sleep(Duration::from_millis(300)).await;

            let table_ms = run_js(
                &browser,
                "const m = n => performance.getEntriesByName(n)[0].startTime; \
                 return m('dat:table-drawn') - m('dat:data-arrived');",
            )
            .await?
            .as_f64()
            .ok_or("the page did not mark the table")?;
            report(
                "data arrival to full table (2,000 actions)",
                &[table_ms],
                TABLE_BOUND_MS,
            );

            let searches = [
                "lookup", "order", "get", "zzz", "a", "", "case", "1", "pay", "",
            ];
            let mut search_ms = Vec::new();
            for text in searches.iter().cycle().take(ROUNDS) {
                search_ms.push(timed(&browser, &search_script(text)).await?);
            }
            report("search update", &search_ms, UPDATE_BOUND_MS);

            let mut sort_ms = Vec::new();
            for column in ["Timeout", "Integration", "Category", "Action", "Draft"]
                .iter()
                .cycle()
                .take(ROUNDS)
            {
                sort_ms.push(timed(&browser, &sort_script(column)).await?);
            }
            report("sort update", &sort_ms, UPDATE_BOUND_MS);
            Ok(())
        })
        .await
}

/// Types into the search box as an input event does, then waits for the next frame.
fn search_script(text: &str) -> String {
    format!(
        "const input = document.querySelector('input[type=search]'); \
         input.value = {text:?}; input.dispatchEvent(new Event('input', {{ bubbles: true }}));"
    )
}

/// Clicks a column's sort button.
fn sort_script(column: &str) -> String {
    format!(
        "[...document.querySelectorAll('thead th button')] \
           .find(b => b.textContent.trim().startsWith({column:?})).click();"
    )
}

/// Runs `action` in the page and measures until the browser's next animation frame, by which
/// time the table has been updated.
async fn timed(browser: &fantoccini::Client, action: &str) -> Result<f64, String> {
    let script = format!(
        "const done = arguments[0]; const start = performance.now(); {action} \
         requestAnimationFrame(() => done(performance.now() - start));"
    );
    browser
        .execute_async(&script, Vec::new())
        .await
        .map_err(|e| e.to_string())?
        .as_f64()
        .ok_or_else(|| "no timing".to_string())
}

fn report(what: &str, samples: &[f64], bound: f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let worst = sorted[sorted.len() - 1];
    println!(
        "{what}: median {median:.1} ms, worst {worst:.1} ms over {} runs; bound {bound} ms; worst/bound {:.2}",
        samples.len(),
        worst / bound
    );
}
