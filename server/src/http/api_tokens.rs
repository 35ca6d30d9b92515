//! `/api/v1/api-tokens`: one's own tokens (owners see and revoke everyone's in their organisation).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::access::ClientAddr;
use super::extract::{Json, Path};
use super::users::acting;
use crate::Error;
use crate::accounts;
use crate::auth::{Actor, Permission};

/// Whose tokens the actor may see and revoke: everyone's for owners, else their own.
fn scope(actor: &Actor) -> Option<i64> {
    (!actor.can(Permission::UsersManage)).then_some(actor.user_id)
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let tokens = state
        .storage
        .api_tokens(actor.org_id, scope(&actor))
        .await?;
    Ok(axum::Json(json!({ "api_tokens": tokens })))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    name: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Json(body): Json<NewToken>,
) -> Result<impl IntoResponse, Error> {
    let user = state
        .storage
        .user(actor.org_id, actor.user_id)
        .await?
        .ok_or_else(|| Error::Unauthenticated("your account no longer exists".into()))?;
    let (api_token, secret) = accounts::create_api_token(
        state.storage.as_ref(),
        &user,
        &body.name,
        &acting(&actor, client),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "token": secret, "api_token": api_token })),
    ))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let api_token = accounts::revoke_api_token(
        state.storage.as_ref(),
        actor.org_id,
        id,
        scope(&actor),
        &acting(&actor, client),
    )
    .await?;
    Ok(axum::Json(json!({ "api_token": api_token })))
}
