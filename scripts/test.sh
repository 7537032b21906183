#!/usr/bin/env bash
# Runs every check and every test: formatting, clippy for native and wasm32, the unit and
# integration tests, a release build of the app, the browser tests against that build, and the
# official-SDK smoke test against the emulator. Benchmarks are separate (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --browser --sdk
source scripts/env.sh

echo "== formatting"
cargo fmt --all --check

echo "== clippy (native)"
cargo clippy --workspace --exclude data-action-timeouts --all-targets -- -D warnings

echo "== clippy (wasm32)"
cargo clippy -p data-action-timeouts -p timeouts-core --target wasm32-unknown-unknown -- -D warnings

echo "== unit and integration tests"
cargo test --workspace --exclude data-action-timeouts --exclude browser-tests

echo "== release build of the app"
trunk build --release

echo "== browser tests (Chromium)"
APP_DIST="$PWD/dist" cargo test -p browser-tests

echo "== browser tests (Firefox ESR)"
BROWSER=firefox APP_DIST="$PWD/dist" cargo test -p browser-tests --test browser

echo "== official SDK smoke test"
crates/emulator/sdk-smoke/run.sh
