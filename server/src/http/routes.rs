//! Every route the HTTP server has, with the access it needs. The router is built from this
//! table, so no route exists without an access decision, and the role matrix test reads it.

use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use super::{
    AppState, api_tokens, attribution, audit, billing, exports, health, prices, providers,
    reconciliation, sessions, telemetry_keys, ui, usage, users,
};
use crate::auth::Permission;

/// Who may call a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// Anyone, signed in or not (probes, sign-in, setup).
    Public,
    /// Any signed-in user or API token, whatever the role.
    SignedIn,
    /// A signed-in user whose role has the permission.
    Permission(Permission),
}

/// One route: method, path (axum syntax) and access.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Every route, in one table.
pub fn route_specs() -> Vec<RouteSpec> {
    routes().into_iter().map(|(spec, _)| spec).collect()
}

pub(super) fn routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Access::{Public, SignedIn};
    use Permission::{
        ApiTokensManage, AuditRead, SettingsIntegrationsUpdate, SpendExport, SpendRead,
        SpendWriteOff, TelemetryKeysManage, UsersManage,
    };
    let allowed = Access::Permission;
    let route =
        |method: Method, path: &'static str, access: Access, handler: MethodRouter<AppState>| {
            (
                RouteSpec {
                    method,
                    path,
                    access,
                },
                handler,
            )
        };
    vec![
        route(Method::GET, "/healthz", Public, get(health::healthz)),
        route(Method::GET, "/readyz", Public, get(health::readyz)),
        route(Method::GET, "/", Public, get(sessions::home)),
        route(Method::GET, "/login", Public, get(sessions::login_page)),
        route(Method::POST, "/login", Public, post(sessions::login)),
        route(Method::POST, "/logout", Public, post(sessions::logout)),
        route(
            Method::GET,
            "/assets/reckon.css",
            Public,
            get(ui::stylesheet),
        ),
        route(Method::GET, "/assets/reckon.js", Public, get(ui::script)),
        route(
            Method::GET,
            "/spend/reconciliation",
            allowed(SpendRead),
            get(ui::reconciliation),
        ),
        route(
            Method::GET,
            "/ai/providers",
            SignedIn,
            get(ui::inventory::page),
        ),
        route(
            Method::GET,
            "/spend/attribution",
            allowed(SpendRead),
            get(ui::attribution::page),
        ),
        route(
            Method::POST,
            "/spend/reconciliation/write-off",
            allowed(SpendWriteOff),
            post(ui::write_off),
        ),
        route(
            Method::GET,
            "/settings/ai/telemetry-keys",
            allowed(TelemetryKeysManage),
            get(ui::keys::list),
        ),
        route(
            Method::POST,
            "/settings/ai/telemetry-keys",
            allowed(TelemetryKeysManage),
            post(ui::keys::create),
        ),
        route(
            Method::GET,
            "/settings/ai/telemetry-keys/{id}/revoke",
            allowed(TelemetryKeysManage),
            get(ui::keys::confirm_revoke),
        ),
        route(
            Method::POST,
            "/settings/ai/telemetry-keys/{id}/revoke",
            allowed(TelemetryKeysManage),
            post(ui::keys::revoke),
        ),
        route(
            Method::GET,
            "/settings/ai/usage-providers",
            SignedIn,
            get(ui::providers),
        ),
        route(
            Method::POST,
            "/settings/ai/usage-providers",
            allowed(SettingsIntegrationsUpdate),
            post(ui::add_provider),
        ),
        route(
            Method::POST,
            "/settings/ai/usage-providers/{id}/test",
            allowed(SettingsIntegrationsUpdate),
            post(ui::test_provider),
        ),
        route(
            Method::POST,
            "/settings/ai/usage-providers/{id}/sync",
            allowed(SettingsIntegrationsUpdate),
            post(ui::sync_provider),
        ),
        route(
            Method::GET,
            "/settings/ai/usage-providers/{id}/remove",
            allowed(SettingsIntegrationsUpdate),
            get(ui::confirm_remove),
        ),
        route(
            Method::POST,
            "/settings/ai/usage-providers/{id}/remove",
            allowed(SettingsIntegrationsUpdate),
            post(ui::remove_provider),
        ),
        route(
            Method::GET,
            "/settings/users",
            allowed(UsersManage),
            get(ui::users::list),
        ),
        route(
            Method::POST,
            "/settings/users",
            allowed(UsersManage),
            post(ui::users::create),
        ),
        route(
            Method::POST,
            "/settings/users/{id}/role",
            allowed(UsersManage),
            post(ui::users::set_role),
        ),
        route(
            Method::GET,
            "/settings/users/{id}/disable",
            allowed(UsersManage),
            get(ui::users::confirm_disable),
        ),
        route(
            Method::POST,
            "/settings/users/{id}/disable",
            allowed(UsersManage),
            post(ui::users::disable),
        ),
        route(
            Method::GET,
            "/settings/audit-log",
            allowed(AuditRead),
            get(ui::audit::page),
        ),
        route(
            Method::GET,
            "/spend/reconciliation/people",
            allowed(SpendRead),
            get(ui::people::page),
        ),
        route(Method::GET, "/setup", Public, get(sessions::setup_page)),
        route(Method::POST, "/setup", Public, post(sessions::setup)),
        route(Method::GET, "/api/v1/me", SignedIn, get(users::me)),
        route(
            Method::GET,
            "/api/v1/users",
            allowed(UsersManage),
            get(users::list),
        ),
        route(
            Method::POST,
            "/api/v1/users",
            allowed(UsersManage),
            post(users::create),
        ),
        route(
            Method::PATCH,
            "/api/v1/users/{id}",
            allowed(UsersManage),
            patch(users::update),
        ),
        route(
            Method::DELETE,
            "/api/v1/users/{id}",
            allowed(UsersManage),
            delete(users::disable),
        ),
        route(
            Method::GET,
            "/api/v1/api-tokens",
            SignedIn,
            get(api_tokens::list),
        ),
        route(
            Method::POST,
            "/api/v1/api-tokens",
            allowed(ApiTokensManage),
            post(api_tokens::create),
        ),
        route(
            Method::DELETE,
            "/api/v1/api-tokens/{id}",
            allowed(ApiTokensManage),
            delete(api_tokens::revoke),
        ),
        route(
            Method::GET,
            "/api/v1/audit",
            allowed(AuditRead),
            get(audit::list),
        ),
        route(
            Method::GET,
            "/api/v1/providers",
            SignedIn,
            get(providers::list),
        ),
        route(
            Method::POST,
            "/api/v1/providers",
            allowed(SettingsIntegrationsUpdate),
            post(providers::create),
        ),
        route(
            Method::GET,
            "/api/v1/providers/{id}",
            SignedIn,
            get(providers::get),
        ),
        route(
            Method::DELETE,
            "/api/v1/providers/{id}",
            allowed(SettingsIntegrationsUpdate),
            delete(providers::remove),
        ),
        route(
            Method::POST,
            "/api/v1/providers/{id}/test",
            allowed(SettingsIntegrationsUpdate),
            post(providers::test),
        ),
        route(
            Method::POST,
            "/api/v1/providers/{id}/sync",
            allowed(SettingsIntegrationsUpdate),
            post(providers::sync),
        ),
        route(
            Method::GET,
            "/api/v1/providers/{id}/runs",
            SignedIn,
            get(providers::runs),
        ),
        route(
            Method::GET,
            "/api/v1/reconciliation",
            allowed(SpendRead),
            get(reconciliation::list),
        ),
        route(
            Method::GET,
            "/api/v1/reconciliation/people",
            allowed(SpendRead),
            get(reconciliation::people),
        ),
        route(
            Method::POST,
            "/api/v1/reconciliation/write-offs",
            allowed(SpendWriteOff),
            post(reconciliation::write_off),
        ),
        route(
            Method::GET,
            "/api/v1/reconciliation/tolerance",
            allowed(SpendRead),
            get(prices::tolerance),
        ),
        route(
            Method::PUT,
            "/api/v1/reconciliation/tolerance",
            allowed(SpendWriteOff),
            put(prices::set_tolerance),
        ),
        route(
            Method::GET,
            "/api/v1/prices",
            allowed(SpendRead),
            get(prices::list),
        ),
        route(
            Method::POST,
            "/api/v1/prices",
            allowed(SettingsIntegrationsUpdate),
            post(prices::set),
        ),
        route(
            Method::GET,
            "/api/v1/reconciliation.csv",
            allowed(SpendExport),
            get(exports::reconciliation_csv),
        ),
        route(
            Method::GET,
            "/api/v1/reconciliation/focus.csv",
            allowed(SpendExport),
            get(exports::focus_csv),
        ),
        route(
            Method::GET,
            "/api/v1/attribution",
            allowed(SpendRead),
            get(attribution::list),
        ),
        route(
            Method::GET,
            "/api/v1/billing",
            allowed(SpendRead),
            get(billing::list),
        ),
        route(
            Method::GET,
            "/api/v1/telemetry-keys",
            allowed(TelemetryKeysManage),
            get(telemetry_keys::list),
        ),
        route(
            Method::POST,
            "/api/v1/telemetry-keys",
            allowed(TelemetryKeysManage),
            post(telemetry_keys::create),
        ),
        route(
            Method::DELETE,
            "/api/v1/telemetry-keys/{id}",
            allowed(TelemetryKeysManage),
            delete(telemetry_keys::revoke),
        ),
        route(
            Method::GET,
            "/api/v1/usage",
            allowed(SpendRead),
            get(usage::list),
        ),
    ]
}
