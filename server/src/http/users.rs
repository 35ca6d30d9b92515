//! `/api/v1/me` and `/api/v1/users`: who I am, and the organisation's users (owners only).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::access::ClientAddr;
use super::extract::{Json, Path};
use crate::Error;
use crate::accounts::{self, Acting, parse_role};
use crate::auth::Actor;

/// Who is acting, for the audit log.
pub(crate) fn acting(actor: &Actor, client: ClientAddr) -> Acting {
    Acting {
        user_id: Some(actor.user_id),
        label: actor.email.clone(),
        client_addr: client.text(),
    }
}

pub(crate) async fn me(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let user = state.storage.user(actor.org_id, actor.user_id).await?;
    let organization = state.storage.organization(actor.org_id).await?;
    Ok(axum::Json(
        json!({ "user": user, "organization": organization }),
    ))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let users = state.storage.users(actor.org_id).await?;
    Ok(axum::Json(json!({ "users": users })))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    email: String,
    role: String,
    /// Omitted: a password is generated and returned once.
    password: Option<String>,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Json(body): Json<NewUserBody>,
) -> Result<impl IntoResponse, Error> {
    let role = parse_role(&body.role)?;
    let (user, generated) = accounts::create_user(
        state.storage.as_ref(),
        actor.org_id,
        &body.email,
        role,
        body.password,
        &acting(&actor, client),
    )
    .await?;
    let mut answer = json!({ "user": user });
    if let Some(password) = generated {
        answer["password"] = Value::String(password);
    }
    Ok((StatusCode::CREATED, axum::Json(answer)))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserChange {
    role: String,
}

pub(crate) async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
    Json(change): Json<UserChange>,
) -> Result<axum::Json<Value>, Error> {
    let role = parse_role(&change.role)?;
    let user = accounts::set_role(
        state.storage.as_ref(),
        actor.org_id,
        id,
        role,
        &acting(&actor, client),
    )
    .await?;
    Ok(axum::Json(json!({ "user": user })))
}

pub(crate) async fn disable(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let user = accounts::disable_user(
        state.storage.as_ref(),
        actor.org_id,
        id,
        &acting(&actor, client),
    )
    .await?;
    Ok(axum::Json(json!({ "user": user })))
}
