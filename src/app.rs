//! The top of the page: loads `config.json`, completes a sign-in that is returning, and shows
//! the setup page, the sign-in page or the signed-in workspace.

use leptos::prelude::*;
use leptos::task::spawn_local;
use timeouts_core::auth::Callback;
use timeouts_core::client_app::ClientAppContext;
use timeouts_core::config::AppConfig;

use crate::announce::{Announcer, LiveRegions, provide_announcer, use_announcer};
use crate::client_app;
use crate::pages::setup::SetupPage;
use crate::pages::sign_in::SignInPage;
use crate::pages::workspace::Workspace;
use crate::session::{self, Session, SignInProblem};

/// State every page can read: the deployment's configuration and the current session.
#[derive(Clone)]
pub struct AppContext {
    pub config: AppConfig,
    /// The signed-in session; `None` shows the sign-in page.
    pub session: RwSignal<Option<Session>>,
    /// A message for the sign-in page, such as why the last session ended.
    pub sign_in_notice: RwSignal<Option<String>>,
    /// Running inside Genesys Cloud: its region, or why its values were refused.
    pub client_app: Result<Option<ClientAppContext>, String>,
    /// Tells screen-reader users about progress and results; also usable after an `await`,
    /// where the component tree's context cannot be read.
    pub announcer: Announcer,
}

impl AppContext {
    /// Ends the session because Genesys no longer accepts its token; nothing else is lost.
    pub fn session_expired(&self, pending_changes: usize) {
        session::forget_session();
        let kept = match pending_changes {
            0 => String::new(),
            1 => " Your pending change is kept.".to_string(),
            n => format!(" Your {n} pending changes are kept."),
        };
        self.sign_in_notice
            .set(Some(format!("Your session ended. Sign in again.{kept}")));
        self.session.set(None);
    }
}

/// The whole page. `callback` is the sign-in answer taken from the address at start-up.
#[component]
pub fn App(
    callback: Option<Callback>,
    client_app: Result<Option<ClientAppContext>, String>,
) -> impl IntoView {
    let config = LocalResource::new(load_config);
    provide_announcer();

    view! {
        <LiveRegions />
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || {
                config
                    .get()
                    .map(|loaded| match loaded {
                        Ok(config) => {
                            view! { <Signed config callback=callback.clone() client_app=client_app.clone() /> }
                                .into_any()
                        }
                        Err(problem) => view! { <SetupPage problem /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// Reads `config.json` beside the page.
async fn load_config() -> Result<AppConfig, String> {
    let response = gloo_net::http::Request::get("config.json")
        .send()
        .await
        .map_err(|_| "config.json could not be loaded.".to_string())?;
    if !response.ok() {
        return Err(format!(
            "config.json was not found beside index.html (status {}).",
            response.status()
        ));
    }
    let text = response
        .text()
        .await
        .map_err(|_| "config.json could not be read.".to_string())?;
    AppConfig::from_json(&text).map_err(|error| format!("{error}."))
}

/// Completes a returning sign-in, then shows the sign-in page or the workspace.
#[component]
fn Signed(
    config: AppConfig,
    callback: Option<Callback>,
    client_app: Result<Option<ClientAppContext>, String>,
) -> impl IntoView {
    let context = AppContext {
        session: RwSignal::new(session::stored_session(&config)),
        sign_in_notice: RwSignal::new(None),
        config,
        client_app,
        announcer: use_announcer(),
    };
    provide_context(context.clone());

    let completing = RwSignal::new(true);
    spawn_local(complete_returning_sign_in(
        context.clone(),
        callback,
        completing,
    ));

    // A framed page signs in through a popup, which hands its answer over as a message.
    let from_popup = context.clone();
    client_app::listen_for_answers(move |answer| {
        completing.set(true);
        spawn_local(complete_returning_sign_in(
            from_popup.clone(),
            Some(answer),
            completing,
        ));
    });

    move || {
        if completing.get() {
            view! { <p class="loading" role="status">"Signing in…"</p> }.into_any()
        } else if context.session.with(Option::is_some) {
            view! { <Workspace /> }.into_any()
        } else {
            view! { <SignInPage /> }.into_any()
        }
    }
}

async fn complete_returning_sign_in(
    context: AppContext,
    callback: Option<Callback>,
    completing: RwSignal<bool>,
) {
    match session::complete_sign_in(&context.config, callback).await {
        Ok(Some(session)) => {
            context.sign_in_notice.set(None);
            context.session.set(Some(session));
            context.announcer.announce("Signed in.");
        }
        Ok(None) => {}
        Err(problem) => {
            if problem == SignInProblem::StateMismatch {
                context.session.set(None);
            }
            context.sign_in_notice.set(Some(problem.to_string()));
        }
    }
    completing.set(false);
}
