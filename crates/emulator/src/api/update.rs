//! The editing rules shared by the action PATCH, the draft PATCH and publishing: version
//! checks, timeout validation, and how a sent `config` replaces the stored one.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::api::render::template_uri;
use crate::error::ApiError;
use crate::model::{
    ActionBody, ActionConfig, ActionKind, REQUEST_TEMPLATE_FILE, RequestConfig, ResponseConfig,
    SUCCESS_TEMPLATE_FILE,
};
use crate::quirks::Quirk;

/// The longest `name` or `category` accepted.
const MAX_TEXT: usize = 256;

/// A `config` as a client sends it: the timeout is kept raw so that a bad value gets a
/// Genesys error rather than a parse failure.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IncomingConfig {
    #[serde(default)]
    timeout_seconds: Option<Value>,
    #[serde(default)]
    request: Option<RequestConfig>,
    #[serde(default)]
    response: Option<ResponseConfig>,
}

/// Where the update applies: the published action or its draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Action,
    Draft,
}

/// Reads the required `version` of an update or publish body.
pub fn required_version(body: &Map<String, Value>) -> Result<u64, ApiError> {
    match body.get("version") {
        None | Some(Value::Null) => Err(ApiError::invalid_value(
            "version",
            "The version field is required.",
        )),
        Some(value) => value
            .as_u64()
            .ok_or_else(|| ApiError::bad_request("The version field must be a whole number.")),
    }
}

/// Fails unless `sent` is the stored version: 409 by default, 400 with the
/// `version-mismatch-400` quirk. Both messages say "does not match the current version".
pub fn check_version(sent: u64, current: u64, quirk_400: bool) -> Result<(), ApiError> {
    if sent == current {
        return Ok(());
    }
    let message = format!(
        "The version supplied ({sent}) does not match the current version ({current}). Re-read the action and try again."
    );
    Err(if quirk_400 {
        ApiError::bad_request(message)
    } else {
        ApiError::new(StatusCode::CONFLICT, "general.conflict", message)
    })
}

/// The refusal every change to a static action gets.
pub fn static_refusal() -> ApiError {
    ApiError::bad_request(
        "Static actions are owned by Genesys Cloud and cannot be created, updated, or deleted.",
    )
}

/// Applies an update body to `current`, returning the new body with its version bumped.
/// The caller has already checked the version.
pub fn apply(
    current: &ActionBody,
    body: &Map<String, Value>,
    kind: ActionKind,
    target: Target,
    action_id: &str,
    quirks: &[Quirk],
) -> Result<ActionBody, ApiError> {
    let mut next = current.clone();

    if let Some(name) = text_field(body, "name")? {
        next.name = name;
    }
    if let Some(category) = text_field(body, "category")? {
        next.category = category;
    }
    if target == Target::Draft {
        apply_draft_only_fields(&mut next, body)?;
    }
    if let Some(config) = body.get("config").filter(|value| !value.is_null()) {
        let keep_omitted = quirks.contains(&Quirk::PatchKeepsOmittedTimeout);
        let draft = target == Target::Draft;
        next.config = replace_config(
            &current.config,
            config,
            kind,
            action_id,
            draft,
            keep_omitted,
        )?;
    }

    next.version = current.version + 1;
    Ok(next)
}

fn apply_draft_only_fields(
    next: &mut ActionBody,
    body: &Map<String, Value>,
) -> Result<(), ApiError> {
    match body.get("secure") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(secure)) => next.secure = *secure,
        Some(_) => {
            return Err(ApiError::invalid_value(
                "secure",
                "secure must be true or false.",
            ));
        }
    }
    match body.get("contract") {
        None | Some(Value::Null) => {}
        Some(contract @ Value::Object(_)) => next.contract = contract.clone(),
        Some(_) => {
            return Err(ApiError::invalid_value(
                "contract",
                "contract must be an object.",
            ));
        }
    }
    Ok(())
}

fn text_field(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text))
            if !text.trim().is_empty() && text.chars().count() <= MAX_TEXT =>
        {
            Ok(Some(text.clone()))
        }
        Some(_) => Err(ApiError::invalid_value(
            field,
            format!("{field} must be a non-empty string of at most {MAX_TEXT} characters."),
        )),
    }
}

