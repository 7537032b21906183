//! Typed access to the browser's sessionStorage and localStorage.
//!
//! Only this module touches Web Storage. The access token and pending edits go to
//! sessionStorage (gone when the tab closes); localStorage holds nothing but the chosen region,
//! which is not a secret.

use serde::{Serialize, de::DeserializeOwned};
use web_sys::Storage;

/// Where a value is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// sessionStorage: this tab only, cleared when it closes.
    Session,
    /// localStorage: kept across visits; never used for secrets.
    Local,
}

fn storage(store: Store) -> Option<Storage> {
    let window = web_sys::window()?;
    match store {
        Store::Session => window.session_storage().ok().flatten(),
        Store::Local => window.local_storage().ok().flatten(),
    }
}

/// Reads a string; `None` when absent or when storage is unavailable (private modes).
pub fn get(store: Store, key: &str) -> Option<String> {
    storage(store)?.get_item(key).ok().flatten()
}

/// Writes a string. Storage can be full or disabled; the page then keeps working without it.
pub fn set(store: Store, key: &str, value: &str) {
    if let Some(storage) = storage(store) {
        let _ = storage.set_item(key, value);
    }
}

/// Removes a key.
pub fn remove(store: Store, key: &str) {
    if let Some(storage) = storage(store) {
        let _ = storage.remove_item(key);
    }
}

/// Reads a JSON value; a value that no longer parses is treated as absent.
pub fn get_json<T: DeserializeOwned>(store: Store, key: &str) -> Option<T> {
    serde_json::from_str(&get(store, key)?).ok()
}

/// Writes a JSON value.
pub fn set_json<T: Serialize>(store: Store, key: &str, value: &T) {
    if let Ok(text) = serde_json::to_string(value) {
        set(store, key, &text);
    }
}
