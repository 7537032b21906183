// Loads the app's WebAssembly. It lives in its own file, not inline, so that the page's
// Content-Security-Policy can forbid inline scripts entirely.
import init from "./data-action-timeouts.js";

await init({ module_or_path: new URL("./data-action-timeouts_bg.wasm", import.meta.url) });
