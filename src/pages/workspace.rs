//! The signed-in workspace: who is signed in, and the actions with their timeouts.

use leptos::prelude::*;

use crate::app::AppContext;

/// The signed-in page.
#[component]
pub fn Workspace() -> impl IntoView {
    let context = expect_context::<AppContext>();
    let environment = context
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.environment.name()))
        .unwrap_or_default();
    view! {
        <main>
            <h1>"Data Action Timeouts"</h1>
            <p>{environment}</p>
        </main>
    }
}
