//! The workspace header: who is signed in, to which organisation and region, what they may
//! do, and signing out.

use leptos::prelude::*;
use leptos::task::spawn_local;
use timeouts_core::auth;

use super::{WorkspaceContext, api_for};
use crate::app::AppContext;
use crate::session;

/// Name, organisation, region, permissions note and the sign-out button.
#[component]
pub fn Header() -> impl IntoView {
    let app = expect_context::<AppContext>();
    let workspace = expect_context::<WorkspaceContext>();
    let region = app
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.environment.name()))
        .unwrap_or_default();

    let who = move || {
        workspace.user.get().map(|user| {
            view! {
                <span>"Signed in as " <strong>{user.name}</strong></span>
                <span>"Organisation: " <strong>{user.organization}</strong></span>
            }
        })
    };
    let read_only_note = move || {
        workspace.user.get().and_then(|user| {
            let view_only = user.permissions.can_view_actions() && !user.permissions.can_edit_actions();
            view_only.then(|| {
                view! {
                    <p class="notice warn" role="note">
                        "Read-only: you can see timeouts but not change them, because you do not have the "
                        <code>"integrations:action:edit"</code> " permission."
                    </p>
                }
            })
        })
    };

    let sign_out = move |_| spawn_local(sign_out(app.clone()));

    view! {
        <header class="top">
            <h1>"Data Action Timeouts"</h1>
            <div class="who">
                {who}
                <span>"Region: " <strong>{region}</strong></span>
                <button on:click=sign_out>"Sign out"</button>
            </div>
        </header>
        {read_only_note}
    }
}

/// Revokes the token at Genesys, forgets it here, and goes to Genesys' logout page.
async fn sign_out(app: AppContext) {
    let Some(current) = app.session.get_untracked() else {
        return;
    };
    // A failed revoke (already expired, offline) must not keep the person signed in here.
    let _ = api_for(&current).revoke_token().await;
    session::forget_session();

    let logout = auth::logout_url(
        &current.environment,
        &app.config.client_id,
        Some(&session::redirect_uri(&app.config)),
    );
    app.session.set(None);
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(&logout);
    }
}
