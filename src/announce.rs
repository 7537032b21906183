//! The app-wide announcer: two visually hidden live regions, in the page from its first paint,
//! whose text components change to tell screen-reader users about progress and results.
//!
//! A live region that is inserted together with its text is often not read out, which is why
//! the page's own status lines are not enough: these regions are always present and only their
//! text changes. The visible status lines stay; the announcer speaks in addition to them.
//! Failures that the page shows in a `role="alert"` element are read out by the browser
//! already, so the assertive region is for the few failures whose visible line is not an alert.

use std::time::Duration;

use leptos::prelude::*;

/// How long changes must pause before a settled announcement is made, so that a search
/// announces its result once the person stops typing rather than after every key.
const SETTLE: Duration = Duration::from_millis(700);

/// Puts sentences into the live regions. Read it with [`use_announcer`].
#[derive(Clone, Copy)]
pub struct Announcer {
    polite: RwSignal<String>,
    assertive: RwSignal<String>,
    /// The settled announcement waiting for a pause, if any.
    waiting: StoredValue<Option<TimeoutHandle>>,
}

impl Announcer {
    fn new() -> Self {
        Announcer {
            polite: RwSignal::new(String::new()),
            assertive: RwSignal::new(String::new()),
            waiting: StoredValue::new(None),
        }
    }

    /// Says `text` once the screen reader has finished what it is reading.
    pub fn announce(&self, text: impl Into<String>) {
        // A newer sentence must not be replaced by an older one that was waiting.
        self.cancel_waiting();
        say(self.polite, text.into());
    }

    /// Says `text` at once, interrupting: for a failure whose visible line is not an alert.
    pub fn alert(&self, text: impl Into<String>) {
        say(self.assertive, text.into());
    }

    /// Says `text` politely once calls have stopped coming for a moment; each call replaces
    /// the sentence of the one before.
    pub fn announce_settled(&self, text: impl Into<String>) {
        self.cancel_waiting();
        let text = text.into();
        let polite = self.polite;
        let waiting = self.waiting;
        let scheduled = set_timeout_with_handle(
            move || {
                waiting.set_value(None);
                say(polite, text);
            },
            SETTLE,
        );
        // Scheduling fails only outside a browser window, where there is nobody to tell.
        if let Ok(handle) = scheduled {
            self.waiting.set_value(Some(handle));
        }
    }

    fn cancel_waiting(&self) {
        if let Some(handle) = self.waiting.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    }
}

/// Puts `text` into `region`. The same sentence twice would leave the region unchanged and
/// silent, so the repeat gets a trailing no-break space, which makes it new text.
fn say(region: RwSignal<String>, text: String) {
    region.update(|current| {
        *current = if *current == text {
            format!("{text}\u{a0}")
        } else {
            text
        };
    });
}

/// Creates the page's announcer and makes it available to every component below the caller.
pub fn provide_announcer() -> Announcer {
    let announcer = Announcer::new();
    provide_context(announcer);
    announcer
}

/// The page's announcer.
pub fn use_announcer() -> Announcer {
    expect_context::<Announcer>()
}

/// The two live regions. Mounted once, by the app shell, before anything is announced.
#[component]
pub fn LiveRegions() -> impl IntoView {
    let announcer = use_announcer();
    view! {
        <div class="visually-hidden announcer" role="status" aria-live="polite" aria-atomic="true">
            {move || announcer.polite.get()}
        </div>
        // No `role="alert"`: the page's visible alerts keep that role to themselves, so that
        // finding "the alert" finds what the person is shown.
        <div class="visually-hidden announcer" aria-live="assertive" aria-atomic="true">
            {move || announcer.assertive.get()}
        </div>
    }
}
