//! The harness shared by the browser tests: emulator, ChromeDriver and a headless browser.
