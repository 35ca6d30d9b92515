//! A fresh server end to end: setup link → owner → sign-in → API token → audit log; and a viewer's
//! token is refused every mutation, changing nothing.

use reckon_server::auth::Role;
use reckon_server::routes::{Access, route_specs};
use reckon_tests::{PASSWORD, TestApp, TestDatabase, add_member, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(
    a_fresh_server_is_set_up_through_its_link,
    a_viewer_token_is_refused_every_mutation
);

async fn a_fresh_server_is_set_up_through_its_link(db: TestDatabase) {
    let app = TestApp::spawn(&db).await;
    let link = app.setup_link().await;
    let path = link
        .split_once(&app.http_addr.to_string())
        .unwrap()
        .1
        .to_owned();
    let token = link.split_once("token=").unwrap().1.to_owned();
    let page = app.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&token), "the form carries the token");

    // A password that breaks the rules is refused and leaves the link usable.
    let setup = |password: &'static str| {
        app.browser_request(Method::POST, "/setup").form(&[
            ("token", token.as_str()),
            ("email", "Founder@Example.com"),
            ("password", password),
        ])
    };
    let short = app.send(setup("short")).await;
    assert_eq!(short.status, 400);
    assert!(
        short.body.contains("at least 12 characters"),
        "{}",
        short.body
    );

    let created = app.send(setup(PASSWORD)).await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(
        created.cookie("reckon_session").is_some(),
        "the new owner is signed in"
    );
    let reused = app.send(setup(PASSWORD)).await;
    assert_eq!(reused.status, 410, "the link works once");

    let signed_in = app
        .send(
            app.browser_request(Method::POST, "/login")
                .json(&json!({ "email": "founder@example.com", "password": PASSWORD })),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(signed_in.json::<Value>()["user"]["role"], "owner");
    let session = format!(
        "reckon_session={}",
        signed_in.cookie("reckon_session").unwrap()
    );
    let minted = app
        .send(
            app.browser_request(Method::POST, "/api/v1/api-tokens")
                .header("cookie", &session)
                .json(&json!({ "name": "finance script" })),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.body);
    let minted: Value = minted.json();
    let api_token = minted["token"].as_str().unwrap().to_owned();
    assert!(api_token.starts_with("rk_api_"));
    assert_eq!(minted["api_token"]["prefix"], api_token[..12]);

    let audit: Value = app
        .send(app.authed(Method::GET, "/api/v1/audit", &api_token))
        .await
        .json();
    let actions: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "api_token.create",
            "session.sign_in",
            "session.sign_in",
            "setup.owner_create"
        ],
        "newest first"
    );
    assert!(
        !audit.to_string().contains(&api_token),
        "no secret in the audit log"
    );
    assert!(!audit.to_string().contains(PASSWORD));

    // Paging: one event per page, following next_before.
    let mut seen = Vec::new();
    let mut path = "/api/v1/audit?limit=1".to_owned();
    loop {
        let page: Value = app
            .send(app.authed(Method::GET, &path, &api_token))
            .await
            .json();
        seen.push(page["events"][0]["action"].as_str().unwrap().to_owned());
        match page["next_before"].as_i64() {
            Some(before) => path = format!("/api/v1/audit?limit=1&before={before}"),
            None => break,
        }
    }
    assert_eq!(seen, actions);

    // Once a user exists, a restart prints no setup link.
    let status = app.stop().await;
    assert!(status.success());
    let again = TestApp::spawn(&db).await;
    assert!(
        again
            .stdout()
            .iter()
            .all(|line| !line.contains("/setup?token="))
    );
}

async fn a_viewer_token_is_refused_every_mutation(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let owner = add_member(storage.as_ref(), org.id, Role::Owner, "owner@example.com").await;
    let viewer = add_member(storage.as_ref(), org.id, Role::Viewer, "viewer@example.com").await;
    let app = TestApp::spawn(&db).await;
    let audit_before = storage.audit_events(org.id, None, 1000).await.unwrap();
    let users_before = storage.users(org.id).await.unwrap();
    let tokens_before = storage.api_tokens(org.id, None).await.unwrap();
    let token_id = tokens_before[0].id;
    let mut mutations = 0;
    for spec in route_specs() {
        let Access::Permission(_) = spec.access else {
            continue;
        };
        if spec.method == Method::GET {
            continue;
        }
        let path = spec.path.replace(
            "{id}",
            &if spec.path.contains("users") {
                owner.user.id
            } else {
                token_id
            }
            .to_string(),
        );
        let response = app
            .send(
                app.request(spec.method.clone(), &path)
                    .header("authorization", viewer.bearer())
                    .json(&json!({ "email": "x@example.com", "role": "owner", "name": "x" })),
            )
            .await;
        assert_eq!(
            response.status, 403,
            "{} {path}: {}",
            spec.method, response.body
        );
        mutations += 1;
    }
    assert!(mutations >= 5, "every mutation route was tried");
    assert_eq!(storage.users(org.id).await.unwrap(), users_before);
    assert_eq!(
        storage.audit_events(org.id, None, 1000).await.unwrap(),
        audit_before
    );
    let tokens_after = storage.api_tokens(org.id, None).await.unwrap();
    assert_eq!(tokens_after.len(), tokens_before.len());
    assert!(tokens_after.iter().all(|t| t.revoked_at_ms.is_none()));
}
