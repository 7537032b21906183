//! How long one page of 100 actions with their config takes from a `large:10000` org over
//! a real socket. Run with `cargo bench -p genesys-emulator --bench listing`; it prints the
//! median and p90 per page. This is a measurement, not a test: it asserts nothing about time.

use std::time::{Duration, Instant};

use genesys_emulator::seed::DEMO_CREDENTIALS_CLIENT_ID;
use genesys_emulator::{EmulatorConfig, Seed, start};

const ROUNDS: usize = 3;
const PAGE_SIZE: usize = 100;

#[tokio::main]
async fn main() {
    let config = EmulatorConfig {
        seed: Seed::Large {
            count: 10_000,
            seed: 1,
        },
        // The bench measures serving, not the rate limit.
        rate_limit_per_minute: 1_000_000,
        ..EmulatorConfig::default()
    };
    let emulator = match start(config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("cannot start the emulator: {error}");
            std::process::exit(1);
        }
    };
    let token = match emulator.issue_client_token(DEMO_CREDENTIALS_CLIENT_ID) {
        Ok(token) => token.access_token,
        Err(error) => {
            eprintln!("cannot issue a token: {error}");
            std::process::exit(1);
        }
    };
    let http = reqwest::Client::new();
    let pages = 10_000 / PAGE_SIZE;

    let fetch = |page: usize| {
        let url = format!(
            "{}/api/v2/integrations/actions?pageSize={PAGE_SIZE}&pageNumber={page}&includeConfig=true",
            emulator.api_url()
        );
        let request = http.get(url).bearer_auth(&token);
        async move {
            let started = Instant::now();
            let response = request.send().await.and_then(|r| r.error_for_status());
            let bytes = match response {
                Ok(response) => response.bytes().await.map(|b| b.len()).unwrap_or(0),
                Err(error) => {
                    eprintln!("page {page} failed: {error}");
                    std::process::exit(1);
                }
            };
            (started.elapsed(), bytes)
        }
    };

    // Warm up the connection and the allocator.
    for page in 1..=5 {
        fetch(page).await;
    }

    let mut samples: Vec<Duration> = Vec::with_capacity(ROUNDS * pages);
    let mut bytes = 0;
    let whole = Instant::now();
    for _ in 0..ROUNDS {
        for page in 1..=pages {
            let (elapsed, size) = fetch(page).await;
            samples.push(elapsed);
            bytes = size;
        }
    }
    let total = whole.elapsed();
    samples.sort();

    let at = |share: f64| samples[((samples.len() - 1) as f64 * share).round() as usize];
    println!(
        "listing bench: large:10000, pageSize={PAGE_SIZE}, includeConfig=true, {} pages",
        samples.len()
    );
    println!(
        "  page of {PAGE_SIZE} actions: median {:.2} ms, p90 {:.2} ms, max {:.2} ms (about {} KiB)",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(1.0)),
        bytes / 1024
    );
    println!(
        "  whole org ({pages} pages) per round: {:.0} ms",
        ms(total) / ROUNDS as f64
    );

    emulator.shutdown().await;
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
