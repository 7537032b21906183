//! The harness shared by the browser tests: one WebDriver server (ChromeDriver for headless
//! Chromium, or geckodriver for headless Firefox when `BROWSER=firefox`), browser sessions
//! that are always closed, the emulator serving the release build of the app, and finders
//! that select elements the way a person reads the page (by role, label and visible text).

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use futures::FutureExt;
use genesys_emulator::{Emulator, EmulatorConfig};
use hyper_util::client::legacy::connect::HttpConnector;

/// How long a finder waits for the page before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The browser the tests drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    /// `$BROWSER`: `chromium` (the default) or `firefox`.
    pub fn from_env() -> Result<Browser, String> {
        match std::env::var("BROWSER").as_deref() {
            Err(_) | Ok("" | "chromium" | "chrome") => Ok(Browser::Chromium),
            Ok("firefox") => Ok(Browser::Firefox),
            Ok(other) => Err(format!(
                "BROWSER={other} is not supported: use chromium or firefox"
            )),
        }
    }
}

/// The WebDriver side of the tests: one ChromeDriver shared by every Chromium session, or,
/// for Firefox, a geckodriver per session (geckodriver serves one session at a time). Every
/// process it starts is stopped when the session or the driver ends. (The name stays for the
/// scenarios that take it.)
pub struct ChromeDriver {
    browser: Browser,
    /// ChromeDriver; `None` for Firefox.
    shared: Option<DriverProcess>,
    profiles: tempfile::TempDir,
    /// Everything the geckodrivers and Firefoxes print, where Firefox writes the pages'
    /// console messages (see [`ChromeDriver::console_text`]). Empty with ChromeDriver.
    output: Arc<Mutex<String>>,
}

/// A WebDriver server process on a loopback port, stopped when dropped.
struct DriverProcess {
    child: Child,
    url: String,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChromeDriver {
    /// Prepares the browser of `$BROWSER`: for Chromium, starts ChromeDriver on a free
    /// loopback port and waits until it accepts sessions; for Firefox, checks that
    /// geckodriver starts.
    pub fn start() -> Result<Self, String> {
        let browser = Browser::from_env()?;
        let output = Arc::default();
        let shared = match browser {
            Browser::Chromium => Some(start_chromedriver()?),
            Browser::Firefox => {
                drop(start_geckodriver(&output)?);
                None
            }
        };
        let profiles = tempfile::tempdir().map_err(|error| error.to_string())?;
        Ok(Self {
            browser,
            shared,
            profiles,
            output,
        })
    }

    /// The browser this server drives.
    pub fn browser(&self) -> Browser {
        self.browser
    }

    /// Opens a new headless browser with a fresh profile, and the geckodriver that serves it
    /// when the browser is Firefox.
    async fn open_browser_with(
        &self,
        downloads: Option<&Path>,
    ) -> Result<(Client, Option<DriverProcess>), String> {
        let (capabilities, own) = match self.browser {
            Browser::Chromium => (self.chromium_capabilities(downloads)?, None),
            Browser::Firefox => (
                firefox_capabilities(downloads),
                Some(start_geckodriver(&self.output)?),
            ),
        };
        let url = match (&own, &self.shared) {
            (Some(process), _) | (None, Some(process)) => process.url.clone(),
            (None, None) => return Err("no WebDriver server is running".into()),
        };
        let serde_json::Value::Object(capabilities) = capabilities else {
            return Err("capabilities are not an object".into());
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .map_err(|error| format!("cannot open {:?}: {error}", self.browser))?;
        Ok((client, own))
    }

    fn chromium_capabilities(&self, downloads: Option<&Path>) -> Result<serde_json::Value, String> {
        let profile = tempfile::tempdir_in(self.profiles.path()).map_err(|e| e.to_string())?;
        let mut options = serde_json::json!({
            "binary": chromium_binary(),
            "args": chromium_args(profile.path()),
        });
        if let Some(folder) = downloads {
            options["prefs"] = serde_json::json!({
                "download.default_directory": folder,
                "download.prompt_for_download": false,
            });
        }
        // The profile folder is removed with `profiles` when the driver stops.
        let _ = profile.keep();
        Ok(serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": options,
            // ChromeDriver then records every console message of every page of the session,
            // from its first script on, for `console_text`.
            "goog:loggingPrefs": { "browser": "ALL" },
        }))
    }

