//! The browser entry point: installs the panic hook and mounts the app.

use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    mount_to_body(|| view! { <h1>"Data Action Timeouts"</h1> });
}
