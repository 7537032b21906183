//! Drafts of actions: the drafts listing, and the create/read/update/delete, publish and
//! validation of one action's draft. A draft has its own `version`, checked and bumped by
//! its PATCH and by publishing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::actions::{self, find};
use crate::api::render::{self, View};
use crate::api::update::{self, Target};
use crate::api::{Caller, DELETE_ACTIONS, EDIT_ACTIONS, VIEW_ACTIONS, json_object};
use crate::audit::{AuditAction, AuditEntity, Change};
use crate::error::ApiError;
use crate::model::{ActionBody, ActionKind, StoredAction};
use crate::quirks::Quirk;
use crate::state::{AppState, Org};

fn no_draft(action_id: &str) -> ApiError {
    ApiError::not_found(format!("Action {action_id} has no draft."))
}

fn draft_of(action: &StoredAction) -> Result<&ActionBody, ApiError> {
    action.draft.as_ref().ok_or_else(|| no_draft(&action.id))
}

fn full_view(org: &Org) -> View {
    View {
        include_config: true,
        include_contract: false,
        templates_as_uris: org.has_quirk(Quirk::TemplatesAsUris),
    }
}

/// `GET /api/v2/integrations/actions/drafts`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_ACTIONS)?;
    Ok(Json(actions::listing(
        &state.org(),
        query.as_deref(),
        true,
    )?))
}

/// `GET /api/v2/integrations/actions/{actionId}/draft`
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_ACTIONS)?;
    let org = state.org();
    let view = actions::single_view(&org, query.as_deref())?;
    let action = find(&org, &action_id)?;
    Ok(Json(render::action(action, draft_of(action)?, true, view)))
}

/// `POST /api/v2/integrations/actions/{actionId}/draft`: a new draft copied from the
/// published action. A second draft is refused with 409 while one exists.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(EDIT_ACTIONS)?;
    let mut org = state.org();
    let view = full_view(&org);
    let action = find(&org, &action_id)?;
    if action.kind() == ActionKind::Static {
        return Err(update::static_refusal());
    }
    if action.draft.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "general.conflict",
            format!("Action {action_id} already has a draft."),
        ));
    }

    let actor = caller.actor(&org);
    let action = org
        .action_mut(&action_id)
        .ok_or_else(|| no_draft(&action_id))?;
    let draft = ActionBody {
        version: 1,
        ..action.published.clone()
    };
    let rendered = render::action(action, &draft, true, view);
    action.draft = Some(draft.clone());
    org.audit(
        actor,
        Change {
            action: AuditAction::Create,
            entity_type: AuditEntity::ActionDraft,
            action_id: &action_id,
            before: None,
            after: Some(&draft),
        },
    );
    Ok(Json(rendered).into_response())
}

/// `PATCH /api/v2/integrations/actions/{actionId}/draft`
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(EDIT_ACTIONS)?;
    let body = json_object(&body)?;
    let version = update::required_version(&body)?;

    let mut org = state.org();
    let view = full_view(&org);
    let quirks: Vec<Quirk> = org.quirks.iter().copied().collect();
    let action = find(&org, &action_id)?;
    let draft = draft_of(action)?;
    update::check_version(
        version,
        draft.version,
        quirks.contains(&Quirk::VersionMismatch400),
    )?;
    let next = update::apply(
        draft,
        &body,
        action.kind(),
        Target::Draft,
        &action_id,
        &quirks,
    )?;

    let actor = caller.actor(&org);
    let action = org
        .action_mut(&action_id)
        .ok_or_else(|| no_draft(&action_id))?;
    let rendered = render::action(action, &next, true, view);
    let before = action.draft.replace(next.clone());
    org.audit(
        actor,
        Change {
            action: AuditAction::Update,
            entity_type: AuditEntity::ActionDraft,
            action_id: &action_id,
            before: before.as_ref(),
            after: Some(&next),
        },
    );
    Ok(Json(rendered))
}

/// `DELETE /api/v2/integrations/actions/{actionId}/draft`
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(DELETE_ACTIONS)?;
    let mut org = state.org();
    find(&org, &action_id)?;
    let actor = caller.actor(&org);
    let action = org
        .action_mut(&action_id)
        .ok_or_else(|| no_draft(&action_id))?;
    let draft = action.draft.take().ok_or_else(|| no_draft(&action_id))?;
    org.audit(
        actor,
        Change {
            action: AuditAction::Delete,
            entity_type: AuditEntity::ActionDraft,
            action_id: &action_id,
            before: Some(&draft),
            after: None,
        },
    );
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v2/integrations/actions/{actionId}/draft/publish`: copies the draft (config and
/// timeout included) over the published action, bumps the published version and removes the
/// draft.
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(EDIT_ACTIONS)?;
    let body = json_object(&body)?;
    let version = update::required_version(&body)?;

    let mut org = state.org();
    let view = full_view(&org);
    let quirk_400 = org.has_quirk(Quirk::VersionMismatch400);
    let action = find(&org, &action_id)?;
    let draft = draft_of(action)?;
    update::check_version(version, draft.version, quirk_400)?;
    if let Some(error) = update::validation_errors(draft).into_iter().next() {
        return Err(error);
    }

    let actor = caller.actor(&org);
    let action = org
        .action_mut(&action_id)
        .ok_or_else(|| no_draft(&action_id))?;
    let draft = action.draft.take().ok_or_else(|| no_draft(&action_id))?;
    let published = ActionBody {
        version: action.published.version + 1,
        ..draft
    };
    let before = std::mem::replace(&mut action.published, published.clone());
    let rendered = render::action(action, &action.published, false, view);
    // Publishing is recorded on the action, whose published timeout it changes.
    org.audit(
        actor,
        Change {
            action: AuditAction::Publish,
            entity_type: AuditEntity::Action,
            action_id: &action_id,
            before: Some(&before),
            after: Some(&published),
        },
    );
    Ok(Json(rendered))
}

/// `GET /api/v2/integrations/actions/{actionId}/draft/validation`
pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(EDIT_ACTIONS)?;
    let org = state.org();
    let draft = draft_of(find(&org, &action_id)?)?;
    let context = crate::error::current_correlation_id();
    let errors: Vec<Value> = update::validation_errors(draft)
        .iter()
        .map(|error| error.body(&context))
        .collect();
    Ok(Json(
        json!({ "valid": errors.is_empty(), "errors": errors }),
    ))
}

/// `GET /api/v2/integrations/actions/{actionId}/draft/templates/{fileName}`
pub async fn get_template(
    State(state): State<AppState>,
    caller: Caller,
    Path((action_id, file_name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(VIEW_ACTIONS)?;
    let org = state.org();
    actions::template(draft_of(find(&org, &action_id)?)?, &file_name)
}
