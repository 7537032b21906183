//! Layout and announcements. The page reflows at 320 CSS px (the WCAG reflow width), at 640 px
//! (a 1280 px window at 200% zoom) and on a tablet in both orientations: the page never scrolls
//! sideways, the wide table scrolls in its own box, controls fit the screen and are large
//! enough to touch, and a change can be edited, reviewed and applied (the apply in progress
//! included). The app's live regions are in the page before they speak and announce the load, a
//! search, a refused bulk change, an import and the apply result.

use std::sync::Arc;

use browser_tests::{
    ChromeDriver, LiveRegion, Stage, announcement, button, choose, click, edit_timeout, fill, find,
    heading, heading_within, import_file, literal, open_page, people, run_js, sign_in,
    sign_in_to_table, table_count, text_appears, wait_for_announcement, wait_for_text,
};
use fantoccini::Client;
use fantoccini::elements::Element;
use genesys_emulator::Faults;

crate::scenarios!(
    at_320_px_wide_an_edit_is_reviewed_and_applied_without_sideways_scrolling,
    at_200_percent_zoom_an_edit_is_reviewed_and_applied_without_sideways_scrolling,
    on_a_tablet_in_portrait_an_edit_is_reviewed_and_applied_without_sideways_scrolling,
    on_a_tablet_in_landscape_an_edit_is_reviewed_and_applied_without_sideways_scrolling,
    the_announcer_is_in_the_page_before_it_speaks_and_tells_of_the_load_and_a_search,
    a_refused_bulk_change_is_announced_as_an_alert,
    a_finished_import_is_announced,
    the_apply_result_is_announced,
);

/// The line above the table once a search or filter narrows it.
const COUNT_LINE: &str = "//p[starts-with(normalize-space(), 'Showing ')]";

async fn at_320_px_wide_an_edit_is_reviewed_and_applied_without_sideways_scrolling(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    walk_through_at(driver, 320, 640).await
}

async fn at_200_percent_zoom_an_edit_is_reviewed_and_applied_without_sideways_scrolling(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    walk_through_at(driver, 640, 400).await
}

async fn on_a_tablet_in_portrait_an_edit_is_reviewed_and_applied_without_sideways_scrolling(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    walk_through_at(driver, 768, 1024).await
}

async fn on_a_tablet_in_landscape_an_edit_is_reviewed_and_applied_without_sideways_scrolling(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    walk_through_at(driver, 1024, 768).await
}

/// Signs in with a `width` × `height` viewport, then searches, filters, opens the details,
/// edits a timeout, reviews and applies it, checking the layout on every screen.
async fn walk_through_at(driver: Arc<ChromeDriver>, width: u32, height: u32) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let sizer = Arc::clone(&driver);
    driver
        .with_browser(|browser| async move {
            open_page(&browser, &stage.app_url).await?;
            sizer.set_viewport(&browser, width, height).await?;
            let sign_in_button = button(&browser, "Sign in with Genesys Cloud").await?;
            check_screen(&browser, "sign-in page").await?;
            fits_across(&browser, &sign_in_button, "the sign-in button").await?;

            sign_in(&browser, &stage.app_url, people::ADMIN).await?;
            let all = table_count(&browser).await?;
            // Signing in went through another site, whose zoom may differ.
            sizer.set_viewport(&browser, width, height).await?;
            check_screen(&browser, "table").await?;
            table_scrolls_in_its_own_box(&browser, width).await?;
            search_and_filter(&browser, &all).await?;
            details_fit(&browser).await?;

            edit_timeout(&browser, "Get invoice", "12").await?;
            text_appears(&browser, "Pending changes (1)").await?;
            check_screen(&browser, "table with a pending change").await?;
            let review = button(&browser, "Review 1 change").await?;
            fits_across(&browser, &review, "the review button").await?;
            click(&review).await?;

            heading(&browser, "Review changes").await?;
            check_screen(&browser, "review").await?;
            let apply = button(&browser, "Apply 1 change").await?;
            fits_across(&browser, &apply, "the apply button").await?;
            // Slow answers keep the progress on screen long enough to look at it.
            stage.emulator.set_faults(Faults {
                latency_ms: 3_000,
                ..Faults::default()
            });
            click(&apply).await?;
            find(
                &browser,
                "//section[contains(@class, 'applying')]//progress",
            )
            .await?;
            check_screen(&browser, "apply in progress").await?;
            stage.emulator.clear_faults();

            heading_within(
                &browser,
                "Apply finished",
                std::time::Duration::from_secs(60),
            )
            .await?;
            check_screen(&browser, "apply report").await?;
            let back = button(&browser, "Back to the table").await?;
            fits_across(&browser, &back, "the back button").await?;
            click(&back).await?;
            table_count(&browser).await?;
            text_appears(&browser, "12 s").await
        })
        .await
}

