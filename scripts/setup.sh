#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine with rustup's Rust,
# skipping every step that is already done. Usage: scripts/setup.sh [--browser] [--sdk]
#   --browser  also Chromium, ChromeDriver and Firefox ESR from Debian, and geckodriver from
#              crates.io (for the browser tests)
#   --sdk      also the official Genesys Python SDK in .tools/venv (for the SDK smoke test)
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
want_sdk=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    --sdk) want_sdk=true ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

TRUNK_VERSION=0.21.14
GECKODRIVER_VERSION=0.37.0
# The wasm-bindgen CLI must be exactly the library version that Cargo.lock resolved.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)

step() { printf 'setup: %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  step "installing trunk $TRUNK_VERSION (several minutes, once)"
  # Unpinned, cargo would pick a trunk that needs a newer compiler.
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: the CLI's own lock file names a crate version the registry no longer has.
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt comes from npm's binaryen, pinned in package-lock.json. Debian's binaryen is too
# old: its output builds but the page then fails when the wasm table is set up. axe-core,
# pinned there too, is the accessibility checker the browser tests inject into the page.
if ! node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q 'version 132' \
  || [ "$(node -p 'require("./node_modules/axe-core/package.json").version' 2>/dev/null)" != \
    "$(node -p 'require("./package.json").devDependencies["axe-core"]')" ]; then
  step "installing wasm-opt (npm binaryen) and axe-core"
  npm ci --no-audit --no-fund
fi

if $want_browser && ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
  step "installing Chromium and ChromeDriver from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi

if $want_browser && ! command -v firefox-esr >/dev/null 2>&1; then
  step "installing Firefox ESR from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr
fi

if $want_browser && [ "$(geckodriver --version 2>/dev/null | head -n 1)" != "geckodriver $GECKODRIVER_VERSION" ]; then
  step "installing geckodriver $GECKODRIVER_VERSION (a few minutes, once)"
  cargo install --locked geckodriver --version "$GECKODRIVER_VERSION"
fi

if $want_sdk && ! .tools/venv/bin/python -c 'import PureCloudPlatformClientV2' 2>/dev/null; then
  step "installing the official Genesys Python SDK into .tools/venv"
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet -r crates/emulator/sdk-smoke/requirements.txt
fi
