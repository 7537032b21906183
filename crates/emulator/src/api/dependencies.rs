//! `GET /api/v2/architect/dependencytracking/consumingresources`: the seeded flows that
//! use an action.
//!
//! Only the action object types are known: `DATAACTION` lists the flows of any action, and
//! `SECUREACTION` those of secure actions. An id that no flow uses, known action or not,
//! gives an empty listing, as dependency tracking does not check that objects exist.
//! Without `flowFilter` every flow is listed with its latest saved version;
//! `flowFilter=published` keeps the published flows (with their published version) and
//! `flowFilter=checkedIn` lists every flow with its saved version.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use crate::api::listing::{self, Page};
use crate::api::{Caller, QueryParams, VIEW_DEPENDENCIES};
use crate::error::ApiError;
use crate::model::Flow;
use crate::state::AppState;

const PATH: &str = "/api/v2/architect/dependencytracking/consumingresources";

fn render(flow: &Flow, version: u32) -> Value {
    json!({
        "id": flow.id,
        "name": flow.name,
        "version": format!("{version}.0"),
        "type": flow.flow_type,
        "deleted": false,
        "updated": false,
        "stateUnknown": false,
        "selfUri": format!("/api/v2/flows/{}", flow.id),
    })
}

/// `GET /api/v2/architect/dependencytracking/consumingresources`
pub async fn consuming_resources(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_DEPENDENCIES)?;
    let query = QueryParams::parse(raw.as_deref());
    let page = Page::from_query(&query)?;
    let id = query
        .get("id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::invalid_value("id", "The id of the object is required."))?;
    let secure_only = match query.get("objectType") {
        Some("DATAACTION") => false,
        Some("SECUREACTION") => true,
        other => {
            return Err(ApiError::invalid_value(
                "objectType",
                format!(
                    "The object type '{}' is not valid here; use DATAACTION or SECUREACTION.",
                    other.unwrap_or_default()
                ),
            ));
        }
    };
    let published_only = match query.get("flowFilter") {
        None => false,
        Some("published") => true,
        Some("checkedIn") => false,
        Some(other) => {
            return Err(ApiError::invalid_value(
                "flowFilter",
                format!("The flow filter '{other}' is not valid; use checkedIn or published."),
            ));
        }
    };
    let resource_types = query.list("resourceType");

    let org = state.org();
    let tracked = !secure_only || org.action(id).is_some_and(|a| a.published.secure);
    let found: Vec<Value> = org
        .flows
        .iter()
        .filter(|flow| tracked && flow.consumes.iter().any(|used| used == id))
        .filter(|flow| resource_types.is_empty() || resource_types.contains(&flow.flow_type))
        .filter_map(|flow| {
            let version = if published_only {
                flow.published_version?
            } else {
                flow.saved_version
            };
            Some(render(flow, version))
        })
        .collect();

    let entities = page.slice(&found).to_vec();
    Ok(Json(listing::body(
        PATH,
        &query,
        page,
        found.len(),
        entities,
    )))
}
