//! The setup page, shown when `config.json` is missing or invalid: it explains how to create
//! the OAuth client in Genesys Cloud and what the file must contain.

use leptos::prelude::*;

/// Explains the deployment's configuration problem and how to fix it.
#[component]
pub fn SetupPage(
    /// What is wrong with the configuration, in words.
    problem: String,
) -> impl IntoView {
    view! {
        <main class="setup">
            <h1>"Data Action Timeouts: set-up needed"</h1>
            <p class="notice error" role="alert">{problem}</p>

            <h2>"1. Create an OAuth client in Genesys Cloud"</h2>
            <ol>
                <li>"In Genesys Cloud, open Admin > Integrations > OAuth and add a client."</li>
                <li>
                    "Grant type: " <strong>"Code Authorization"</strong>
                    " with PKCE (recommended). Use " <strong>"Token Implicit Grant (Browser)"</strong>
                    " only if your organisation still requires it."
                </li>
                <li>
                    "Authorized redirect URI: the address of this page, exactly as the browser shows it, for example "
                    <code>"https://timeouts.example.com/"</code> "."
                </li>
                <li>"Scope: " <code>"integrations"</code> " (or " <code>"integrations:readonly"</code> " for a read-only deployment)."</li>
            </ol>

            <h2>"2. Give people the permissions they need"</h2>
            <ul>
                <li><code>"integrations:action:view"</code> " to see actions and their timeouts."</li>
                <li><code>"integrations:action:edit"</code> " to change timeouts."</li>
                <li><code>"integrations:integration:view"</code> " to show integration names."</li>
            </ul>

            <h2>"3. Put config.json beside index.html"</h2>
            <pre><code>{EXAMPLE_CONFIG}</code></pre>
            <p>
                <code>"region"</code> " is the Genesys Cloud environment, such as "
                <code>"mypurecloud.com"</code> ", " <code>"mypurecloud.ie"</code> " or "
                <code>"euw2.pure.cloud"</code> ". " <code>"redirectUri"</code> ", "
                <code>"org"</code> " and " <code>"provider"</code> " are optional; "
                <code>"grant"</code> " is " <code>"pkce"</code> " (the default) or "
                <code>"implicit"</code> "."
            </p>
        </main>
    }
}

const EXAMPLE_CONFIG: &str = r#"{
  "clientId": "your-oauth-client-id",
  "region": "mypurecloud.com",
  "grant": "pkce"
}"#;
