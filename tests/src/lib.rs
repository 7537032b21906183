//! The harness shared by the browser tests: one ChromeDriver, headless Chromium sessions that
//! are always closed, the emulator serving the release build of the app, and finders that
//! select elements the way a person reads the page (by role, label and visible text).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;

/// How long a finder waits for the page before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A ChromeDriver process on a loopback port, stopped when dropped.
pub struct ChromeDriver {
    child: Child,
    url: String,
    profiles: tempfile::TempDir,
}

impl ChromeDriver {
    /// Starts `/usr/bin/chromedriver` (or `$CHROMEDRIVER`) on a free loopback port and waits
    /// until it accepts sessions.
    pub fn start() -> Result<Self, String> {
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
        let mut ready = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok).take(10) {
            if line.contains("started successfully") {
                ready = true;
                break;
            }
        }
        if !ready {
            let _ = child.kill();
            return Err(format!("{program} did not start"));
        }

        let profiles = tempfile::tempdir().map_err(|error| error.to_string())?;
        Ok(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles,
        })
    }

    /// Opens a new headless Chromium with a fresh profile.
    pub async fn open_browser(&self) -> Result<Client, String> {
        let profile = tempfile::tempdir_in(self.profiles.path()).map_err(|e| e.to_string())?;
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_binary(),
                "args": chromium_args(profile.path()),
            },
        });
        // The profile folder is removed with `profiles` when the driver stops.
        let _ = profile.keep();

        let serde_json::Value::Object(capabilities) = capabilities else {
            return Err("capabilities are not an object".into());
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .map_err(|error| format!("cannot open Chromium: {error}"))
    }

    /// Runs `scenario` in a new browser and closes the browser afterwards, also when the
    /// scenario fails, then reports the scenario's outcome.
    pub async fn with_browser<F, Fut>(&self, scenario: F) -> Result<(), String>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let browser = self.open_browser().await?;
        let outcome = std::panic::AssertUnwindSafe(scenario(browser.clone()))
            .catch_unwind()
            .await;
        let _ = browser.close().await;

        match outcome {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The release build of the app that the tests drive: `$APP_DIST`, or `dist/` at the root.
pub fn app_dist() -> Result<PathBuf, String> {
    let dist = std::env::var_os("APP_DIST").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist")
    });
    if dist.join("index.html").is_file() {
        Ok(dist)
    } else {
        Err(format!(
            "no built app at {}: run `trunk build --release` first (scripts/test.sh does)",
            dist.display()
        ))
    }
}

/// Waits until an element matching `xpath` is on the page.
pub async fn find(browser: &Client, xpath: &str) -> Result<Element, String> {
    browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(xpath))
        .await
        .map_err(|error| format!("nothing matches {xpath}: {error}"))
}

/// Waits for a heading with exactly this text.
pub async fn heading(browser: &Client, text: &str) -> Result<Element, String> {
    find(browser, &format!("//*[self::h1 or self::h2 or self::h3][normalize-space()={}]", literal(text))).await
}

/// Waits for a button whose visible text or accessible label is `name`.
pub async fn button(browser: &Client, name: &str) -> Result<Element, String> {
    let name = literal(name);
    find(browser, &format!("//button[normalize-space()={name} or @aria-label={name}]")).await
}

/// Waits until the page's text contains `text`.
pub async fn text_appears(browser: &Client, text: &str) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let body = browser
            .find(Locator::Css("body"))
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        if body.contains(text) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the page never said {text:?}; it said:\n{body}"));
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