    /// Runs `scenario` in a new browser and closes the browser afterwards, also when the
    /// scenario fails, then reports the scenario's outcome.
    pub async fn with_browser<F, Fut>(&self, scenario: F) -> Result<(), String>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        self.with_browser_downloading(None, scenario).await
    }

    /// Like [`ChromeDriver::with_browser`], with downloads saved in `downloads` when given.
    pub async fn with_browser_downloading<F, Fut>(
        &self,
        downloads: Option<&Path>,
        scenario: F,
    ) -> Result<(), String>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let (browser, geckodriver) = self.open_browser_with(downloads).await?;
        let outcome = std::panic::AssertUnwindSafe(scenario(browser.clone()))
            .catch_unwind()
            .await;
        let _ = browser.close().await;
        drop(geckodriver);

        match outcome {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The console messages the browser's pages have written so far, as text.
    ///
    /// Chromium: ChromeDriver's browser log, which (with `goog:loggingPrefs`) holds every
    /// console call of every page since the session opened, including those made while a
    /// page loads and before any test script could run. Reading it empties it, so callers
    /// keep what they read. Firefox: with `devtools.console.stdout.content`, Firefox prints
    /// every console call of its pages to its output, which geckodriver passes on and this
    /// harness keeps; that text mixes the sessions running at the same time, which is
    /// harmless for checks that something never appears.
    pub async fn console_text(&self, browser: &Client) -> Result<String, String> {
        match self.browser {
            Browser::Chromium => {
                let entries = browser
                    .issue_cmd(VendorCommand::browser_log())
                    .await
                    .map_err(|e| format!("cannot read the browser log: {e}"))?;
                Ok(entries
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|entry| entry["message"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n"))
            }
            Browser::Firefox => Ok(self
                .output
                .lock()
                .map_err(|_| "the browser output is poisoned")?
                .clone()),
        }
    }
}

/// Starts `/usr/bin/chromedriver` (or `$CHROMEDRIVER`) and waits until it listens.
fn start_chromedriver() -> Result<DriverProcess, String> {
    let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port().map_err(|error| format!("no free port: {error}"))?;

    let mut child = Command::new(&program)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("cannot start {program}: {error}"))?;

    // ChromeDriver says on its first lines when it is listening.
    let stdout = child.stdout.take().ok_or("chromedriver has no stdout")?;
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take(10)
        .any(|line| line.contains("started successfully"));
    let process = DriverProcess {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    if ready {
        Ok(process)
    } else {
        Err(format!("{program} did not start"))
    }
}

/// Starts `geckodriver` (or `$GECKODRIVER`) on a free loopback port, copying what it and its
/// Firefox print into `output`, and waits until it listens.
fn start_geckodriver(output: &Arc<Mutex<String>>) -> Result<DriverProcess, String> {
    let program = std::env::var("GECKODRIVER").unwrap_or_else(|_| "geckodriver".into());
    let port = free_port().map_err(|error| format!("no free port: {error}"))?;

    let mut child = Command::new(&program)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {program}: {error}"))?;

    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().ok_or("geckodriver has no stdout")?;
    let stderr = child.stderr.take().ok_or("geckodriver has no stderr")?;
    collect(stdout, Arc::clone(output), Some(ready_tx));
    collect(stderr, Arc::clone(output), None);
    let process = DriverProcess {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };

    // geckodriver says "Listening on 127.0.0.1:PORT" when it accepts sessions.
    ready_rx
        .recv_timeout(PATIENCE)
        .map(|()| process)
        .map_err(|_| format!("{program} did not start"))
}

/// A command of one browser's own WebDriver server that fantoccini does not offer: a POST of
/// a JSON body to `session/{id}/{path}` (ChromeDriver's browser log, geckodriver's switch
/// between page and browser scripts).
#[derive(Debug)]
struct VendorCommand {
    path: &'static str,
    body: String,
}

impl VendorCommand {
    /// ChromeDriver's log of the page's console.
    fn browser_log() -> Self {
        VendorCommand {
            path: "se/log",
            body: serde_json::json!({ "type": "browser" }).to_string(),
        }
    }

    /// geckodriver's switch of scripts between the page (`content`) and the browser itself
    /// (`chrome`).
    fn firefox_context(context: &str) -> Self {
        VendorCommand {
            path: "moz/context",
            body: serde_json::json!({ "context": context }).to_string(),
        }
    }
}

impl WebDriverCompatibleCommand for VendorCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.clone()))
    }
}