/// The sent config replaces the stored one whole: whatever the client leaves out is gone,
/// except templates sent back as the URI of this same action's stored template.
fn replace_config(
    stored: &ActionConfig,
    sent: &Value,
    kind: ActionKind,
    action_id: &str,
    draft: bool,
    keep_omitted_timeout: bool,
) -> Result<ActionConfig, ApiError> {
    let incoming: IncomingConfig = serde_json::from_value(sent.clone()).map_err(|error| {
        ApiError::bad_request(format!("The config could not be understood: {error}"))
    })?;

    let timeout = match incoming.timeout_seconds.filter(|value| !value.is_null()) {
        Some(value) => Some(valid_timeout(&value, kind)?),
        None if keep_omitted_timeout => stored.timeout_seconds,
        None => None,
    };

    let mut request = incoming.request;
    if let Some(request) = request.as_mut() {
        let stored_template = stored
            .request
            .as_ref()
            .and_then(|r| r.request_template.clone());
        let uri = request.request_template_uri.take();
        if request.request_template.is_none()
            && let Some(uri) = uri
        {
            let own = template_uri(action_id, draft, REQUEST_TEMPLATE_FILE);
            request.request_template = Some(resolve_template_uri(
                &uri,
                &own,
                stored_template,
                "config.request.requestTemplateUri",
            )?);
        }
    }

    let mut response = incoming.response;
    if let Some(response) = response.as_mut() {
        let stored_template = stored
            .response
            .as_ref()
            .and_then(|r| r.success_template.clone());
        let uri = response.success_template_uri.take();
        if response.success_template.is_none()
            && let Some(uri) = uri
        {
            let own = template_uri(action_id, draft, SUCCESS_TEMPLATE_FILE);
            response.success_template = Some(resolve_template_uri(
                &uri,
                &own,
                stored_template,
                "config.response.successTemplateUri",
            )?);
        }
    }

    Ok(ActionConfig {
        timeout_seconds: timeout,
        request,
        response,
    })
}

/// A template sent back by URI keeps the stored text only when the URI names this action's
/// own template file (a relative path, or any absolute URL ending in it).
fn resolve_template_uri(
    uri: &str,
    own: &str,
    stored: Option<String>,
    field: &str,
) -> Result<String, ApiError> {
    match stored {
        Some(template) if uri == own || uri.ends_with(own) => Ok(template),
        _ => Err(ApiError::invalid_value(
            field,
            format!(
                "The template URI '{uri}' does not refer to this action's stored template; send the template text instead."
            ),
        )),
    }
}

/// A timeout must be a JSON whole number from 1 to 60, and custom-auth actions take none.
fn valid_timeout(value: &Value, kind: ActionKind) -> Result<u32, ApiError> {
    if kind == ActionKind::CustomAuth {
        return Err(ApiError::bad_request(
            "timeoutSeconds is invalid for Custom Authentication Actions.",
        ));
    }
    let Some(seconds) = value.as_i64() else {
        return Err(ApiError::bad_request(format!(
            "timeoutSeconds must be a whole number of seconds, not {value}."
        )));
    };
    match u32::try_from(seconds) {
        Ok(seconds @ 1..=60) => Ok(seconds),
        _ => {
            let mut error = ApiError::invalid_value(
                "config.timeoutSeconds",
                format!("timeoutSeconds must be between 1 and 60, not {seconds}."),
            );
            error.message_params.push(("min".into(), "1".into()));
            error.message_params.push(("max".into(), "60".into()));
            Err(error)
        }
    }
}

