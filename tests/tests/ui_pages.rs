//! Web UI pages over HTTP against the real server, for what a browser run cannot catch in
//! passing: a running backfill's progress on Usage Providers, and the navigation showing each
//! role only the pages it may open.

use reckon_server::auth::Role;
use reckon_tests::bills::anthropic_integration;
use reckon_tests::{TestApp, TestDatabase, add_member, backend_tests};
use reqwest::Method;

backend_tests!(
    a_running_backfill_shows_how_far_it_has_come,
    each_role_is_shown_the_pages_it_may_open
);

/// The text of an HTML page: comments and `<!>` (the renderer's markers between text nodes)
/// dropped, tags read as a space, white space collapsed.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let comment = rest[start..].starts_with("<!");
        let end = if rest[start..].starts_with("<!--") {
            rest[start..].find("-->").map(|e| start + e + 3)
        } else {
            rest[start..].find('>').map(|e| start + e + 1)
        };
        let Some(end) = end else { break };
        if !comment {
            text.push(' ');
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn a_running_backfill_shows_how_far_it_has_come(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let admin = add_member(storage.as_ref(), org, Role::Admin, "admin@example.com").await;
    let integration = anthropic_integration(storage.as_ref(), org, &[], false).await;
    let run = storage
        .start_run(
            org,
            integration.id,
            "backfill",
            ("2026-08-25", "2026-11-22"),
        )
        .await
        .unwrap();
    storage
        .record_progress(run, "2026-09-14", 3, 120)
        .await
        .unwrap();
    storage.close().await;
    let app = TestApp::spawn(&db).await;

    let page = app
        .send(app.authed(Method::GET, "/settings/ai/usage-providers", &admin.token))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let text = text_of(&page.body);
    assert!(
        text.contains(
            "Syncing backfill of 2026-08-25 → 2026-11-22: read through 2026-09-14, 3 requests, 120 lines so far (started 2026-"
        ),
        "{text}"
    );
    // 21 of the 90 days read, as a meter with its words for those who cannot see it.
    assert!(
        page.body.contains("max=\"90\"") && page.body.contains("value=\"21\""),
        "{}",
        page.body
    );
    assert!(text.contains("21 of 90 days"), "{text}");
    app.stop().await;
}

async fn each_role_is_shown_the_pages_it_may_open(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let mut members = Vec::new();
    for (role, email) in [
        (Role::Owner, "owner@example.com"),
        (Role::Admin, "admin@example.com"),
        (Role::Finance, "finance@example.com"),
        (Role::Viewer, "viewer@example.com"),
    ] {
        members.push((role, add_member(storage.as_ref(), org, role, email).await));
    }
    storage.close().await;
    let app = TestApp::spawn(&db).await;
    for (role, member) in &members {
        let page = app
            .send(app.authed(Method::GET, "/spend/reconciliation", &member.token))
            .await;
        assert_eq!(page.status, 200, "{role:?}: {}", page.body);
        let start = page
            .body
            .find("aria-label=\"Main\"")
            .expect("the main navigation");
        let nav = &page.body[start..];
        let nav = &nav[..nav.find("</nav>").expect("the navigation's end")];
        let links: Vec<&str> = [
            "/settings/ai/usage-providers",
            "/settings/ai/telemetry-keys",
            "/settings/users",
            "/settings/audit-log",
        ]
        .into_iter()
        .filter(|path| nav.contains(&format!("href=\"{path}\"")))
        .collect();
        let expected: &[&str] = match role {
            Role::Owner => &[
                "/settings/ai/usage-providers",
                "/settings/ai/telemetry-keys",
                "/settings/users",
                "/settings/audit-log",
            ],
            Role::Admin => &[
                "/settings/ai/usage-providers",
                "/settings/ai/telemetry-keys",
                "/settings/audit-log",
            ],
            Role::Finance | Role::Viewer => &["/settings/ai/usage-providers"],
        };
        assert_eq!(links, expected, "{role:?}");
    }
    app.stop().await;
}