/// Copies a child's output into `output`, line by line, on a thread of its own, and says on
/// `ready` when geckodriver reports that it listens.
fn collect(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    ready: Option<std::sync::mpsc::Sender<()>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if line.contains("Listening on")
                && let Some(ready) = &ready
            {
                let _ = ready.send(());
            }
            if let Ok(mut output) = output.lock() {
                output.push_str(&line);
                output.push('\n');
            }
        }
    });
}

fn chromium_binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Flags that keep Chromium headless and quiet on a closed network, as root.
fn chromium_args(profile: &std::path::Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1280,900",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

/// Headless Firefox (`$FIREFOX`, or Debian's `firefox-esr`) in a profile geckodriver makes,
/// the same window size as Chromium, quiet on a closed network, printing its pages' console
/// messages, and saving downloads without asking in `downloads` when given.
fn firefox_capabilities(downloads: Option<&Path>) -> serde_json::Value {
    let binary = std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into());
    let mut prefs = serde_json::json!({
        "devtools.console.stdout.content": true,
        "app.update.enabled": false,
        "browser.shell.checkDefaultBrowser": false,
        "datareporting.policy.dataSubmissionEnabled": false,
        "toolkit.telemetry.enabled": false,
        "network.captive-portal-service.enabled": false,
        "browser.safebrowsing.malware.enabled": false,
        "browser.safebrowsing.phishing.enabled": false,
    });
    if let Some(folder) = downloads {
        prefs["browser.download.folderList"] = serde_json::json!(2);
        prefs["browser.download.dir"] = serde_json::json!(folder);
        prefs["browser.download.useDownloadDir"] = serde_json::json!(true);
        prefs["browser.download.always_ask_before_handling_new_types"] = serde_json::json!(false);
        prefs["browser.download.manager.showWhenStarting"] = serde_json::json!(false);
        prefs["browser.helperApps.neverAsk.saveToDisk"] =
            serde_json::json!("text/csv,application/json,application/octet-stream");
    }
    serde_json::json!({
        "browserName": "firefox",
        "moz:firefoxOptions": {
            "binary": binary,
            // System access lets the harness zoom pages the way a person does (see
            // `ChromeDriver::set_viewport`).
            "args": ["-headless", "-width=1280", "-height=900", "-remote-allow-system-access"],
            "prefs": prefs,
        },
    })
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The release build of the app that the tests drive: `$APP_DIST`, or `dist/` at the root.
pub fn app_dist() -> Result<PathBuf, String> {
    let dist = std::env::var_os("APP_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    if dist.join("index.html").is_file() {
        Ok(dist)
    } else {
        Err(format!(
            "no built app at {}: run `trunk build --release` first (scripts/test.sh does)",
            dist.display()
        ))
    }
}

/// Waits until an element matching `xpath` is on the page. A search that a navigation
/// interrupts ("aborted by navigation") is tried again on the new page.
pub async fn find(browser: &Client, xpath: &str) -> Result<Element, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let patience = deadline.saturating_duration_since(Instant::now());
        match browser
            .wait()
            .at_most(patience)
            .for_element(Locator::XPath(xpath))
            .await
        {
            Ok(element) => return Ok(element),
            Err(error) if Instant::now() >= deadline => {
                return Err(format!("nothing matches {xpath}: {error}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Waits for a heading with exactly this text.
pub async fn heading(browser: &Client, text: &str) -> Result<Element, String> {
    find(
        browser,
        &format!(
            "//*[self::h1 or self::h2 or self::h3][normalize-space()={}]",
            literal(text)
        ),
    )
    .await
}

/// Waits for a button whose visible text or accessible label is `name`.
pub async fn button(browser: &Client, name: &str) -> Result<Element, String> {
    let name = literal(name);
    find(
        browser,
        &format!("//button[normalize-space()={name} or @aria-label={name}]"),
    )
    .await
}

/// The page's visible text now.
pub async fn page_text(browser: &Client) -> Result<String, String> {
    browser
        .find(Locator::Css("body"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())
}

/// Waits until the page's text contains `text`. Reads that fail while the page navigates
/// are tried again.
pub async fn text_appears(browser: &Client, text: &str) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let body = page_text(browser).await.unwrap_or_default();
        if body.contains(text) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the page never said {text:?}; it said:\n{body}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the text of the element at `xpath` satisfies `test`, and returns that text.
pub async fn wait_for_text(
    browser: &Client,
    xpath: &str,
    test: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = match browser.find(Locator::XPath(xpath)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if test(&text) {
            return Ok(text);
        }
        if Instant::now() > deadline {
            return Err(format!("{xpath} says {text:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Quotes `text` as an XPath 1.0 string literal, whatever quotes it holds.
pub fn literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// Saves a PNG of the page, for looking at what a person would see.
pub async fn screenshot(browser: &Client, path: &std::path::Path) -> Result<(), String> {
    let png = browser.screenshot().await.map_err(|e| e.to_string())?;
    std::fs::write(path, png).map_err(|e| e.to_string())
}

/// The seeded people of the emulator's demo organisation, by the name its sign-in page shows.
pub mod people {
    pub const ADMIN: &str = "Dana Admin";
    pub const VIEWER: &str = "Victor Viewer";
    pub const NO_INTEGRATIONS: &str = "Nora Agent";
    pub const WILDCARD_ADMIN: &str = "Wren Wildcard";
}

/// Opens `url` in the browser.
pub async fn open_page(browser: &Client, url: &str) -> Result<(), String> {
    browser.goto(url).await.map_err(|e| e.to_string())
}

/// Opens the app and presses "Sign in with Genesys Cloud", leaving the browser on the
/// emulator's sign-in page.
pub async fn start_sign_in(browser: &Client, app_url: &str) -> Result<(), String> {
    open_page(browser, app_url).await?;
    click(&button(browser, "Sign in with Genesys Cloud").await?).await
}

/// Opens the app and signs in through the emulator's sign-in page as `person`.
pub async fn sign_in(browser: &Client, app_url: &str, person: &str) -> Result<(), String> {
    start_sign_in(browser, app_url).await?;
    click(&button(browser, &format!("Sign in as {person}")).await?).await?;
    Ok(())
}

/// Chooses the file at `path` in the page's import field, as a person picking it would.
pub async fn import_file(browser: &Client, path: &Path) -> Result<(), String> {
    let input = find(browser, "//input[@type='file']").await?;
    input
        .send_keys(&path.display().to_string())
        .await
        .map_err(|e| e.to_string())
}

/// Signs `person` in and waits until the whole table is listed; returns its count line.
pub async fn sign_in_to_table(
    browser: &Client,
    app_url: &str,
    person: &str,
) -> Result<String, String> {
    sign_in(browser, app_url, person).await?;
    table_count(browser).await
}

/// Clicks an element.
pub async fn click(element: &Element) -> Result<(), String> {
    element.click().await.map_err(|e| e.to_string())
}

/// The browser's current address.
pub async fn current_url(browser: &Client) -> Result<String, String> {
    browser
        .current_url()
        .await
        .map(|url| url.to_string())
        .map_err(|e| e.to_string())
}

/// Runs a script in the page and returns its JSON result.
pub async fn run_js(browser: &Client, script: &str) -> Result<serde_json::Value, String> {
    browser
        .execute(script, Vec::new())
        .await
        .map_err(|e| format!("script failed: {e}"))
}

/// Waits until the page's text no longer contains `text`.
pub async fn text_disappears(browser: &Client, text: &str) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let body = page_text(browser)
            .await
            .unwrap_or_else(|_| text.to_string());
        if !body.contains(text) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the page still says {text:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An emulator serving the release build of the app, for one scenario.
pub struct Stage {
    pub emulator: Emulator,
    /// The app's address, ending in `/` (the redirect URI registered for the demo client).
    pub app_url: String,
}

impl Stage {
    /// Starts an emulator with `config` that serves the built app on its own origin.
    pub async fn start(mut config: EmulatorConfig) -> Result<Stage, String> {
        config.app_dir = Some(app_dist()?);
        let emulator = genesys_emulator::start(config)
            .await
            .map_err(|e| format!("the emulator did not start: {e}"))?;
        let app_url = format!(
            "{}/",
            emulator.app_url().ok_or("the emulator serves no app")?
        );
        Ok(Stage { emulator, app_url })
    }

    /// The demo organisation with default settings.
    pub async fn demo() -> Result<Stage, String> {
        Stage::start(EmulatorConfig::default()).await
    }
}

/// Waits until the table has finished loading and returns its "Showing N of M actions" line.
pub async fn table_count(browser: &Client) -> Result<String, String> {
    heading(browser, "Data actions").await?;
    find(
        browser,
        "//section[@aria-busy='false'][.//h2[normalize-space()='Data actions']]",
    )
    .await?;
    let status = find(browser, "//p[starts-with(normalize-space(), 'Showing ')]").await?;
    status.text().await.map_err(|e| e.to_string())
}

/// The number of Content-Security-Policy violations the page has counted.
pub async fn csp_violations(browser: &Client) -> Result<u64, String> {
    let count = run_js(
        browser,
        "return document.documentElement.dataset.cspViolations || '0';",
    )
    .await?;
    count
        .as_str()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("unexpected violation count {count}"))
}

/// The text of the table row of the action named `name`.
pub async fn row_text(browser: &Client, name: &str) -> Result<String, String> {
    let row = find(
        browser,
        &format!(
            "//tr[th[@scope='row'][starts-with(normalize-space(), {})]]",
            literal(name)
        ),
    )
    .await?;
    row.text().await.map_err(|e| e.to_string())
}

/// Types into the input labelled `label`, replacing what it held.
pub async fn fill(browser: &Client, label: &str, text: &str) -> Result<(), String> {
    let input = find(
        browser,
        &format!(
            "//label[contains(normalize-space(), {})]//input",
            literal(label)
        ),
    )
    .await?;
    // Select all and delete, as a person would: `clear()` fires no input event.
    let (control, backspace) = ('\u{E009}', '\u{E003}');
    let keys = format!("{control}a{control}{backspace}{text}");
    input.send_keys(&keys).await.map_err(|e| e.to_string())
}

/// Chooses the option with visible text `option` in the select labelled `label`.
pub async fn choose(browser: &Client, label: &str, option: &str) -> Result<(), String> {
    let select = find(
        browser,
        &format!(
            "//label[contains(normalize-space(), {})]//select",
            literal(label)
        ),
    )
    .await?;
    select
        .select_by_label(option)
        .await
        .map_err(|e| format!("cannot choose {option:?} in {label:?}: {e}"))
}

/// The texts of one column (1-based, counting the row header) of the rows now in the table.
pub async fn column(browser: &Client, index: usize) -> Result<Vec<String>, String> {
    let script = format!(
        "return [...document.querySelectorAll('tbody tr')].map(r => r.children[{}].textContent.trim());",
        index - 1
    );
    let texts = run_js(browser, &script).await?;
    serde_json::from_value(texts).map_err(|e| e.to_string())
}

/// Waits until the table's column `index` satisfies `test`.
pub async fn wait_for_column(
    browser: &Client,
    index: usize,
    test: impl Fn(&[String]) -> bool,
) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let texts = column(browser, index).await?;
        if test(&texts) {
            return Ok(texts);
        }
        if Instant::now() > deadline {
            return Err(format!("column {index} is {texts:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The keys WebDriver sends for Enter and Escape.
pub mod keys {
    pub const TAB: char = '\u{E004}';
    pub const SHIFT: char = '\u{E008}';
    pub const ENTER: char = '\u{E007}';
    pub const ESCAPE: char = '\u{E00C}';
}

/// Opens the in-place editor of the action named `name` and types `text` into it (without
/// confirming), returning the editor.
pub async fn open_editor(browser: &Client, name: &str, text: &str) -> Result<Element, String> {
    click(&button(browser, &format!("Edit timeout of {name}")).await?).await?;
    let editor = find(
        browser,
        &format!(
            "//input[@aria-label={}]",
            literal(&format!("New timeout for {name} in seconds, or default"))
        ),
    )
    .await?;
    editor.send_keys(text).await.map_err(|e| e.to_string())?;
    Ok(editor)
}

/// Edits the timeout of the action named `name` in place and confirms with Enter.
pub async fn edit_timeout(browser: &Client, name: &str, text: &str) -> Result<(), String> {
    let editor = open_editor(browser, name, text).await?;
    editor
        .send_keys(&keys::ENTER.to_string())
        .await
        .map_err(|e| e.to_string())
}

/// Waits, up to `patience`, for a heading with exactly this text (for steps that take longer
/// than [`PATIENCE`], such as a large apply paced by the rate limit).
pub async fn heading_within(
    browser: &Client,
    text: &str,
    patience: Duration,
) -> Result<Element, String> {
    let xpath = format!(
        "//*[self::h1 or self::h2 or self::h3][normalize-space()={}]",
        literal(text)
    );
    browser
        .wait()
        .at_most(patience)
        .for_element(Locator::XPath(&xpath))
        .await
        .map_err(|error| format!("no heading {text:?} within {patience:?}: {error}"))
}

/// Waits for a finished download in `folder` whose name starts with `prefix` and ends in
/// `extension`, and returns its text.
pub async fn downloaded(folder: &Path, prefix: &str, extension: &str) -> Result<String, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = std::fs::read_dir(folder)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| {
                path.extension().is_some_and(|e| e == extension)
                    && path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| name.starts_with(prefix))
            });
        if let Some(path) = found {
            return std::fs::read_to_string(&path).map_err(|e| e.to_string());
        }
        if Instant::now() > deadline {
            return Err(format!("no {prefix}….{extension} file was downloaded"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs out with the header's button and waits until the app is back from Genesys' logout
/// page, showing its sign-in button on a new page.
pub async fn sign_out(browser: &Client) -> Result<(), String> {
    run_js(browser, "window.signingOut = true; return null;").await?;
    click(&button(browser, "Sign out").await?).await?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let state = run_js(
            browser,
            "return window.signingOut === undefined && document.readyState === 'complete' \
             && [...document.querySelectorAll('button')] \
                .some(b => b.textContent.trim() === 'Sign in with Genesys Cloud');",
        )
        .await
        .unwrap_or_default();
        if state == serde_json::json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "signing out never came back to the app; at {:?}",
                current_url(browser).await
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The axe-core script from npm (`npm ci` installs it, pinned in package.json).
fn axe_source() -> Result<String, String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "cannot read {}: {error}; run `npm ci` (scripts/setup.sh does)",
            path.display()
        )
    })
}

/// Runs axe-core on the page as it is now and returns its violations of impact "serious" or
/// "critical", each described on one line with the elements concerned.
///
/// The script is handed to the browser through WebDriver rather than a `<script>` element,
/// which the page's Content-Security-Policy would block; axe then installs itself as
/// `window.axe` in the page.
pub async fn serious_accessibility_violations(browser: &Client) -> Result<Vec<String>, String> {
    let source = axe_source()?;
    run_js(browser, &format!("{source}\nreturn typeof window.axe;")).await?;
    let results = browser
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             window.axe.run(document, { resultTypes: ['violations'] }) \
               .then(r => done(r.violations), e => done({ error: String(e) }));",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("axe did not run: {e}"))?;
    if let Some(error) = results.get("error") {
        return Err(format!("axe failed: {error}"));
    }

    let violations = results.as_array().cloned().unwrap_or_default();
    Ok(violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let targets: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|node| format!("{} ({})", node["target"], node["failureSummary"]))
                .collect();
            format!(
                "{} [{}]: {}\n    {}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                targets.join("\n    ")
            )
        })
        .collect())
}

/// Fails with axe-core's serious and critical violations on the page, naming `screen`.
pub async fn expect_accessible(browser: &Client, screen: &str) -> Result<(), String> {
    let violations = serious_accessibility_violations(browser).await?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "axe-core finds {} serious or critical problems on the {screen}:\n{}",
            violations.len(),
            violations.join("\n")
        ))
    }
}

/// The narrowest window Firefox makes; narrower viewports are reached by zooming in.
const FIREFOX_NARROWEST: u32 = 500;

impl ChromeDriver {
    /// Gives the page a viewport of `width` × `height` CSS pixels: a phone, a tablet, or a
    /// desktop window zoomed in (a 1280 px wide window at 200% zoom is 640 CSS px wide). A page
    /// must be open; the size holds across navigations on the same site.
    ///
    /// Firefox keeps its windows at least 500 px wide, so below that its page is zoomed to
    /// 200% in a window twice the size, which is what a person who zooms in gets.
    pub async fn set_viewport(
        &self,
        browser: &Client,
        width: u32,
        height: u32,
    ) -> Result<(), String> {
        let zoom = if self.browser == Browser::Firefox && width < FIREFOX_NARROWEST {
            2
        } else {
            1
        };
        if zoom != 1 {
            zoom_firefox_page(browser, zoom).await?;
        }
        resize_window(browser, width * zoom, height * zoom).await?;

        // A browser may count its own frame in the window's size: grow the window by what
        // the viewport lacks.
        let (inner_width, inner_height) = viewport(browser).await?;
        if (inner_width, inner_height) != (width, height) {
            let (window_width, window_height) = browser
                .get_window_size()
                .await
                .map_err(|e| format!("cannot read the window's size: {e}"))?;
            let grow = |window: u64, wanted: u32, got: u32| {
                let grown = window as i64 + (i64::from(wanted) - i64::from(got)) * i64::from(zoom);
                u32::try_from(grown).unwrap_or(wanted)
            };
            resize_window(
                browser,
                grow(window_width, width, inner_width),
                grow(window_height, height, inner_height),
            )
            .await?;
        }

        let (inner_width, inner_height) = viewport(browser).await?;
        if (inner_width, inner_height) == (width, height) {
            Ok(())
        } else {
            Err(format!(
                "the viewport is {inner_width}×{inner_height} CSS px, not {width}×{height}"
            ))
        }
    }
}

async fn resize_window(browser: &Client, width: u32, height: u32) -> Result<(), String> {
    browser
        .set_window_size(width, height)
        .await
        .map_err(|e| format!("cannot resize the window to {width}×{height}: {e}"))
}

/// Zooms the current Firefox tab to `zoom` times, as a person does with Ctrl and +. Only the
/// browser's own (chrome) context can do that, which `-remote-allow-system-access` opens to
/// the harness; the pages under test never get it.
async fn zoom_firefox_page(browser: &Client, zoom: u32) -> Result<(), String> {
    browser
        .issue_cmd(VendorCommand::firefox_context("chrome"))
        .await
        .map_err(|e| format!("cannot reach Firefox's chrome context: {e}"))?;
    let zoomed = run_js(
        browser,
        &format!(
            "ZoomManager.setZoomForBrowser(gBrowser.selectedBrowser, {zoom}); \
             return ZoomManager.getZoomForBrowser(gBrowser.selectedBrowser);"
        ),
    )
    .await;
    browser
        .issue_cmd(VendorCommand::firefox_context("content"))
        .await
        .map_err(|e| format!("cannot return to the page's context: {e}"))?;
    match zoomed?.as_f64() {
        Some(now) if now == f64::from(zoom) => Ok(()),
        other => Err(format!("Firefox zoomed to {other:?}, not {zoom}")),
    }
}

/// The page's viewport in CSS pixels: `window.innerWidth` × `window.innerHeight`.
async fn viewport(browser: &Client) -> Result<(u32, u32), String> {
    let size = run_js(browser, "return [window.innerWidth, window.innerHeight];").await?;
    let read = |index: usize| {
        size[index]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("unexpected viewport {size}"))
    };
    Ok((read(0)?, read(1)?))
}

/// The app's two live regions, through which it tells screen-reader users about progress and
/// results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveRegion {
    /// `role="status"`, `aria-live="polite"`: progress and results.
    Polite,
    /// `aria-live="assertive"`: failures that need attention at once.
    Assertive,
}

impl LiveRegion {
    /// The CSS selector of the region.
    pub fn selector(self) -> &'static str {
        match self {
            LiveRegion::Polite => ".announcer[role='status'][aria-live='polite']",
            LiveRegion::Assertive => ".announcer[aria-live='assertive']",
        }
    }
}

/// What the live region holds now, trimmed (a repeated sentence carries a trailing no-break
/// space), or `None` when the page has no such region.
pub async fn announcement(browser: &Client, region: LiveRegion) -> Result<Option<String>, String> {
    let script = format!(
        "const region = document.querySelectorAll({:?}); \
         return region.length === 1 ? region[0].textContent : null;",
        region.selector()
    );
    let text = run_js(browser, &script).await?;
    Ok(text.as_str().map(|text| text.trim().to_string()))
}

/// Waits until the live region holds exactly `expected` (trimmed).
pub async fn wait_for_announcement(
    browser: &Client,
    region: LiveRegion,
    expected: &str,
) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let said = announcement(browser, region).await.unwrap_or_default();
        if said.as_deref() == Some(expected) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the {region:?} live region never said {expected:?}; it holds {said:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
