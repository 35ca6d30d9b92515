//! Browser sessions and API tokens: cookies, expiry, sign-out, rotation, CSRF, sign-in limits,
//! revocation, and the security headers on every response.

use std::time::Duration;

use reckon_server::auth::Role;
use reckon_tests::{Member, PASSWORD, TestApp, TestDatabase, TestResponse, add_member};
use reqwest::Method;
use serde_json::{Value, json};

const COOKIE: &str = "reckon_session";

async fn app_with_member(args: &[&str], role: Role) -> (TestDatabase, TestApp, Member) {
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let member = add_member(storage.as_ref(), org.id, role, "ann@example.com").await;
    storage.close().await;
    let app = TestApp::spawn_with(&db, args, &[]).await;
    (db, app, member)
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.send(
        app.browser_request(Method::POST, "/login")
            .form(&[("email", email), ("password", password)]),
    )
    .await
}

fn with_cookie(request: reqwest::RequestBuilder, session: &str) -> reqwest::RequestBuilder {
    request.header("cookie", format!("{COOKIE}={session}"))
}

async fn me(app: &TestApp, session: &str) -> u16 {
    app.send(with_cookie(app.request(Method::GET, "/api/v1/me"), session))
        .await
        .status
}

#[tokio::test]
async fn sign_in_sets_a_strict_cookie_and_sign_out_ends_the_session() {
    let (_db, app, _) = app_with_member(&[], Role::Viewer).await;
    let response = sign_in(&app, "Ann@Example.com", PASSWORD).await;
    assert_eq!(response.status, 303);
    assert_eq!(response.headers["location"], "/");
    let set_cookie = response.headers["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    let session = response.cookie(COOKIE).unwrap();
    assert_eq!(me(&app, &session).await, 200);
    let home = app
        .send(with_cookie(app.request(Method::GET, "/"), &session))
        .await;
    assert!(
        home.body.contains("Signed in as ann@example.com (viewer)"),
        "{}",
        home.body
    );

    let out = app
        .send(with_cookie(
            app.browser_request(Method::POST, "/logout"),
            &session,
        ))
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(out.cookie(COOKIE).as_deref(), Some(""));
    assert_eq!(
        me(&app, &session).await,
        401,
        "the old cookie no longer works"
    );
}

#[tokio::test]
async fn signing_in_again_rotates_the_session_id() {
    let (_db, app, _) = app_with_member(&[], Role::Viewer).await;
    let first = sign_in(&app, "ann@example.com", PASSWORD)
        .await
        .cookie(COOKIE)
        .unwrap();
    let again = app
        .send(with_cookie(
            app.browser_request(Method::POST, "/login")
                .form(&[("email", "ann@example.com"), ("password", PASSWORD)]),
            &first,
        ))
        .await;
    let second = again.cookie(COOKIE).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        me(&app, &first).await,
        401,
        "the session from before sign-in ended"
    );
    assert_eq!(me(&app, &second).await, 200);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let (_db, app, _) = app_with_member(&["--session-idle-secs", "1"], Role::Viewer).await;
    let session = sign_in(&app, "ann@example.com", PASSWORD)
        .await
        .cookie(COOKIE)
        .unwrap();
    assert_eq!(me(&app, &session).await, 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(me(&app, &session).await, 401);
}

#[tokio::test]
async fn a_busy_session_still_ends_at_its_maximum_age() {
    let args = ["--session-idle-secs", "60", "--session-max-age-secs", "2"];
    let (_db, app, _) = app_with_member(&args, Role::Viewer).await;
    let session = sign_in(&app, "ann@example.com", PASSWORD)
        .await
        .cookie(COOKIE)
        .unwrap();
    for _ in 0..3 {
        assert_eq!(me(&app, &session).await, 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(me(&app, &session).await, 401);
}

#[tokio::test]
async fn cross_site_writes_with_a_session_are_refused_and_change_nothing() {
    let (_db, app, admin) = app_with_member(&[], Role::Admin).await;
    let session = sign_in(&app, "ann@example.com", PASSWORD)
        .await
        .cookie(COOKIE)
        .unwrap();
    let create = || {
        with_cookie(app.request(Method::POST, "/api/v1/api-tokens"), &session)
            .json(&json!({ "name": "from a form" }))
    };
    let refused = [
        create(),
        create().header("origin", "https://evil.example"),
        create().header("sec-fetch-site", "cross-site"),
        create().header("origin", "null"),
    ];
    for request in refused {
        let response = app.send(request).await;
        assert_eq!(response.status, 403, "{}", response.body);
        assert_eq!(response.error_code(), "csrf_rejected");
    }
    let tokens: Value = app
        .send(app.authed(Method::GET, "/api/v1/api-tokens", &admin.token))
        .await
        .json();
    assert_eq!(
        tokens["api_tokens"].as_array().unwrap().len(),
        1,
        "only the fixture's token"
    );

    let same_site = app
        .send(create().header("sec-fetch-site", "same-origin"))
        .await;
    assert_eq!(same_site.status, 201, "{}", same_site.body);
    let same_origin = app
        .send(create().header("origin", format!("http://{}", app.http_addr)))
        .await;
    assert_eq!(same_origin.status, 201, "{}", same_origin.body);
    // Signing in from another site is refused too (it would plant the attacker's session).
    let planted = app
        .send(
            app.request(Method::POST, "/login")
                .header("origin", "https://evil.example")
                .form(&[("email", "ann@example.com"), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(planted.status, 403);
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_for_a_while() {
    let (_db, app, _) = app_with_member(&[], Role::Viewer).await;
    let wrong = |email: &'static str| {
        app.browser_request(Method::POST, "/login")
            .json(&json!({ "email": email, "password": "not the password" }))
    };
    for _ in 0..5 {
        let response = app.send(wrong("ann@example.com")).await;
        assert_eq!(response.status, 401);
        assert_eq!(
            response.json::<Value>()["error"]["message"],
            "wrong email or password"
        );
    }
    let unknown = app.send(wrong("nobody@example.com")).await;
    assert_eq!(
        unknown.json::<Value>()["error"]["message"],
        "wrong email or password",
        "no account enumeration"
    );
    let locked = app
        .send(
            app.browser_request(Method::POST, "/login")
                .json(&json!({ "email": "ann@example.com", "password": PASSWORD })),
        )
        .await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.error_code(), "too_many_attempts");
    let message = locked.json::<Value>()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("too many failed sign-ins for this account; try again in"),
        "{message}"
    );
    let retry_after: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after));
    // The browser form shows the same message on the sign-in page.
    let page = sign_in(&app, "ann@example.com", PASSWORD).await;
    assert_eq!(page.status, 429);
    assert!(
        page.body
            .contains("too many failed sign-ins for this account"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn revoked_tokens_and_disabled_users_are_refused() {
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let owner = add_member(storage.as_ref(), org.id, Role::Owner, "owner@example.com").await;
    let admin = add_member(storage.as_ref(), org.id, Role::Admin, "admin@example.com").await;
    let app = TestApp::spawn(&db).await;
    let as_admin = |method, path: &str| app.authed(method, path, &admin.token);
    let tokens: Value = app
        .send(as_admin(Method::GET, "/api/v1/api-tokens"))
        .await
        .json();
    let id = tokens["api_tokens"][0]["id"].as_i64().unwrap();
    assert!(
        tokens["api_tokens"][0]["last_used_at_ms"].is_i64(),
        "its use is recorded"
    );
    assert_eq!(
        app.send(as_admin(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{id}")
        ))
        .await
        .status,
        200
    );
    let revoked = app.send(as_admin(Method::GET, "/api/v1/me")).await;
    assert_eq!(revoked.status, 401);
    assert_eq!(
        revoked.json::<Value>()["error"]["message"],
        "the API token is unknown or revoked"
    );

    let viewer = add_member(storage.as_ref(), org.id, Role::Viewer, "leaver@example.com").await;
    let session = sign_in(&app, "leaver@example.com", PASSWORD)
        .await
        .cookie(COOKIE)
        .unwrap();
    let disabled = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/users/{}", viewer.user.id),
            &owner.token,
        ))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert!(disabled.json::<Value>()["user"]["disabled_at_ms"].is_i64());
    let by_token = app
        .send(app.authed(Method::GET, "/api/v1/me", &viewer.token))
        .await;
    assert_eq!(by_token.status, 401);
    assert_eq!(me(&app, &session).await, 401);
    assert_eq!(
        sign_in(&app, "leaver@example.com", PASSWORD).await.status,
        401
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (_db, app, member) = app_with_member(&[], Role::Viewer).await;
    let responses = [
        app.get("/healthz").await,
        app.get("/login").await,
        app.get("/no/such/route").await,
        app.get("/api/v1/me").await,
        app.send(app.authed(Method::GET, "/api/v1/audit", &member.token))
            .await,
    ];
    for response in responses {
        let header = |name: &str| {
            response
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let csp = header("content-security-policy").expect("a CSP");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("http"), "no third-party origin: {csp}");
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    }
}

#[tokio::test]
async fn https_public_urls_make_the_cookie_secure() {
    let args = ["--public-url", "https://reckon.example.com"];
    let (_db, app, _) = app_with_member(&args, Role::Viewer).await;
    let response = sign_in(&app, "ann@example.com", PASSWORD).await;
    let set_cookie = response.headers["set-cookie"].to_str().unwrap();
    assert!(
        set_cookie.starts_with("__Host-reckon_session="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
}
