//! The HTTP surface: the route table, access control, security headers, and the handlers.

mod access;
mod api_tokens;
mod attribution;
mod audit;
mod billing;
mod cookie;
mod demo_label;
mod error;
mod exports;
mod extract;
mod headers;
mod health;
mod pages;
mod prices;
mod providers;
mod reconciliation;
pub mod routes;
mod sessions;
mod telemetry_keys;
mod ui;
mod usage;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::middleware::from_fn_with_state;

use crate::accounts::SessionPolicy;
use crate::auth::LoginLimiter;
use crate::storage::Storage;

pub(crate) use cookie::CookieSettings;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub storage: Arc<dyn Storage>,
    pub integrations: Arc<crate::integrations::Integrations>,
    /// The price catalogue estimated amounts are priced from.
    pub catalogue: Arc<reconciler::Catalogue>,
    /// Attribution readings kept while the usage they read is unchanged.
    pub attribution: Arc<crate::spend::AttributionCache>,
    pub limiter: Arc<LoginLimiter>,
    pub sessions: SessionPolicy,
    pub cookie: CookieSettings,
    /// Where exporters reach the OTLP receiver (for the setup shown with a new telemetry key).
    pub otlp: web::telemetry_keys::OtlpEndpoints,
    /// Browsers reach reckon over HTTPS (its own TLS, or an https public URL): send HSTS.
    pub hsts: bool,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::config::TrustedProxies,
}

pub(crate) fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (spec, handler) in routes::routes() {
        let access = spec.access;
        let guarded = handler.route_layer(from_fn_with_state(
            state.clone(),
            move |state: State<AppState>, request, next| {
                access::enforce(state, access, request, next)
            },
        ));
        router = router.route(spec.path, guarded);
    }
    router
        .fallback(error::not_found)
        .layer(from_fn_with_state(state.clone(), headers::security_headers))
        .with_state(state)
}
