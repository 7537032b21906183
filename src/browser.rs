//! Small browser services the pages use: downloading a file, reading a chosen file, and
//! asking before the page is left while an apply runs.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

/// Offers `text` as a file download named `file_name`.
pub fn download(file_name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser could not prepare the file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not prepare the file")?;

    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "the browser could not prepare the download")?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();

    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Reads the text of the first file chosen in a file input.
pub async fn read_chosen_file(
    input: &web_sys::HtmlInputElement,
) -> Result<(String, String), String> {
    let file = input
        .files()
        .and_then(|files| files.get(0))
        .ok_or("no file was chosen")?;
    let text = JsFuture::from(file.text())
        .await
        .map_err(|_| format!("{} could not be read", file.name()))?;
    Ok((file.name(), text.as_string().unwrap_or_default()))
}

/// While this guard lives, leaving or reloading the page asks for confirmation first.
pub struct LeaveGuard {
    _handler: Closure<dyn FnMut(web_sys::BeforeUnloadEvent)>,
}

impl LeaveGuard {
    /// Starts asking before the page is left.
    pub fn new() -> LeaveGuard {
        let handler = Closure::<dyn FnMut(web_sys::BeforeUnloadEvent)>::new(
            |event: web_sys::BeforeUnloadEvent| {
                event.prevent_default();
                event.set_return_value("Changes are still being applied.");
            },
        );
        if let Some(window) = web_sys::window() {
            window.set_onbeforeunload(Some(handler.as_ref().unchecked_ref()));
        }
        LeaveGuard { _handler: handler }
    }
}

impl Drop for LeaveGuard {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.set_onbeforeunload(None);
        }
    }
}
