//! `POST /api/v2/audits/query/realtime`: the changes to actions and drafts made in this
//! run, filtered, sorted and paged.
//!
//! Filters on the same property are joined with "or" and different properties with "and",
//! so `EntityType = Action` and `EntityType = ActionDraft` together give both.
//! The interval is compared at whole seconds and includes its end second.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::api::interval::Interval;
use crate::api::{Caller, QueryParams, VIEW_AUDITS, json_object};
use crate::audit::{AuditRecord, SERVICE_NAME};
use crate::error::ApiError;
use crate::state::AppState;

/// The largest audit page.
pub const MAX_PAGE_SIZE: u64 = 500;
const DEFAULT_PAGE_SIZE: u64 = 25;

/// The properties a filter may name.
const PROPERTIES: [&str; 6] = [
    "UserId",
    "TrusteeOrganizationId",
    "ClientId",
    "Action",
    "EntityType",
    "EntityId",
];

/// A validated `AuditRealtimeQueryRequest`.
struct Query {
    interval: Interval,
    service_name: Option<String>,
    filters: Vec<(String, String)>,
    ascending: bool,
    page_size: u64,
    page_number: u64,
}

impl Query {
    fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let interval = Interval::required(body)?;
        let service_name = match body.get("serviceName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => {
                return Err(ApiError::invalid_value(
                    "serviceName",
                    "serviceName must be a string.",
                ));
            }
        };
        Ok(Query {
            interval,
            service_name,
            filters: filters(body.get("filters"))?,
            ascending: ascending(body.get("sort"))?,
            page_size: whole(body, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?,
            page_number: whole(body, "pageNumber", 1, u64::MAX)?,
        })
    }

    /// Whether the interval covers an event, compared at whole seconds with the end second
    /// included: a client that asks up to "now" in whole seconds still sees the change it
    /// made a moment ago.
    fn covers(&self, event_date: OffsetDateTime) -> bool {
        let second = event_date.replace_nanosecond(0).unwrap_or(event_date);
        self.interval.start <= second && second <= self.interval.end
    }

    fn matches(&self, record: &AuditRecord) -> bool {
        let value_of = |property: &str| -> Option<String> {
            match property {
                "UserId" => record.actor.user.as_ref().map(|(id, _)| id.clone()),
                "ClientId" => Some(record.actor.client_id.clone()),
                "Action" => Some(record.action.name().to_owned()),
                "EntityType" => Some(record.entity_type.name().to_owned()),
                "EntityId" => Some(record.entity_id.clone()),
                _ => None,
            }
        };
        let filtered_properties = PROPERTIES
            .iter()
            .filter(|property| self.filters.iter().any(|(name, _)| name == *property));
        let filters_match = filtered_properties.into_iter().all(|property| {
            let actual = value_of(property);
            self.filters
                .iter()
                .filter(|(name, _)| name == property)
                .any(|(_, wanted)| actual.as_deref() == Some(wanted.as_str()))
        });

        filters_match
            && self.covers(record.event_date)
            && self
                .service_name
                .as_deref()
                .is_none_or(|name| name == SERVICE_NAME)
    }
}

fn filters(value: Option<&Value>) -> Result<Vec<(String, String)>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::invalid_value(
                "filters",
                "filters must be a list.",
            ));
        }
    };
    items
        .iter()
        .map(|item| {
            let property = item.get("property").and_then(Value::as_str);
            let value = item.get("value").and_then(Value::as_str);
            match (property, value) {
                (Some(property), Some(value)) if PROPERTIES.contains(&property) => {
                    Ok((property.to_owned(), value.to_owned()))
                }
                _ => Err(ApiError::invalid_value(
                    "filters",
                    format!(
                        "Each filter needs a property (one of {}) and a value.",
                        PROPERTIES.join(", ")
                    ),
                )),
            }
        })
        .collect()
}

/// Reads `sort: [{name: "Timestamp", sortOrder}]`; newest first unless `ascending`.
fn ascending(value: Option<&Value>) -> Result<bool, ApiError> {
    let Some(first) = value
        .and_then(Value::as_array)
        .and_then(|sorts| sorts.first())
    else {
        return Ok(false);
    };
    if first
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|name| name != "Timestamp")
    {
        return Err(ApiError::invalid_value(
            "sort.name",
            "Audits can only be sorted by Timestamp.",
        ));
    }
    match first.get("sortOrder").and_then(Value::as_str) {
        None | Some("descending") => Ok(false),
        Some("ascending") => Ok(true),
        Some(other) => Err(ApiError::invalid_value(
            "sort.sortOrder",
            format!("The sort order '{other}' is not valid; use ascending or descending."),
        )),
    }
}

fn whole(body: &Map<String, Value>, field: &str, default: u64, max: u64) -> Result<u64, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_value(
                    field,
                    format!("{field} must be a whole number from 1 to {max}."),
                )
            }),
    }
}

/// `POST /api/v2/audits/query/realtime`
pub async fn query_realtime(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(VIEW_AUDITS)?;
    let expand_user = QueryParams::parse(raw.as_deref())
        .list("expand")
        .iter()
        .any(|value| value == "user");
    let query = Query::parse(&json_object(&body)?)?;

    let org = state.org();
    let mut found: Vec<&AuditRecord> = org
        .audit
        .records()
        .iter()
        .filter(|record| query.matches(record))
        .collect();
    if !query.ascending {
        found.reverse();
    }

    let total = found.len() as u64;
    let start = (query.page_number - 1).saturating_mul(query.page_size);
    let entities: Vec<Value> = found
        .iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(query.page_size as usize)
        .map(|record| record.render(expand_user))
        .collect();
    Ok(Json(json!({
        "entities": entities,
        "pageSize": query.page_size,
        "pageNumber": query.page_number,
        "total": total,
        "pageCount": total.div_ceil(query.page_size),
    })))
}