/// Problems that make a draft unpublishable, as `DraftValidationResult.errors`.
pub fn validation_errors(draft: &ActionBody) -> Vec<ApiError> {
    let mut errors = Vec::new();
    let request = draft.config.request.as_ref();
    if request
        .and_then(|r| r.request_url_template.as_deref())
        .is_none_or(str::is_empty)
    {
        errors.push(ApiError::invalid_value(
            "config.request.requestUrlTemplate",
            "The request URL template is required.",
        ));
    }
    if request
        .and_then(|r| r.request_type.as_deref())
        .is_none_or(str::is_empty)
    {
        errors.push(ApiError::invalid_value(
            "config.request.requestType",
            "The request type is required.",
        ));
    }
    if draft
        .config
        .timeout_seconds
        .is_some_and(|t| !(1..=60).contains(&t))
    {
        errors.push(ApiError::invalid_value(
            "config.timeoutSeconds",
            "timeoutSeconds must be between 1 and 60.",
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::seed;

    fn body() -> ActionBody {
        ActionBody {
            name: "Lookup".into(),
            category: "CRM".into(),
            secure: false,
            version: 3,
            contract: json!({}),
            config: seed::config(Some(20), "GET", "https://x.example/"),
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_partial_config_loses_everything_it_leaves_out() {
        let next = apply(
            &body(),
            &object(json!({"version": 3, "config": {"timeoutSeconds": 9}})),
            ActionKind::Regular,
            Target::Action,
            "a",
            &[],
        )
        .unwrap();
        assert_eq!(next.config.timeout_seconds, Some(9));
        assert!(next.config.request.is_none());
        assert!(next.config.response.is_none());
        assert_eq!(next.version, 4);
        assert_eq!(next.name, "Lookup");
    }

    #[test]
    fn omitting_the_timeout_clears_it_unless_the_quirk_keeps_it() {
        let patch = object(json!({"version": 3, "config": {}}));
        let cleared = apply(
            &body(),
            &patch,
            ActionKind::Regular,
            Target::Action,
            "a",
            &[],
        )
        .unwrap();
        assert_eq!(cleared.config.timeout_seconds, None);
        let kept = apply(
            &body(),
            &patch,
            ActionKind::Regular,
            Target::Action,
            "a",
            &[Quirk::PatchKeepsOmittedTimeout],
        )
        .unwrap();
        assert_eq!(kept.config.timeout_seconds, Some(20));
    }

    #[test]
    fn timeouts_must_be_whole_numbers_from_one_to_sixty() {
        for (value, code) in [
            (json!(0), "invalid.value"),
            (json!(61), "invalid.value"),
            (json!(-5), "invalid.value"),
            (json!(2.5), "bad.request"),
            (json!("10"), "bad.request"),
        ] {
            let patch = object(json!({"version": 3, "config": {"timeoutSeconds": value}}));
            let error = apply(
                &body(),
                &patch,
                ActionKind::Regular,
                Target::Action,
                "a",
                &[],
            )
            .unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST);
            assert_eq!(error.code, code, "for {value}");
        }
        for ok in [1, 60] {
            let patch = object(json!({"version": 3, "config": {"timeoutSeconds": ok}}));
            assert!(
                apply(
                    &body(),
                    &patch,
                    ActionKind::Regular,
                    Target::Action,
                    "a",
                    &[]
                )
                .is_ok()
            );
        }
    }

    #[test]
    fn custom_auth_actions_refuse_a_timeout_but_take_other_config() {
        let with_timeout = object(json!({"version": 3, "config": {"timeoutSeconds": 5}}));
        assert!(
            apply(
                &body(),
                &with_timeout,
                ActionKind::CustomAuth,
                Target::Action,
                "a",
                &[]
            )
            .is_err()
        );
        let without = object(json!({"version": 3, "config": {"request": {"requestType": "POST"}}}));
        let next = apply(
            &body(),
            &without,
            ActionKind::CustomAuth,
            Target::Action,
            "a",
            &[],
        )
        .unwrap();
        assert_eq!(
            next.config.request.unwrap().request_type.as_deref(),
            Some("POST")
        );
    }

    #[test]
    fn a_template_sent_back_as_its_own_uri_keeps_the_stored_text() {
        let uri = "/api/v2/integrations/actions/a/templates/requesttemplate.vm";
        let patch =
            object(json!({"version": 3, "config": {"request": {"requestTemplateUri": uri}}}));
        let next = apply(
            &body(),
            &patch,
            ActionKind::Regular,
            Target::Action,
            "a",
            &[],
        )
        .unwrap();
        let request = next.config.request.unwrap();
        assert_eq!(
            request.request_template.as_deref(),
            Some("${input.rawRequest}")
        );
        assert!(request.request_template_uri.is_none());

        let foreign = object(
            json!({"version": 3, "config": {"request": {"requestTemplateUri": "/api/v2/integrations/actions/b/templates/requesttemplate.vm"}}}),
        );
        let error = apply(
            &body(),
            &foreign,
            ActionKind::Regular,
            Target::Action,
            "a",
            &[],
        )
        .unwrap_err();
        assert_eq!(error.code, "invalid.value");
    }

    #[test]
    fn a_missing_version_is_a_400_and_a_stale_one_a_409_or_quirk_400() {
        assert_eq!(
            required_version(&object(json!({}))).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            check_version(2, 3, false).unwrap_err().status,
            StatusCode::CONFLICT
        );
        let quirk = check_version(2, 3, true).unwrap_err();
        assert_eq!(quirk.status, StatusCode::BAD_REQUEST);
        assert!(quirk.message.contains("does not match the current version"));
        assert!(check_version(3, 3, false).is_ok());
    }
}
