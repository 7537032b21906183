//! The browser entry point: installs the panic hook and mounts the app.

mod app;
mod browser;
mod messages;
mod pages;
mod session;
mod storage;
mod transport;

fn main() {
    console_error_panic_hook::set_once();
    // Sign-in answers leave the address bar before anything else happens.
    let callback = session::capture_callback();
    leptos::mount::mount_to_body(move || {
        leptos::view! { <app::App callback=callback.clone() /> }
    });
}
