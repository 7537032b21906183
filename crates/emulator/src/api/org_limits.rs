//! `GET /api/v2/organizations/limits/namespaces` and `…/namespaces/{namespace}`: the
//! organisation's limits, which need no permission beyond a valid token.
//!
//! Only the `integrations` namespace holds limits; the others are listed with none.

use axum::Json;
use axum::extract::{Path, RawQuery};
use serde_json::{Value, json};

use crate::api::{Caller, QueryParams};
use crate::error::ApiError;

/// The data-action limits of the `integrations` namespace, `(key, value)`.
pub const INTEGRATIONS_LIMITS: [(&str, u64); 6] = [
    ("actions.concurrent.executions.max", 50),
    ("requests.volume.max", 2_500),
    ("actions.integration.max", 500),
    ("actions.total.max", 2_000),
    ("actions.function.concurrent.executions.max", 25),
    ("actions.function.response.bytes.max", 750_000),
];

/// The namespaces listed, in order.
pub const NAMESPACES: [&str; 4] = ["analytics", "architect", "audit", "integrations"];

/// `GET /api/v2/organizations/limits/namespaces` (`pageSize` 1 to 100, default 100).
pub async fn list_namespaces(
    _caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    let page_size = query.number("pageSize", 100, 1..=100)?;
    let page_number = query.number("pageNumber", 1, 1..=usize::MAX)?;

    let entities: Vec<Value> = NAMESPACES
        .iter()
        .skip((page_number - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|name| json!({ "name": name }))
        .collect();
    Ok(Json(json!({
        "entities": entities,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": NAMESPACES.len(),
        "pageCount": NAMESPACES.len().div_ceil(page_size),
    })))
}

/// `GET /api/v2/organizations/limits/namespaces/{namespaceName}`: a `LimitsEntityListing`
/// on one page.
pub async fn get_namespace(
    _caller: Caller,
    Path(namespace): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !NAMESPACES.contains(&namespace.as_str()) {
        return Err(ApiError::not_found(format!(
            "The limits namespace {namespace} was not found."
        )));
    }
    let entities: Vec<Value> = if namespace == "integrations" {
        INTEGRATIONS_LIMITS
            .iter()
            .map(|(key, value)| json!({ "key": key, "namespace": namespace, "value": value }))
            .collect()
    } else {
        Vec::new()
    };
    let total = entities.len();
    Ok(Json(json!({
        "entities": entities,
        "pageSize": total.max(1),
        "pageNumber": 1,
        "total": total,
        "pageCount": usize::from(total > 0),
    })))
}
