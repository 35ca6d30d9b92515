//! Every registered route × every role: anonymous → 401, wrong role → 403, right role → success.
//! A route added without a decision here fails `every_route_has_a_decision`.

use std::sync::atomic::{AtomicU32, Ordering};

use reckon_server::auth::Role;
use reckon_server::routes::{Access, RouteSpec, route_specs};
use reckon_server::storage::Storage;
use reckon_tests::{Member, PASSWORD, TestApp, TestDatabase, add_member, backend_tests};
use reqwest::Method;
use serde_json::json;

/// Who may call each route, as the product decided (the role table).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Decision {
    /// Anyone; an anonymous request of the sample gets this status.
    Public(u16),
    SignedIn,
    Roles(&'static [Role]),
}

fn decision(method: &Method, path: &str) -> Option<Decision> {
    use Decision::*;
    use Role::{Admin, Finance, Owner, Viewer};
    Some(match (method.as_str(), path) {
        ("GET", "/healthz" | "/readyz" | "/login" | "/setup") => Public(200),
        ("GET", "/") => Public(303),
        ("GET", "/assets/reckon.css" | "/assets/reckon.js") => Public(200),
        (
            "GET",
            "/spend/reconciliation" | "/spend/attribution" | "/spend/reconciliation/people",
        ) => Roles(&[Owner, Admin, Finance, Viewer]),
        ("POST", "/spend/reconciliation/write-off") => Roles(&[Owner, Finance]),
        ("GET", "/settings/ai/usage-providers" | "/ai/providers") => SignedIn,
        ("GET" | "POST", "/settings/ai/telemetry-keys")
        | ("GET" | "POST", "/settings/ai/telemetry-keys/{id}/revoke") => Roles(&[Owner, Admin]),
        ("POST", "/settings/ai/usage-providers")
        | (
            "POST",
            "/settings/ai/usage-providers/{id}/test"
            | "/settings/ai/usage-providers/{id}/sync"
            | "/settings/ai/usage-providers/{id}/remove",
        )
        | ("GET", "/settings/ai/usage-providers/{id}/remove") => Roles(&[Owner, Admin]),
        ("GET" | "POST", "/settings/users")
        | ("POST", "/settings/users/{id}/role")
        | ("GET" | "POST", "/settings/users/{id}/disable") => Roles(&[Owner]),
        ("GET", "/settings/audit-log") => Roles(&[Owner, Admin]),
        ("POST", "/login") => Public(200),
        ("POST", "/logout") => Public(303),
        ("POST", "/setup") => Public(410),
        ("GET", "/api/v1/me" | "/api/v1/api-tokens") => SignedIn,
        ("GET" | "POST", "/api/v1/users") | ("PATCH" | "DELETE", "/api/v1/users/{id}") => {
            Roles(&[Owner])
        }
        ("POST", "/api/v1/api-tokens") | ("DELETE", "/api/v1/api-tokens/{id}") => {
            Roles(&[Owner, Admin])
        }
        ("GET", "/api/v1/audit") => Roles(&[Owner, Admin]),
        ("GET", "/api/v1/usage") => Roles(&[Owner, Admin, Finance, Viewer]),
        ("GET" | "POST", "/api/v1/telemetry-keys") | ("DELETE", "/api/v1/telemetry-keys/{id}") => {
            Roles(&[Owner, Admin])
        }
        ("GET", "/api/v1/providers" | "/api/v1/providers/{id}" | "/api/v1/providers/{id}/runs") => {
            SignedIn
        }
        (
            "POST",
            "/api/v1/providers" | "/api/v1/providers/{id}/test" | "/api/v1/providers/{id}/sync",
        )
        | ("DELETE", "/api/v1/providers/{id}") => Roles(&[Owner, Admin]),
        (
            "GET",
            "/api/v1/billing"
            | "/api/v1/reconciliation"
            | "/api/v1/reconciliation/people"
            | "/api/v1/attribution",
        ) => Roles(&[Owner, Admin, Finance, Viewer]),
        ("POST", "/api/v1/reconciliation/write-offs")
        | ("PUT", "/api/v1/reconciliation/tolerance") => Roles(&[Owner, Finance]),
        ("GET", "/api/v1/prices" | "/api/v1/reconciliation/tolerance") => {
            Roles(&[Owner, Admin, Finance, Viewer])
        }
        ("POST", "/api/v1/prices") => Roles(&[Owner, Admin]),
        ("GET", "/api/v1/reconciliation.csv" | "/api/v1/reconciliation/focus.csv") => {
            Roles(&[Owner, Finance])
        }
        _ => return None,
    })
}

