//! Settings → Users in the web UI (owners): the organisation's users, adding one, changing a
//! role and disabling a user, through the same account functions as the API.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use web::Notice;
use web::users::UserRow;

use super::data::{utc, viewer};
use super::{error_notice, outcome, status_of};
use crate::Error;
use crate::accounts::{self, parse_role};
use crate::auth::Actor;
use crate::http::AppState;
use crate::http::access::ClientAddr;
use crate::http::extract::{Form, Path};
use crate::http::users::acting;
use crate::storage::User;

fn row(user: &User, actor: &Actor) -> UserRow {
    UserRow {
        id: user.id,
        email: user.email.clone(),
        role: user.role.as_str().to_owned(),
        created: utc(user.created_at_ms),
        disabled: user.disabled_at_ms.map(utc),
        is_viewer: user.id == actor.user_id,
    }
}

async fn page(
    state: &AppState,
    actor: &Actor,
    created: Option<(String, String)>,
    notice: Option<Notice>,
) -> Result<String, Error> {
    let viewer = viewer(state, actor).await?;
    let users = state.storage.users(actor.org_id).await?;
    let rows = users.iter().map(|user| row(user, actor)).collect();
    Ok(web::users::page(viewer, rows, created, notice))
}

/// `GET /settings/users`.
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Html<String>, Error> {
    Ok(Html(page(&state, &actor, None, None).await?))
}

#[derive(Deserialize, Debug)]
pub(crate) struct NewUser {
    email: String,
    role: String,
    /// Empty: a password is generated and shown once.
    #[serde(default)]
    password: String,
}

/// `POST /settings/users`: the page with the user added (and a generated password, once).
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Form(form): Form<NewUser>,
) -> Result<Response, Error> {
    let created = match parse_role(&form.role) {
        Ok(role) => {
            let password = Some(form.password).filter(|p| !p.is_empty());
            accounts::create_user(
                state.storage.as_ref(),
                actor.org_id,
                &form.email,
                role,
                password,
                &acting(&actor, client),
            )
            .await
        }
        Err(error) => Err(error),
    };
    let response = match created {
        Ok((user, generated)) => {
            let (created, notice) = match generated {
                Some(password) => (Some((user.email, password)), None),
                None => (
                    None,
                    Some(Notice::Success(format!(
                        "Added {} with the password you chose.",
                        user.email
                    ))),
                ),
            };
            let html = page(&state, &actor, created, notice).await?;
            (StatusCode::CREATED, Html(html)).into_response()
        }
        Err(error) => {
            let html = page(&state, &actor, None, Some(error_notice(&error))).await?;
            (status_of(&error), Html(html)).into_response()
        }
    };
    Ok(response)
}

#[derive(Deserialize, Debug)]
pub(crate) struct RoleChange {
    role: String,
}

/// `POST /settings/users/{id}/role`.
pub(crate) async fn set_role(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
    Form(form): Form<RoleChange>,
) -> Result<Response, Error> {
    let changed = match parse_role(&form.role) {
        Ok(role) => {
            accounts::set_role(
                state.storage.as_ref(),
                actor.org_id,
                id,
                role,
                &acting(&actor, client),
            )
            .await
        }
        Err(error) => Err(error),
    };
    let (status, notice) = outcome(changed, |user| {
        format!("{} is now {}.", user.email, user.role.as_str())
    });
    let html = page(&state, &actor, None, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}

/// `GET /settings/users/{id}/disable`: the confirmation.
pub(crate) async fn confirm_disable(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Html<String>, Error> {
    let user = state
        .storage
        .user(actor.org_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user {id} in this organisation")))?;
    let viewer = viewer(&state, &actor).await?;
    Ok(Html(web::users::disable_page(viewer, row(&user, &actor))))
}

/// `POST /settings/users/{id}/disable`.
pub(crate) async fn disable(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let disabled = accounts::disable_user(
        state.storage.as_ref(),
        actor.org_id,
        id,
        &acting(&actor, client),
    )
    .await;
    let (status, notice) = outcome(disabled, |user| {
        format!(
            "Disabled {}: signed out everywhere, their API tokens refused.",
            user.email
        )
    });
    let html = page(&state, &actor, None, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}
