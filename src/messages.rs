//! Sentences for the person at the screen: what went wrong and what to do about it.
//!
//! Nothing here includes a token, a config or a raw response body; Genesys' own message and
//! correlation id are included as text, because support asks for them.

use timeouts_core::api::ApiError;

/// Describes a failed call for someone who can retry, ask for a permission, or call support.
pub fn describe(error: &ApiError) -> String {
    match error {
        ApiError::Network(_) => {
            "Genesys Cloud could not be reached. Check the network connection and try again."
                .to_string()
        }
        ApiError::Cancelled => "The request was cancelled.".to_string(),
        ApiError::Decode { status, .. } => format!(
            "Genesys Cloud sent an answer this page cannot read (status {status}). Try again."
        ),
        ApiError::Status(status) => {
            let said = status
                .message
                .as_deref()
                .map(|m| format!(" Genesys Cloud said: \"{m}\""))
                .unwrap_or_default();
            let reference = status
                .correlation_id
                .as_deref()
                .map(|id| format!(" (reference {id})"))
                .unwrap_or_default();
            let what = match status.status {
                401 => "Your session ended. Sign in again.".to_string(),
                403 => "You do not have a permission this needs.".to_string(),
                404 => "It was not found; it may have been deleted.".to_string(),
                409 => "Someone else changed it at the same time.".to_string(),
                429 => "Genesys Cloud is limiting requests for now. Wait a minute and try again."
                    .to_string(),
                code if code >= 500 => {
                    format!("Genesys Cloud had a problem (status {code}). Try again in a moment.")
                }
                code => format!("Genesys Cloud refused the request (status {code})."),
            };
            format!("{what}{said}{reference}")
        }
    }
}

/// "1 action", "2 actions".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
