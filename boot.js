// Loads the app's WebAssembly. It lives in its own file, not inline, so that the page's
// Content-Security-Policy can forbid inline scripts entirely.
import init from "./data-action-timeouts.js";

// A blocked request or script means the host or the policy is misconfigured: count it where
// the page (and its tests) can see it, and say so in the console.
document.addEventListener("securitypolicyviolation", (event) => {
  const root = document.documentElement;
  root.dataset.cspViolations = String(Number(root.dataset.cspViolations || 0) + 1);
  console.warn(`Content-Security-Policy blocked ${event.blockedURI} (${event.violatedDirective})`);
});

await init({ module_or_path: new URL("./data-action-timeouts_bg.wasm", import.meta.url) });
