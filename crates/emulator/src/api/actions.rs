//! Published actions: the listing, one action, its templates, and the PATCH that changes it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::api::listing::{self, Page};
use crate::api::render::{self, View};
use crate::api::update::{self, Target};
use crate::api::{Caller, EDIT_ACTIONS, QueryParams, VIEW_ACTIONS, json_object};
use crate::audit::{AuditAction, AuditEntity, Change};
use crate::error::ApiError;
use crate::model::{
    ActionBody, ActionKind, REQUEST_TEMPLATE_FILE, SUCCESS_TEMPLATE_FILE, StoredAction,
};
use crate::quirks::Quirk;
use crate::state::{AppState, Org};

/// The most ids one listing request may name.
const MAX_IDS: usize = 50;

/// The filters and sorting of an actions or drafts listing.
struct ListRequest {
    page: Page,
    name: Option<String>,
    category: Option<String>,
    ids: Option<Vec<String>>,
    secure: Option<bool>,
    include_auth_actions: bool,
    include_config: bool,
    sort_descending: bool,
    sort_by_name: bool,
}

impl ListRequest {
    fn parse(query: &QueryParams) -> Result<Self, ApiError> {
        let page = Page::from_query(query)?;
        let ids = query.get("ids").map(|_| query.list("ids"));
        if ids.as_ref().is_some_and(|ids| ids.len() > MAX_IDS) {
            return Err(ApiError::invalid_value(
                "ids",
                format!("At most {MAX_IDS} ids may be requested at once."),
            ));
        }

        let sort_by_name = match query.get("sortBy") {
            None => false,
            Some("name") => true,
            Some(field) => {
                return Err(ApiError::invalid_value(
                    "sortBy",
                    format!("Sorting by '{field}' is not supported; use name."),
                ));
            }
        };
        let sort_descending = match query.get("sortOrder") {
            None => false,
            Some(order) if order.eq_ignore_ascii_case("asc") => false,
            Some(order) if order.eq_ignore_ascii_case("desc") => true,
            Some(order) => {
                return Err(ApiError::invalid_value(
                    "sortOrder",
                    format!("The sort order '{order}' is not valid; use asc or desc."),
                ));
            }
        };

        Ok(ListRequest {
            page,
            name: query.get("name").map(str::to_lowercase),
            category: query.get("category").map(str::to_lowercase),
            ids,
            secure: query.flag("secure")?,
            include_auth_actions: query.flag("includeAuthActions")?.unwrap_or(false),
            include_config: query.flag("includeConfig")?.unwrap_or(false),
            sort_descending,
            sort_by_name,
        })
    }

    fn matches(&self, action: &StoredAction, body: &ActionBody) -> bool {
        (self.include_auth_actions || action.kind() != ActionKind::CustomAuth)
            && self
                .name
                .as_ref()
                .is_none_or(|name| body.name.to_lowercase().contains(name))
            && self
                .category
                .as_ref()
                .is_none_or(|category| body.category.to_lowercase() == *category)
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&action.id))
            && self.secure.is_none_or(|secure| body.secure == secure)
    }
}

/// Lists published actions (`draft == false`) or drafts as an `ActionEntityListing`.
pub fn listing(org: &Org, raw_query: Option<&str>, drafts: bool) -> Result<Value, ApiError> {
    let query = QueryParams::parse(raw_query);
    let request = ListRequest::parse(&query)?;

    let mut found: Vec<(&StoredAction, &ActionBody)> = org
        .actions
        .iter()
        .filter_map(|action| {
            let body = if drafts {
                action.draft.as_ref()?
            } else {
                &action.published
            };
            request.matches(action, body).then_some((action, body))
        })
        .collect();
    if request.sort_by_name {
        found.sort_by_cached_key(|(action, body)| (body.name.to_lowercase(), action.id.clone()));
    }
    if request.sort_descending {
        found.reverse();
    }

    let view = View {
        include_config: request.include_config && !org.has_quirk(Quirk::ListIgnoresIncludeConfig),
        include_contract: false,
        templates_as_uris: org.has_quirk(Quirk::TemplatesAsUris),
    };
    let entities = request
        .page
        .slice(&found)
        .iter()
        .map(|(action, body)| render::action(action, body, drafts, view))
        .collect();
    let path = if drafts {
        "/api/v2/integrations/actions/drafts"
    } else {
        "/api/v2/integrations/actions"
    };
    Ok(listing::body(
        path,
        &query,
        request.page,
        found.len(),
        entities,
    ))
}

