# Sourced by the other scripts: puts the project's tools first on PATH and keeps Trunk offline.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Trunk must use the wasm-bindgen and wasm-opt on PATH and never download its own.
export TRUNK_SKIP_VERSION_CHECK=true
