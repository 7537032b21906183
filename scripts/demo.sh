#!/usr/bin/env bash
# Builds the app and starts the emulator with the demo organisation, serving the app on its
# own origin. Prints the address to open; Ctrl-C stops everything.
# DEMO_APP_LISTEN (default 127.0.0.1:8080) chooses where the app is served.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
source scripts/env.sh

trunk build --release
cargo build -p genesys-emulator

coproc EMULATOR {
  exec target/debug/genesys-emulator --seed demo --app-dir dist \
    --app-listen "${DEMO_APP_LISTEN:-127.0.0.1:8080}"
}
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT INT TERM

read -r ready <&"${EMULATOR[0]}"
app=$(sed -E 's/.*"app":"([^"]+)".*/\1/' <<<"$ready")
api=$(sed -E 's/.*"api":"([^"]+)".*/\1/' <<<"$ready")
cat <<TEXT

Data Action Timeouts demo
  open the app:  $app/
  emulated API:  $api   (seeded users and clients: crates/emulator/README.md)
Press Ctrl-C to stop.
TEXT
wait "$EMULATOR_PID"
