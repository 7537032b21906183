#!/usr/bin/env bash
# Builds and starts the emulator, runs the official-SDK smoke test against it, and always
# stops the emulator. Exits non-zero when anything fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/.tools/venv"
target="${CARGO_TARGET_DIR:-$root/target}"
workdir="$(mktemp -d)"
emulator_pid=""

cleanup() {
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid"
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

cargo build --quiet -p genesys-emulator --bin genesys-emulator --manifest-path "$root/Cargo.toml"

mkfifo "$workdir/urls"
"$target/debug/genesys-emulator" --seed demo >"$workdir/urls" 2>"$workdir/emulator.log" &
emulator_pid=$!

read -r -t 30 line <"$workdir/urls" || {
    echo "the emulator did not print its URLs; its log:" >&2
    cat "$workdir/emulator.log" >&2
    exit 1
}
api="$("$venv/bin/python" -c 'import json, sys; print(json.loads(sys.argv[1])["api"])' "$line")"

"$venv/bin/python" "$here/smoke.py" "$api"
