//! The caller's own records: `users/me` (with its permissions) and `tokens/me`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::api::{Caller, QueryParams};
use crate::error::ApiError;
use crate::seed::{ORG_ID, ORG_NAME};
use crate::state::AppState;

fn organization() -> Value {
    json!({ "id": ORG_ID, "name": ORG_NAME, "selfUri": format!("/api/v2/organizations/{ORG_ID}") })
}

/// `GET /api/v2/users/me` with `expand=authorization,organization`. Client-credentials
/// tokens have no user, so they get a 400 here.
pub async fn get_me(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    let principal = &caller.principal;
    if principal.is_client {
        return Err(ApiError::bad_request(
            "This request requires a user context. Client credentials cannot be used for requests to this resource.",
        ));
    }
    let expand = QueryParams::parse(query.as_deref()).list("expand");

    let mut user = Map::new();
    user.insert("id".into(), json!(principal.id));
    user.insert("name".into(), json!(principal.name));
    user.insert("email".into(), json!(principal.email));
    user.insert("username".into(), json!(principal.email));
    user.insert("state".into(), json!("active"));
    user.insert("version".into(), json!(1));
    if expand.iter().any(|value| value == "authorization") {
        let roles: Vec<Value> = principal
            .roles
            .iter()
            .map(|role| json!({ "id": format!("role-{}", role.to_lowercase().replace(' ', "-")), "name": role }))
            .collect();
        user.insert(
            "authorization".into(),
            json!({
                "roles": roles,
                "unusedRoles": [],
                "permissions": principal.permissions,
                "permissionPolicies": principal.permission_policies,
            }),
        );
    }
    if expand.iter().any(|value| value == "organization") {
        user.insert("organization".into(), organization());
    }
    user.insert(
        "selfUri".into(),
        json!(format!("/api/v2/users/{}", principal.id)),
    );
    Ok(Json(Value::Object(user)))
}

/// `GET /api/v2/tokens/me`: what the token is (organisation and OAuth client).
pub async fn get_token(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let org = state.org();
    let client_id = org
        .tokens
        .get(&caller.token)
        .map(|record| record.client_id.clone())
        .unwrap_or_default();
    Ok(Json(json!({
        "organization": { "id": ORG_ID, "name": ORG_NAME },
        "homeOrganization": { "id": ORG_ID, "name": ORG_NAME },
        "authorizedScope": [],
        "OAuthClient": {
            "id": client_id,
            "name": format!("Client {client_id}"),
            "organization": { "id": ORG_ID },
        },
    })))
}

/// `DELETE /api/v2/tokens/me`: revokes the token; later calls with it get 401.
pub async fn delete_token(State(state): State<AppState>, caller: Caller) -> StatusCode {
    if let Some(record) = state.org().tokens.get_mut(&caller.token) {
        record.revoked = true;
    }
    StatusCode::NO_CONTENT
}
