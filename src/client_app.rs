//! Running inside Genesys Cloud as a Client Application: the checked `gcTargetEnv`, and signing
//! in through a popup when the page is framed and cannot navigate away.
//!
//! In a frame, sign-in opens the Genesys sign-in page in a popup. The popup comes back to this
//! page's address with the answer, hands the raw answer to the page that opened it with
//! `postMessage` (to this origin only), and closes. The framed page checks `state` and exchanges
//! the code exactly as after a redirect.

use timeouts_core::auth::Callback;
use timeouts_core::client_app::{self, ClientAppContext};
use timeouts_core::region::Region;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::storage::{self, Store};

const CLIENT_APP_KEY: &str = "dat.client-app";
/// The popup's window name, so that the page knows it is the sign-in popup.
const POPUP_NAME: &str = "dat-sign-in";
const MESSAGE_KIND: &str = "dat-sign-in";

/// The Client Application context of this tab: from the address (checked, then remembered for
/// the return from sign-in, which has no such parameters), or from sessionStorage.
pub fn capture_context() -> Result<Option<ClientAppContext>, String> {
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    match client_app::from_query(&query) {
        Ok(Some(context)) => {
            storage::set(Store::Session, CLIENT_APP_KEY, context.region.env_host());
            Ok(Some(context))
        }
        Ok(None) => Ok(storage::get(Store::Session, CLIENT_APP_KEY)
            .and_then(|stored| Region::parse(&stored).ok())
            .map(|region| ClientAppContext { region })),
        Err(error) => {
            storage::remove(Store::Session, CLIENT_APP_KEY);
            Err(format!("Sign-in is not offered: {error}."))
        }
    }
}

/// True when the page runs inside a frame (as a Genesys Cloud Client Application does).
pub fn is_framed() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.top() {
        Ok(Some(top)) => !js_sys::Object::is(&top, &window),
        // A top window that cannot even be read is another origin's: framed.
        _ => true,
    }
}

/// The raw sign-in answer of this page load: the query and the fragment.
pub struct RawAnswer {
    pub search: String,
    pub hash: String,
}

impl RawAnswer {
    /// Reads the address; `None` when it holds no sign-in answer.
    pub fn from_location() -> Option<RawAnswer> {
        let location = web_sys::window()?.location();
        let answer = RawAnswer {
            search: location.search().unwrap_or_default(),
            hash: location.hash().unwrap_or_default(),
        };
        answer.callback().is_present().then_some(answer)
    }

    /// The parsed answer.
    pub fn callback(&self) -> Callback {
        [
            Callback::from_query(&self.search),
            Callback::from_fragment(&self.hash),
        ]
        .into_iter()
        .find(Callback::is_present)
        .unwrap_or(Callback::None)
    }
}

/// In the sign-in popup: hands the answer to the page that opened it and closes. Returns
/// false when this page was not opened by a page of its own origin.
pub fn forward_to_opener(answer: &RawAnswer) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Ok(opener) = window.opener() else {
        return false;
    };
    if opener.is_null() || opener.is_undefined() {
        return false;
    }
    // The opener belongs to another page's realm, so an `instanceof Window` check would fail;
    // the origin check below is what makes it safe to use.
    let opener: web_sys::Window = opener.unchecked_into();
    let Ok(origin) = window.location().origin() else {
        return false;
    };
    // The window name does not survive the trip through a sign-in page of another site, so
    // the popup is recognised by its opener instead: reading the opener's origin throws
    // unless it is this same origin.
    if opener.location().origin().ok().as_deref() != Some(origin.as_str()) {
        return false;
    }

    let message = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&message, &key.into(), &value.into());
    };
    set("kind", MESSAGE_KIND);
    set("search", &answer.search);
    set("hash", &answer.hash);
    // Delivered only if the opener is this same origin.
    let sent = opener.post_message(&message, &origin).is_ok();
    if sent {
        let _ = window.close();
    }
    sent
}

/// Opens the sign-in page in a popup.
pub fn open_popup(url: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    match window.open_with_url_and_target_and_features(url, POPUP_NAME, "popup,width=520,height=680") {
        Ok(Some(_)) => Ok(()),
        _ => Err(
            "the browser blocked the sign-in window: allow pop-ups for this page, or open it in its own tab"
                .to_string(),
        ),
    }
}

/// Calls `on_answer` with each sign-in answer a popup of this origin hands over.
pub fn listen_for_answers(on_answer: impl Fn(Callback) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let own_origin = window.location().origin().unwrap_or_default();
    let handler =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.origin() != own_origin {
                return;
            }
            let data = event.data();
            let field = |key: &str| {
                js_sys::Reflect::get(&data, &key.into())
                    .ok()
                    .and_then(|value| value.as_string())
            };
            if field("kind").as_deref() != Some(MESSAGE_KIND) {
                return;
            }
            let answer = RawAnswer {
                search: field("search").unwrap_or_default(),
                hash: field("hash").unwrap_or_default(),
            };
            on_answer(answer.callback());
        });
    let _ = window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
    // The listener lives as long as the page.
    handler.forget();
}
