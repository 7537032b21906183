//! The browser tests: each scenario drives the release build of the app in headless Chromium
//! (or Firefox, with `BROWSER=firefox`) against the emulator on its own origin.

mod accessibility;
mod apply;
mod client_app;
mod layout;
mod look;
mod security;
mod sign_in;
mod smoke;
mod table;
mod tuning;

use std::sync::Arc;

use browser_tests::ChromeDriver;
use libtest_mimic::{Arguments, Failed, Trial};

/// A scenario: an async test given the shared ChromeDriver.
pub type Scenario =
    fn(Arc<ChromeDriver>) -> futures::future::LocalBoxFuture<'static, Result<(), String>>;

/// Lists a module's scenarios as (name, function) pairs.
#[macro_export]
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        pub fn scenarios() -> Vec<(&'static str, $crate::Scenario)> {
            use futures::FutureExt as _;
            vec![$((
                concat!(module_path!(), "::", stringify!($name)),
                |driver| $name(driver).boxed_local(),
            )),*]
        }
    };
}

fn main() {
    let mut arguments = Arguments::from_args();
    // Two browsers at once at most: the machines running these have two cores.
    arguments.test_threads = Some(arguments.test_threads.unwrap_or(2).min(2));

    let driver = match ChromeDriver::start() {
        Ok(driver) => Arc::new(driver),
        Err(error) => {
            eprintln!("browser tests cannot run: {error}");
            std::process::exit(1);
        }
    };

    let tests = [
        smoke::scenarios(),
        sign_in::scenarios(),
        table::scenarios(),
        apply::scenarios(),
        tuning::scenarios(),
        security::scenarios(),
        accessibility::scenarios(),
        client_app::scenarios(),
        layout::scenarios(),
    ];
    let trials = tests
        .into_iter()
        .flatten()
        .map(|(name, scenario)| trial(name, scenario, Arc::clone(&driver)))
        // Screenshots for people run only when asked for with --ignored.
        .chain(look::scenarios().into_iter().map(|(name, scenario)| {
            trial(name, scenario, Arc::clone(&driver)).with_ignored_flag(true)
        }))
        .collect();

    let conclusion = libtest_mimic::run(&arguments, trials);
    drop(driver);
    conclusion.exit();
}

fn trial(name: &'static str, scenario: Scenario, driver: Arc<ChromeDriver>) -> Trial {
    let name = name.strip_prefix("browser::").unwrap_or(name);
    Trial::test(name, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Failed::from(error.to_string()))?;
        let local = tokio::task::LocalSet::new();
        local
            .block_on(&runtime, scenario(driver))
            .map_err(Failed::from)
    })
}
