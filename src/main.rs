//! The browser entry point: installs the panic hook and mounts the app.

mod announce;
mod app;
mod browser;
mod client_app;
mod messages;
mod pages;
mod session;
mod storage;
mod transport;

use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    // Client Application values are checked, and sign-in answers leave the address bar,
    // before anything else happens.
    let client_app = client_app::capture_context();
    let callback = match session::capture_callback() {
        session::Captured::Forwarded => {
            leptos::mount::mount_to_body(|| {
                view! { <p role="status">"Signed in. You can close this window."</p> }
            });
            return;
        }
        session::Captured::Answer(callback) => Some(callback),
        session::Captured::Nothing => None,
    };
    leptos::mount::mount_to_body(move || {
        view! { <app::App callback=callback.clone() client_app=client_app.clone() /> }
    });
}