/// `GET /api/v2/integrations/actions`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_ACTIONS)?;
    Ok(Json(listing(&state.org(), query.as_deref(), false)?))
}

/// The view a single-action GET asks for with `includeConfig` and `expand=contract`.
pub fn single_view(org: &Org, raw_query: Option<&str>) -> Result<View, ApiError> {
    let query = QueryParams::parse(raw_query);
    query.flag("flatten")?;
    Ok(View {
        include_config: query.flag("includeConfig")?.unwrap_or(false),
        include_contract: query.list("expand").iter().any(|value| value == "contract"),
        templates_as_uris: org.has_quirk(Quirk::TemplatesAsUris),
    })
}

/// Fails with 404 unless the action exists.
pub fn find<'a>(org: &'a Org, action_id: &str) -> Result<&'a StoredAction, ApiError> {
    org.action(action_id)
        .ok_or_else(|| ApiError::not_found(format!("Action {action_id} was not found.")))
}

/// `GET /api/v2/integrations/actions/{actionId}`
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(action_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_ACTIONS)?;
    let org = state.org();
    let view = single_view(&org, query.as_deref())?;
    let action = find(&org, &action_id)?;
    Ok(Json(render::action(action, &action.published, false, view)))
}

/// Serves one template file of an action or its draft as text.
pub fn template(body: &ActionBody, file_name: &str) -> Result<Response, ApiError> {
    let text = match file_name {
        REQUEST_TEMPLATE_FILE => body
            .config
            .request
            .as_ref()
            .and_then(|r| r.request_template.clone()),
        SUCCESS_TEMPLATE_FILE => body
            .config
            .response
            .as_ref()
            .and_then(|r| r.success_template.clone()),
        _ => None,
    };
    let text =
        text.ok_or_else(|| ApiError::not_found(format!("Template {file_name} was not found.")))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// `GET /api/v2/integrations/actions/{actionId}/templates/{fileName}`
pub async fn get_template(
    State(state): State<AppState>,
    caller: Caller,
    Path((action_id, file_name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(VIEW_ACTIONS)?;
    let org = state.org();
    template(&find(&org, &action_id)?.published, &file_name)
}

/// `PATCH /api/v2/integrations/actions/{actionId}`
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
    let quirks: Vec<Quirk> = org.quirks.iter().copied().collect();
    let action = find(&org, &action_id)?;
    if action.kind() == ActionKind::Static {
        return Err(update::static_refusal());
    }
    update::check_version(
        version,
        action.published.version,
        quirks.contains(&Quirk::VersionMismatch400),
    )?;
    let next = update::apply(
        &action.published,
        &body,
        action.kind(),
        Target::Action,
        &action_id,
        &quirks,
    )?;

    let view = View {
        include_config: true,
        include_contract: false,
        templates_as_uris: quirks.contains(&Quirk::TemplatesAsUris),
    };
    let actor = caller.actor(&org);
    let action = org
        .action_mut(&action_id)
        .ok_or_else(|| ApiError::not_found("Action vanished."))?;
    let before = std::mem::replace(&mut action.published, next.clone());
    tracing::debug!(action = %action_id, version = next.version, "action updated");
    let rendered = render::action(action, &action.published, false, view);
    org.audit(
        actor,
        Change {
            action: AuditAction::Update,
            entity_type: AuditEntity::Action,
            action_id: &action_id,
            before: Some(&before),
            after: Some(&next),
        },
    );
    Ok(Json(rendered))
}
