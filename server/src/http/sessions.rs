//! Signing in and out, and the first-owner setup, for browsers (forms, redirects, pages) and for
//! API clients (JSON bodies and answers), chosen by the request's `Content-Type`.

use axum::Extension;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::access::{ClientAddr, SessionCookie};
use super::error::status_of;
use super::extract::{Form, Json, Query};
use super::{AppState, pages};
use crate::Error;
use crate::accounts::{complete_setup, sign_in, sign_out};
use crate::auth::{Actor, secret};

#[derive(Deserialize, Debug)]
pub(crate) struct SignIn {
    email: String,
    password: String,
}

#[derive(Deserialize, Debug)]
pub(crate) struct Setup {
    token: String,
    email: String,
    password: String,
}

#[derive(Deserialize, Debug)]
pub(crate) struct SetupLink {
    #[serde(default)]
    token: String,
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The body as JSON or as a form, by content type.
async fn body<T: serde::de::DeserializeOwned + 'static>(request: Request) -> Result<T, Error> {
    if is_json(request.headers()) {
        Json::<T>::from_request(request, &()).await.map(|Json(v)| v)
    } else {
        Form::<T>::from_request(request, &()).await.map(|Form(v)| v)
    }
}

pub(crate) async fn login_page() -> Response {
    pages::login(StatusCode::OK, "", None)
}

pub(crate) async fn login(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddr>,
    Extension(SessionCookie(previous)): Extension<SessionCookie>,
    request: Request,
) -> Response {
    let json = is_json(request.headers());
    let form: SignIn = match body(request).await {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    // A new session id at every sign-in: whatever session the browser had ends here.
    if let Some(previous) = previous {
        let _ = state
            .storage
            .delete_session(&secret::hash(&previous), None)
            .await;
    }
    let signed_in = sign_in(
        state.storage.as_ref(),
        &state.limiter,
        state.sessions,
        &form.email,
        &form.password,
        client.0,
    )
    .await;
    match (signed_in, json) {
        (Ok((session_id, user)), true) => {
            let set = [(header::SET_COOKIE, state.cookie.set(&session_id))];
            (set, axum::Json(serde_json::json!({ "user": user }))).into_response()
        }
        (Ok((session_id, _)), false) => {
            let set = [(header::SET_COOKIE, state.cookie.set(&session_id))];
            (set, Redirect::to("/")).into_response()
        }
        (Err(error), true) => error.into_response(),
        (Err(error), false) => {
            let status = status_of(&error);
            pages::login(status, &form.email, Some(&error.to_string()))
        }
    }
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddr>,
    Extension(SessionCookie(session)): Extension<SessionCookie>,
    actor: Option<Extension<Actor>>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    if let (Some(session), Some(Extension(actor))) = (session, actor) {
        sign_out(state.storage.as_ref(), &session, &actor, client.text()).await?;
    }
    let clear = [(header::SET_COOKIE, state.cookie.clear())];
    Ok(if is_json(&headers) {
        (clear, StatusCode::NO_CONTENT).into_response()
    } else {
        (clear, Redirect::to("/login")).into_response()
    })
}

pub(crate) async fn setup_page(Query(link): Query<SetupLink>) -> Response {
    pages::setup(StatusCode::OK, &link.token, "", None)
}

pub(crate) async fn setup(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddr>,
    request: Request,
) -> Response {
    let json = is_json(request.headers());
    let form: Setup = match body(request).await {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    let created = complete_setup(
        state.storage.as_ref(),
        &form.token,
        &form.email,
        &form.password,
        client.text(),
    )
    .await;
    let signed_in = match created {
        Ok(_) => {
            sign_in(
                state.storage.as_ref(),
                &state.limiter,
                state.sessions,
                &form.email,
                &form.password,
                client.0,
            )
            .await
        }
        Err(error) => Err(error),
    };
    match (signed_in, json) {
        (Ok((session_id, user)), true) => {
            let set = [(header::SET_COOKIE, state.cookie.set(&session_id))];
            (
                StatusCode::CREATED,
                set,
                axum::Json(serde_json::json!({ "user": user })),
            )
                .into_response()
        }
        (Ok((session_id, _)), false) => {
            let set = [(header::SET_COOKIE, state.cookie.set(&session_id))];
            (set, Redirect::to("/")).into_response()
        }
        (Err(error), true) => error.into_response(),
        (Err(error), false) => {
            let status = status_of(&error);
            pages::setup(status, &form.token, &form.email, Some(&error.to_string()))
        }
    }
}

/// The landing page: who is signed in, or the way to sign in.
pub(crate) async fn home(
    State(state): State<AppState>,
    actor: Option<Extension<Actor>>,
) -> Result<Response, Error> {
    let Some(Extension(actor)) = actor else {
        return Ok(Redirect::to("/login").into_response());
    };
    let organization = state
        .storage
        .organization(actor.org_id)
        .await?
        .map_or_else(String::new, |org| org.name);
    Ok(pages::home(
        &actor.email,
        actor.role.as_str(),
        &organization,
    ))
}