/// Types a search and picks a filter, each of which must fit the screen and narrow the table.
async fn search_and_filter(browser: &Client, all: &str) -> Result<(), String> {
    let search = find(browser, "//input[@type='search']").await?;
    fits_across(browser, &search, "the search box").await?;
    for filter in ["Integration", "Category", "Timeout", "Draft"] {
        let select = find(
            browser,
            &format!(
                "//label[contains(normalize-space(), {})]//select",
                literal(filter)
            ),
        )
        .await?;
        fits_across(browser, &select, &format!("the {filter} filter")).await?;
    }

    fill(browser, "Search actions", "invoice").await?;
    wait_for_text(browser, COUNT_LINE, |line| !line.is_empty() && line != all).await?;
    fill(browser, "Search actions", "").await?;
    wait_for_text(browser, COUNT_LINE, |line| line == all).await?;

    choose(browser, "Timeout", "Explicit only").await?;
    wait_for_text(browser, COUNT_LINE, |line| !line.is_empty() && line != all).await?;
    choose(browser, "Timeout", "Explicit and default").await?;
    wait_for_text(browser, COUNT_LINE, |line| line == all).await?;
    Ok(())
}

/// Opens an action's details: the panel must lie inside the viewport, and closes again.
async fn details_fit(browser: &Client) -> Result<(), String> {
    click(&button(browser, "Details of Get invoice").await?).await?;
    heading(browser, "Details: Get invoice").await?;
    let dialog = find(browser, "//dialog[@open]").await?;
    let (left, top, right, bottom, viewport_width, viewport_height) =
        rect_and_viewport(browser, &dialog).await?;
    if left < 0.0 || top < 0.0 || right > viewport_width || bottom > viewport_height {
        return Err(format!(
            "the details panel spans ({left}, {top}) to ({right}, {bottom}) in a \
             {viewport_width}×{viewport_height} viewport"
        ));
    }
    check_screen(browser, "details panel").await?;
    let close = find(
        browser,
        "//dialog[@open]//button[normalize-space()='Close']",
    )
    .await?;
    fits_across(browser, &close, "the details panel's close button").await?;
    click(&close).await?;
    browser_tests::text_disappears(browser, "Details: Get invoice").await
}

/// The page does not scroll sideways, and every control is at least 24 × 24 CSS px.
async fn check_screen(browser: &Client, screen: &str) -> Result<(), String> {
    let widths = run_js(
        browser,
        "const page = document.documentElement; \
         return [page.scrollWidth, page.clientWidth, document.body.scrollWidth];",
    )
    .await?;
    let (page, viewport, body) = (&widths[0], &widths[1], &widths[2]);
    if page.as_f64() > viewport.as_f64() || body.as_f64() > viewport.as_f64() {
        // Name what sticks out, leaving aside what scrolls in its own box.
        let wide = run_js(
            browser,
            "const edge = document.documentElement.clientWidth; \
             return [...document.body.querySelectorAll('*')] \
               .filter(e => !e.closest('.table-wrap, dialog, pre')) \
               .filter(e => e.getBoundingClientRect().right > edge) \
               .slice(-5).map(e => e.outerHTML.slice(0, 120));",
        )
        .await
        .unwrap_or_default();
        return Err(format!(
            "the {screen} scrolls sideways: the page is {page} px and its body {body} px wide \
             in a viewport of {viewport} px; sticking out: {wide:#}"
        ));
    }

    let small = run_js(
        browser,
        "return [...document.querySelectorAll('button, input, select')] \
           .filter(e => !e.closest('.visually-hidden')) \
           .map(e => [e, e.getBoundingClientRect()]) \
           .filter(([e, r]) => r.width > 0 && r.height > 0) \
           .filter(([e, r]) => r.width < 24 || r.height < 24) \
           .map(([e, r]) => `${e.outerHTML.slice(0, 90)}: ${r.width}×${r.height}`);",
    )
    .await?;
    match small.as_array() {
        Some(small) if small.is_empty() => Ok(()),
        _ => Err(format!(
            "controls smaller than 24×24 px on the {screen}: {small:#}"
        )),
    }
}

/// The element lies across the viewport without sticking out on either side.
async fn fits_across(browser: &Client, element: &Element, what: &str) -> Result<(), String> {
    let (left, _, right, _, viewport_width, _) = rect_and_viewport(browser, element).await?;
    if left < 0.0 || right > viewport_width || right <= left {
        return Err(format!(
            "{what} spans {left} to {right} px across a viewport of {viewport_width} px"
        ));
    }
    Ok(())
}

/// The element's left, top, right and bottom edges, and the viewport's width and height
/// without scroll bars, in CSS px.
async fn rect_and_viewport(
    browser: &Client,
    element: &Element,
) -> Result<(f64, f64, f64, f64, f64, f64), String> {
    let argument = serde_json::to_value(element).map_err(|e| e.to_string())?;
    let numbers = browser
        .execute(
            "const r = arguments[0].getBoundingClientRect(); \
             const page = document.documentElement; \
             return [r.left, r.top, r.right, r.bottom, page.clientWidth, page.clientHeight];",
            vec![argument],
        )
        .await
        .map_err(|e| format!("cannot measure an element: {e}"))?;
    let number = |index: usize| {
        numbers[index]
            .as_f64()
            .ok_or_else(|| format!("unexpected measures {numbers}"))
    };
    Ok((
        number(0)?,
        number(1)?,
        number(2)?,
        number(3)?,
        number(4)?,
        number(5)?,
    ))
}

