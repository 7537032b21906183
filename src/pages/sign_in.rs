//! The sign-in page: pick the Genesys Cloud region, then go to Genesys to sign in.

use leptos::prelude::*;
use timeouts_core::config::Grant;
use timeouts_core::region::Region;

use crate::app::AppContext;
use crate::session;

/// Region picker and the sign-in button.
#[component]
pub fn SignInPage() -> impl IntoView {
    let context = expect_context::<AppContext>();
    let config = context.config.clone();
    let is_emulator = config.is_emulator();

    // Inside Genesys Cloud the region is the hosting one; otherwise the person picks it.
    let hosted_region = context.client_app.clone().ok().flatten().map(|c| c.region);
    let refusal = context.client_app.clone().err();
    let initial = hosted_region
        .or_else(session::remembered_region)
        .or(config.default_environment.region())
        .unwrap_or(Region::ALL[0]);
    let region = RwSignal::new(initial);
    let problem = RwSignal::new(None::<String>);

    let sign_in = move |_| {
        let chosen = region.get_untracked();
        if !is_emulator && hosted_region.is_none() {
            session::remember_region(chosen);
        }
        let environment = config.environment_for(chosen);
        if let Err(error) = session::begin_sign_in(&config, &environment) {
            problem.set(Some(error));
        }
    };

    let implicit_note = (context.config.grant == Grant::Implicit).then(|| {
        view! {
            <p class="hint">
                "This deployment signs in with the Implicit grant, which Genesys is retiring. "
                "Ask your administrator to move the OAuth client to Code Authorization with PKCE."
            </p>
        }
    });

    view! {
        <main class="sign-in">
            <h1>"Data Action Timeouts"</h1>
            <p>
                "See and change how long Genesys Cloud waits for each Data Action, for many actions at once."
            </p>
            {move || {
                context
                    .sign_in_notice
                    .get()
                    .map(|notice| view! { <p class="notice" role="alert">{notice}</p> })
            }}
            {move || problem.get().map(|p| view! { <p class="notice error" role="alert">{p}</p> })}
            {match refusal {
                Some(refusal) => view! { <p class="notice error" role="alert">{refusal}</p> }.into_any(),
                None => view! {
                    {hosted_region.map(|r| view! {
                        <p>{format!("Genesys Cloud region: {} (from Genesys Cloud)", r.env_host())}</p>
                    })}
                    <RegionPicker region hidden=is_emulator || hosted_region.is_some() />
                    <button class="primary" on:click=sign_in>"Sign in with Genesys Cloud"</button>
                    {implicit_note}
                }
                    .into_any(),
            }}
        </main>
    }
}

/// A labelled select of every Genesys Cloud region.
#[component]
fn RegionPicker(region: RwSignal<Region>, hidden: bool) -> impl IntoView {
    let options = Region::ALL
        .iter()
        .map(|&option| {
            let label = format!("{} ({})", option.env_host(), option.place());
            view! {
                <option value=option.env_host() selected=move || region.get() == option>
                    {label}
                </option>
            }
        })
        .collect_view();

    let on_change = move |event| {
        if let Ok(chosen) = Region::parse(&event_target_value(&event)) {
            region.set(chosen);
        }
    };

    (!hidden).then(|| {
        view! {
            <label class="field">
                "Genesys Cloud region"
                <select on:change=on_change>{options}</select>
            </label>
        }
    })
}
