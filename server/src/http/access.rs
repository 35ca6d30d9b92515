//! The one place requests are authenticated and authorised: API token or session cookie →
//! [`Actor`], the CSRF check for browser requests, then the route's [`Access`].
//!
//! CSRF protection is a strict same-origin check, not a token: a state-changing request
//! authenticated by cookie (or signing in) must carry `Sec-Fetch-Site: same-origin` (or `none`,
//! typed by the user), or, from browsers that do not send it, an `Origin` whose host is the
//! request's `Host`. Requests with neither header are refused; scripts use API tokens, which
//! browsers never attach on their own and so need no CSRF check.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::routes::Access;
use crate::Error;
use crate::accounts::{authenticate_session, authenticate_token};
use crate::auth::{Actor, Credential, Permission};

/// The peer address of the request (reckon does not trust forwarding headers).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    pub fn text(self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

/// The session cookie's value in the request, if any.
#[derive(Clone, Debug)]
pub(crate) struct SessionCookie(pub Option<String>);

pub(crate) async fn enforce(
    state: State<AppState>,
    access: Access,
    mut request: Request,
    next: Next,
) -> Response {
    // A browser asking for a page without a session is sent to sign in; the API answers 401.
    let page = request.method() == Method::GET && !request.uri().path().starts_with("/api/");
    match authorize(&state, access, &mut request).await {
        Ok(()) => next.run(request).await,
        Err(Error::Unauthenticated(_)) if page => {
            axum::response::Redirect::to("/login").into_response()
        }
        Err(error) => error.into_response(),
    }
}

async fn authorize(state: &AppState, access: Access, request: &mut Request) -> Result<(), Error> {
    let headers = request.headers();
    // Behind a trusted reverse proxy the client is who X-Forwarded-For says; else the peer.
    let forwarded_for: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| state.trusted_proxies.client(info.0.ip(), &forwarded_for));
    let bearer = bearer_token(headers);
    let cookie = cookie_value(headers, state.cookie.name());
    let actor = match (&bearer, &cookie) {
        (Some(token), _) => authenticate_token(state.storage.as_ref(), token).await?,
        (None, Some(session)) => {
            authenticate_session(state.storage.as_ref(), state.sessions, session).await?
        }
        (None, None) => None,
    };
    match (access, &actor) {
        (Access::Public, _) => {}
        (_, None) if bearer.is_some() => {
            return Err(Error::Unauthenticated(
                "the API token is unknown or revoked".into(),
            ));
        }
        (_, None) => {
            return Err(Error::Unauthenticated(
                "sign in, or send an API token as `Authorization: Bearer …`".into(),
            ));
        }
        (Access::SignedIn, Some(_)) => {}
        (Access::Permission(permission), Some(actor)) if !actor.can(permission) => {
            return Err(Error::Forbidden(format!(
                "your role ({}) may not {}",
                actor.role,
                describe(permission)
            )));
        }
        (Access::Permission(_), Some(_)) => {}
    }
    // Checked once the request is known to be a browser's: signed in by cookie, or a public
    // form (signing in from another site would plant the attacker's session).
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let by_cookie = match &actor {
        Some(actor) => actor.credential == Credential::Session,
        None => bearer.is_none(),
    };
    if unsafe_method && by_cookie {
        // HTTP/2 (what browsers speak over TLS) carries the host as `:authority`, not `Host`.
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .map(str::to_owned);
        check_same_origin(request.headers(), host.as_deref())?;
    }
    let extensions = request.extensions_mut();
    extensions.insert(ClientAddr(client));
    extensions.insert(SessionCookie(cookie));
    if let Some(actor) = actor {
        extensions.insert(actor);
    }
    Ok(())
}

fn describe(permission: Permission) -> &'static str {
    match permission {
        Permission::UsersManage => "manage users",
        Permission::ApiTokensManage => "create or revoke API tokens",
        Permission::AuditRead => "read the audit log",
        Permission::SettingsIntegrationsUpdate => "change usage providers",
        Permission::TelemetryKeysManage => "manage telemetry keys",
        Permission::SpendRead => "read spend",
        Permission::SpendWriteOff => "write off variance",
        Permission::SpendExport => "export spend",
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The value of cookie `name` in the `Cookie` headers.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

fn check_same_origin(headers: &HeaderMap, host: Option<&str>) -> Result<(), Error> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            other => Err(Error::CsrfRejected(format!(
                "the browser says it came from another site (Sec-Fetch-Site: {other})"
            ))),
        };
    }
    let Some(origin) = text("origin") else {
        return Err(Error::CsrfRejected(
            "it carries no Origin header; browsers send one, and scripts should use an API token"
                .into(),
        ));
    };
    let origin_host = origin.split_once("://").map(|(_, host)| host);
    match (origin_host, host) {
        (Some(origin_host), Some(host)) if origin_host.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(Error::CsrfRejected(format!(
            "it came from {origin}, not from reckon's own pages"
        ))),
    }
}

/// The signed-in actor, in handlers of routes that require one.
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Actor, Error> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("sign in first".into()))
    }
}
