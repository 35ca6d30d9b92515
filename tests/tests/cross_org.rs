//! Tenants are isolated: with organisation A's credentials nothing of organisation B can be read
//! or changed, and lists never include it.

use reckon_server::auth::Role;
use reckon_tests::{Member, PASSWORD, TestApp, TestDatabase, add_member, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(organisation_a_cannot_see_or_touch_organisation_b);

async fn organisation_a_cannot_see_or_touch_organisation_b(db: TestDatabase) {
    let storage = db.storage().await;
    let org_a = storage.ensure_default_organization().await.unwrap();
    let org_b = storage
        .create_organization("beta", "Beta Corp")
        .await
        .unwrap();
    let owner_a = add_member(
        storage.as_ref(),
        org_a.id,
        Role::Owner,
        "owner@alpha.example",
    )
    .await;
    let owner_b = add_member(
        storage.as_ref(),
        org_b.id,
        Role::Owner,
        "owner@beta.example",
    )
    .await;
    let viewer_b = add_member(
        storage.as_ref(),
        org_b.id,
        Role::Viewer,
        "viewer@beta.example",
    )
    .await;
    let app = TestApp::spawn(&db).await;
    let as_a = |method: Method, path: &str| app.authed(method, path, &owner_a.token);

    // Reads: A's lists hold only A's objects.
    let users: Value = app.send(as_a(Method::GET, "/api/v1/users")).await.json();
    let emails: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["owner@alpha.example"]);
    let tokens: Value = app
        .send(as_a(Method::GET, "/api/v1/api-tokens"))
        .await
        .json();
    assert!(
        tokens["api_tokens"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["org_id"] == org_a.id)
    );
    let audit: Value = app
        .send(as_a(Method::GET, "/api/v1/audit?limit=200"))
        .await
        .json();
    assert!(
        !audit["events"].to_string().contains("beta.example"),
        "{audit}"
    );
    let me: Value = app.send(as_a(Method::GET, "/api/v1/me")).await.json();
    assert_eq!(me["organization"]["slug"], "default");

    // Writes to B's objects are refused as if they did not exist.
    let b_user = format!("/api/v1/users/{}", viewer_b.user.id);
    let refused = [
        app.send(as_a(Method::PATCH, &b_user).json(&json!({ "role": "owner" })))
            .await,
        app.send(as_a(Method::DELETE, &b_user)).await,
        app.send(as_a(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{}", token_id(&app, &viewer_b).await),
        ))
        .await,
    ];
    for response in refused {
        assert_eq!(response.status, 404, "{}", response.body);
        assert_eq!(response.error_code(), "not_found");
    }

    // The same through a browser session of A.
    let signed_in = app
        .send(
            app.browser_request(Method::POST, "/login")
                .json(&json!({ "email": "owner@alpha.example", "password": PASSWORD })),
        )
        .await;
    let cookie = format!(
        "reckon_session={}",
        signed_in.cookie("reckon_session").unwrap()
    );
    let by_session = app
        .send(
            app.browser_request(Method::PATCH, &b_user)
                .header("cookie", &cookie)
                .json(&json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(by_session.status, 404, "{}", by_session.body);

    // Nothing of B changed: its viewer keeps its role and its token still works.
    let b_me: Value = app
        .send(app.authed(Method::GET, "/api/v1/me", &viewer_b.token))
        .await
        .json();
    assert_eq!(b_me["user"]["role"], "viewer");
    assert_eq!(b_me["organization"]["slug"], "beta");
    let b_users: Value = app
        .send(app.authed(Method::GET, "/api/v1/users", &owner_b.token))
        .await
        .json();
    assert_eq!(b_users["users"].as_array().unwrap().len(), 2);
    assert!(!b_users.to_string().contains("alpha.example"));
}

/// The id of `member`'s first API token, read with their own credentials.
async fn token_id(app: &TestApp, member: &Member) -> i64 {
    let tokens: Value = app
        .send(app.authed(Method::GET, "/api/v1/api-tokens", &member.token))
        .await
        .json();
    tokens["api_tokens"][0]["id"].as_i64().unwrap()
}
