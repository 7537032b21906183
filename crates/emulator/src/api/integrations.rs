//! Installed integrations: the paged listing (with its `integrationType` filter) and one
//! integration.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use crate::api::listing::{self, Page};
use crate::api::{Caller, QueryParams, VIEW_INTEGRATIONS};
use crate::error::ApiError;
use crate::model::Integration;
use crate::state::AppState;

/// The most ids one integrations listing may name.
const MAX_IDS: usize = 100;

fn render(integration: &Integration, expand_config: bool) -> Value {
    let mut value = json!({
        "id": integration.id,
        "name": integration.name,
        "integrationType": {
            "id": integration.type_id,
            "name": integration.type_name,
            "description": format!("{} integration", integration.type_name),
            "provider": "genesys",
            "selfUri": format!("/api/v2/integrations/types/{}", integration.type_id),
        },
        "notes": integration.notes,
        "intendedState": "ENABLED",
        "reportedState": { "code": "ACTIVE", "effective": "Active", "lastUpdated": "2026-01-05T10:00:00Z" },
        "attributes": {},
        "selfUri": format!("/api/v2/integrations/{}", integration.id),
    });
    if expand_config {
        let credentials = match &integration.credential_type {
            Some(kind) => json!({ "basicAuth": { "type": kind } }),
            None => json!({}),
        };
        value["config"] = json!({ "current": {
            "name": integration.name, "notes": integration.notes, "version": 1,
            "properties": {}, "advanced": {}, "credentials": credentials,
        } });
    }
    value
}

/// `GET /api/v2/integrations`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_INTEGRATIONS)?;
    let query = QueryParams::parse(raw.as_deref());
    let page = Page::from_query(&query)?;
    let type_filter = query.get("integrationType");
    let ids = query.get("ids").map(|_| query.list("ids"));
    if ids.as_ref().is_some_and(|ids| ids.len() > MAX_IDS) {
        return Err(ApiError::invalid_value(
            "ids",
            format!("At most {MAX_IDS} ids may be requested at once."),
        ));
    }
    let expand_config = query
        .list("expand")
        .iter()
        .any(|value| value == "config.current");

    let org = state.org();
    let mut found: Vec<&Integration> = org
        .integrations
        .iter()
        .filter(|integration| type_filter.is_none_or(|wanted| integration.type_id == wanted))
        .filter(|integration| ids.as_ref().is_none_or(|ids| ids.contains(&integration.id)))
        .collect();
    if query.get("sortBy") == Some("name") {
        found.sort_by_key(|integration| integration.name.to_lowercase());
    }

    let entities = page
        .slice(&found)
        .iter()
        .map(|integration| render(integration, expand_config))
        .collect();
    Ok(Json(listing::body(
        "/api/v2/integrations",
        &query,
        page,
        found.len(),
        entities,
    )))
}

/// `GET /api/v2/integrations/{integrationId}`
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(integration_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_INTEGRATIONS)?;
    let expand_config = QueryParams::parse(raw.as_deref())
        .list("expand")
        .iter()
        .any(|value| value == "config.current");
    let org = state.org();
    let integration = org.integration(&integration_id).ok_or_else(|| {
        ApiError::not_found(format!("Integration {integration_id} was not found."))
    })?;
    Ok(Json(render(integration, expand_config)))
}