/// The table keeps to its own box, which scrolls sideways when the table is wider than the
/// screen; below tablet width it always is, so the check cannot pass by having nothing to do.
async fn table_scrolls_in_its_own_box(browser: &Client, width: u32) -> Result<(), String> {
    let measures = run_js(
        browser,
        "const box = document.querySelector('.table-wrap'); \
         return [box.scrollWidth, box.clientWidth, getComputedStyle(box).overflowX];",
    )
    .await?;
    let (content, visible) = (measures[0].as_f64(), measures[1].as_f64());
    let scrolls = matches!(measures[2].as_str(), Some("auto" | "scroll"));
    if !scrolls {
        return Err(format!("the table's box does not scroll: {measures}"));
    }
    if width < 768 && content <= visible {
        return Err(format!(
            "at {width} px the table should be wider than its box: {measures}"
        ));
    }
    Ok(())
}

async fn the_announcer_is_in_the_page_before_it_speaks_and_tells_of_the_load_and_a_search(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            open_page(&browser, &stage.app_url).await?;
            button(&browser, "Sign in with Genesys Cloud").await?;
            for region in [LiveRegion::Polite, LiveRegion::Assertive] {
                let held = announcement(&browser, region).await?;
                if held.as_deref() != Some("") {
                    return Err(format!(
                        "before anything happens the {region:?} region should be in the page \
                         and empty; it is {held:?}"
                    ));
                }
            }

            sign_in(&browser, &stage.app_url, people::ADMIN).await?;
            let all = table_count(&browser).await?;
            let total = all
                .rsplit(" of ")
                .next()
                .and_then(|rest| rest.strip_suffix(" actions"))
                .ok_or_else(|| format!("unexpected count line {all:?}"))?;
            wait_for_announcement(
                &browser,
                LiveRegion::Polite,
                &format!("{total} actions loaded."),
            )
            .await?;

            // The region that now speaks of the search must be the one that was already there.
            run_js(
                &browser,
                &format!(
                    "document.querySelector({:?}).dataset.marked = 'yes'; return null;",
                    LiveRegion::Polite.selector()
                ),
            )
            .await?;
            fill(&browser, "Search actions", "invoice").await?;
            let narrowed =
                wait_for_text(&browser, COUNT_LINE, |line| !line.is_empty() && line != all).await?;
            wait_for_announcement(&browser, LiveRegion::Polite, &narrowed).await?;
            let marked = run_js(
                &browser,
                &format!(
                    "return document.querySelector({:?}).dataset.marked || null;",
                    LiveRegion::Polite.selector()
                ),
            )
            .await?;
            if marked != serde_json::json!("yes") {
                return Err("the search was announced in a region inserted with its text".into());
            }
            Ok(())
        })
        .await
}

async fn a_refused_bulk_change_is_announced_as_an_alert(
    driver: Arc<ChromeDriver>,
) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            click(
                &find(
                    &browser,
                    "//button[starts-with(normalize-space(), 'Select all ')]",
                )
                .await?,
            )
            .await?;
            fill(&browser, "Seconds", "soon").await?;
            click(&button(&browser, "Add to pending changes").await?).await?;

            let shown = find(&browser, "//p[contains(@class, 'notice error')]").await?;
            let problem = shown.text().await.map_err(|e| e.to_string())?;
            if problem.is_empty() {
                return Err("the refused bulk change shows no reason".into());
            }
            wait_for_announcement(&browser, LiveRegion::Assertive, &problem).await
        })
        .await
}

async fn a_finished_import_is_announced(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = folder.path().join("timeouts.csv");
    std::fs::write(&path, "action_id,name,timeout\n,Get invoice,12\n")
        .map_err(|e| e.to_string())?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            import_file(&browser, &path).await?;

            let shown = find(&browser, "//p[contains(@class, 'notice ok')]").await?;
            let result = shown.text().await.map_err(|e| e.to_string())?;
            if !result.starts_with("Imported timeouts.csv: 1 change added") {
                return Err(format!("the import says {result:?}"));
            }
            wait_for_announcement(&browser, LiveRegion::Polite, &result).await
        })
        .await
}

async fn the_apply_result_is_announced(driver: Arc<ChromeDriver>) -> Result<(), String> {
    let stage = Stage::demo().await?;
    driver
        .with_browser(|browser| async move {
            sign_in_to_table(&browser, &stage.app_url, people::ADMIN).await?;
            edit_timeout(&browser, "Get invoice", "12").await?;
            edit_timeout(&browser, "Get balance", "14").await?;
            click(&button(&browser, "Review 2 changes").await?).await?;
            heading(&browser, "Review changes").await?;
            click(&button(&browser, "Apply 2 changes").await?).await?;

            heading_within(
                &browser,
                "Apply finished",
                std::time::Duration::from_secs(60),
            )
            .await?;
            wait_for_announcement(
                &browser,
                LiveRegion::Polite,
                "Apply finished: 2 changes applied.",
            )
            .await
        })
        .await
}