fn matches_table(access: Access, decision: Decision) -> bool {
    match (access, decision) {
        (Access::Public, Decision::Public(_)) | (Access::SignedIn, Decision::SignedIn) => true,
        (Access::Permission(permission), Decision::Roles(roles)) => Role::ALL
            .iter()
            .all(|role| role.has(permission) == roles.contains(role)),
        _ => false,
    }
}

#[test]
fn every_route_has_a_decision() {
    for spec in route_specs() {
        let Some(decided) = decision(&spec.method, spec.path) else {
            panic!(
                "{} {} has no access decision in this matrix",
                spec.method, spec.path
            );
        };
        assert!(
            matches_table(spec.access, decided),
            "{} {} is {:?} in the router but {decided:?} in the decision table",
            spec.method,
            spec.path,
            spec.access
        );
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}@example.com",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A request that succeeds for a caller allowed to make it; targets are created fresh.
async fn sample(
    app: &TestApp,
    storage: &dyn Storage,
    org: i64,
    spec: &RouteSpec,
    caller: Option<&Member>,
) -> reqwest::RequestBuilder {
    let path = spec.path;
    let request = match (spec.method.as_str(), path) {
        ("POST", "/login") => {
            let member = add_member(storage, org, Role::Viewer, &unique("signin")).await;
            app.browser_request(Method::POST, path)
                .json(&json!({ "email": member.user.email, "password": PASSWORD }))
        }
        ("POST", "/logout") => app.browser_request(Method::POST, path),
        ("POST", "/setup") => app.browser_request(Method::POST, path).form(&[
            ("token", "not-a-token"),
            ("email", "x@example.com"),
            ("password", PASSWORD),
        ]),
        ("POST", "/api/v1/users") => app
            .request(Method::POST, path)
            .json(&json!({ "email": unique("new"), "role": "viewer" })),
        ("PATCH", "/api/v1/users/{id}") => {
            let target = add_member(storage, org, Role::Viewer, &unique("target")).await;
            app.request(Method::PATCH, &format!("/api/v1/users/{}", target.user.id))
                .json(&json!({ "role": "finance" }))
        }
        ("DELETE", "/api/v1/users/{id}") => {
            let target = add_member(storage, org, Role::Viewer, &unique("target")).await;
            app.request(Method::DELETE, &format!("/api/v1/users/{}", target.user.id))
        }
        ("GET", "/spend/reconciliation/people") => app.request(
            Method::GET,
            "/spend/reconciliation/people?month=2026-11&provider=cursor",
        ),
        ("POST", "/settings/users") => app
            .request(Method::POST, path)
            .form(&[("email", unique("new").as_str()), ("role", "viewer")]),
        ("POST", "/settings/users/{id}/role") => {
            let target = add_member(storage, org, Role::Viewer, &unique("target")).await;
            app.request(
                Method::POST,
                &format!("/settings/users/{}/role", target.user.id),
            )
            .form(&[("role", "finance")])
        }
        (method, "/settings/users/{id}/disable") => {
            let target = add_member(storage, org, Role::Viewer, &unique("target")).await;
            app.request(
                method.parse().unwrap(),
                &format!("/settings/users/{}/disable", target.user.id),
            )
            .form(&[("from", "button")])
        }
        ("GET", "/api/v1/usage") => {
            app.request(Method::GET, "/api/v1/usage?from=2026-11-01&to=2026-11-30")
        }
        ("POST", "/api/v1/telemetry-keys") => app
            .request(Method::POST, path)
            .json(&json!({ "name": "laptops" })),
        ("DELETE", "/api/v1/telemetry-keys/{id}") => {
            let (key, _) = reckon_server::accounts::create_telemetry_key(
                storage,
                org,
                "to revoke",
                &reckon_server::accounts::Acting::cli(),
            )
            .await
            .unwrap();
            app.request(
                Method::DELETE,
                &format!("/api/v1/telemetry-keys/{}", key.id),
            )
        }
        ("POST", "/api/v1/api-tokens") => app
            .request(Method::POST, path)
            .json(&json!({ "name": "matrix" })),
        ("DELETE", "/api/v1/api-tokens/{id}") => {
            // The caller's own token, which any role allowed to revoke may revoke.
            let owner = match caller {
                Some(member) => member.user.clone(),
                None => {
                    add_member(storage, org, Role::Viewer, &unique("tok"))
                        .await
                        .user
                }
            };
            let (token, _) = reckon_server::accounts::create_api_token(
                storage,
                &owner,
                "to revoke",
                &reckon_server::accounts::Acting::cli(),
            )
            .await
            .unwrap();
            app.request(Method::DELETE, &format!("/api/v1/api-tokens/{}", token.id))
        }
        ("POST", "/api/v1/providers") => app
            .request(Method::POST, path)
            .json(&json!({ "kind": "gemini", "name": unique("gemini") })),
        (method, path) if path.starts_with("/api/v1/providers/{id}") => {
            let id = configuration_free_provider(app, storage, org).await;
            app.request(
                method.parse().unwrap(),
                &path.replace("{id}", &id.to_string()),
            )
        }
        ("GET", "/api/v1/reconciliation") => app.request(
            Method::GET,
            "/api/v1/reconciliation?from=2026-10&to=2026-11",
        ),
        ("GET", "/api/v1/reconciliation/people") => app.request(
            Method::GET,
            "/api/v1/reconciliation/people?period=2026-11&provider=cursor",
        ),
        ("POST", "/spend/reconciliation/write-off") => {
            let lines = [reckon_tests::bills::cost_line("2026-10-05", "150")];
            reckon_tests::bills::anthropic_integration(storage, org, &lines, false).await;
            app.request(Method::POST, path).form(&[
                ("provider", "anthropic"),
                ("period", "2026-10"),
                ("reason", "seat true-up"),
            ])
        }
        ("POST", "/settings/ai/telemetry-keys") => {
            app.request(Method::POST, path).form(&[("name", "laptops")])
        }
        (method, "/settings/ai/telemetry-keys/{id}/revoke") => {
            let (key, _) = reckon_server::accounts::create_telemetry_key(
                storage,
                org,
                "to revoke",
                &reckon_server::accounts::Acting::cli(),
            )
            .await
            .unwrap();
            app.request(
                method.parse().unwrap(),
                &format!("/settings/ai/telemetry-keys/{}/revoke", key.id),
            )
            .form(&[("from", "button")])
        }
        ("POST", "/settings/ai/usage-providers") => app
            .request(Method::POST, path)
            .form(&[("kind", "gemini"), ("name", unique("gemini").as_str())]),
        (method, path) if path.starts_with("/settings/ai/usage-providers/{id}") => {
            let id = configuration_free_provider(app, storage, org).await;
            // As a browser posts these buttons' forms: form-encoded, with nothing ticked.
            app.request(
                method.parse().unwrap(),
                &path.replace("{id}", &id.to_string()),
            )
            .form(&[("from", "button")])
        }
        ("POST", "/api/v1/reconciliation/write-offs") => {
            // A month with a bill and no telemetry: a variance that can be written off.
            let lines = [reckon_tests::bills::cost_line("2026-10-05", "150")];
            reckon_tests::bills::anthropic_integration(storage, org, &lines, false).await;
            app.request(Method::POST, path).json(&json!({
                "provider": "anthropic", "period": "2026-10", "reason": "seat true-up"
            }))
        }
        ("PUT", "/api/v1/reconciliation/tolerance") => app
            .request(Method::PUT, path)
            .json(&json!({ "absolute_usd": "1.00", "percent": "1" })),
        ("POST", "/api/v1/prices") => app.request(Method::POST, path).json(&json!({
            "provider": "openai", "model": "gpt-5", "effective_from": "2026-06-01",
            "input_per_million_usd": "1.10", "cache_read_per_million_usd": "0.11",
            "output_per_million_usd": "9"
        })),
        ("GET", "/api/v1/reconciliation.csv" | "/api/v1/reconciliation/focus.csv") => {
            app.request(Method::GET, &format!("{path}?from=2026-11&to=2026-11"))
        }
        ("GET", "/api/v1/attribution") => app.request(
            Method::GET,
            "/api/v1/attribution?from=2026-11-01&to=2026-11-30",
        ),
        ("GET", "/api/v1/billing") => {
            app.request(Method::GET, "/api/v1/billing?from=2026-11-01&to=2026-11-30")
        }
        (method, path) => app.request(method.parse().unwrap(), path),
    };
    match caller {
        Some(member) => request.header("authorization", member.bearer()),
        None => request,
    }
}

/// A usage provider that needs no credentials (Gemini), connected by an owner of its own.
async fn configuration_free_provider(app: &TestApp, storage: &dyn Storage, org: i64) -> i64 {
    let owner = add_member(storage, org, Role::Owner, &unique("connects")).await;
    let created = app
        .send(
            app.request(Method::POST, "/api/v1/providers")
                .header("authorization", owner.bearer())
                .json(&json!({ "kind": "gemini", "name": unique("gemini") })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.json::<serde_json::Value>()["provider"]["id"]
        .as_i64()
        .unwrap()
}

backend_tests!(anonymous_wrong_role_and_right_role_get_401_403_and_success);

async fn anonymous_wrong_role_and_right_role_get_401_403_and_success(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let app = TestApp::spawn(&db).await;
    let mut members = Vec::new();
    for role in Role::ALL {
        members.push((
            role,
            add_member(storage.as_ref(), org, role, &unique(role.as_str())).await,
        ));
    }
    for spec in route_specs() {
        let route = format!("{} {}", spec.method, spec.path);
        let decided =
            decision(&spec.method, spec.path).expect("decided (see every_route_has_a_decision)");
        let anonymous = app
            .send(sample(&app, storage.as_ref(), org, &spec, None).await)
            .await;
        match decided {
            Decision::Public(status) => {
                assert_eq!(
                    anonymous.status, status,
                    "{route} anonymous: {}",
                    anonymous.body
                );
                continue;
            }
            // A browser asking for a page is sent to sign in; everything else answers 401.
            _ if spec.method == Method::GET && !spec.path.starts_with("/api/") => {
                assert_eq!(
                    anonymous.status, 303,
                    "{route} anonymous: {}",
                    anonymous.body
                );
                assert_eq!(anonymous.headers["location"], "/login", "{route}");
            }
            _ => {
                assert_eq!(
                    anonymous.status, 401,
                    "{route} anonymous: {}",
                    anonymous.body
                );
                assert_eq!(anonymous.error_code(), "unauthenticated", "{route}");
            }
        }
        for (role, member) in &members {
            let response = app
                .send(sample(&app, storage.as_ref(), org, &spec, Some(member)).await)
                .await;
            let allowed = match decided {
                Decision::Roles(roles) => roles.contains(role),
                _ => true,
            };
            if allowed {
                assert!(
                    (200..300).contains(&response.status),
                    "{route} as {role}: {} {}",
                    response.status,
                    response.body
                );
            } else {
                assert_eq!(response.status, 403, "{route} as {role}: {}", response.body);
                assert_eq!(response.error_code(), "forbidden", "{route} as {role}");
            }
        }
    }
}
