//! The Demo provider through the running server: added with no credentials, its data arrives
//! through the real receiver and pullers, every variance case shows with its status and
//! reasons, answers carry the demo label, and a purge removes every demo row and nothing else.

use reckon_server::auth::Role;
use reckon_tests::bills::{anthropic_integration, cost_line};
use reckon_tests::otlp::{replay, setup};
use reckon_tests::{Member, TestApp, TestDatabase, add_member, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(
    the_demo_shows_every_case_and_its_purge_leaves_real_data_exactly,
    serve_demo_starts_populated_and_reuses_its_data,
);

async fn get(app: &TestApp, member: &Member, path: &str) -> Value {
    let response = app.send(app.authed(Method::GET, path, &member.token)).await;
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    response.json()
}

/// The months from the one before the demo's (the real clock's month) to it.
fn months() -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date();
    let this = format!("{:04}-{:02}", today.year(), u8::from(today.month()));
    let before = today.replace_day(1).unwrap().previous_day().unwrap();
    (
        format!("{:04}-{:02}", before.year(), u8::from(before.month())),
        this,
    )
}

/// Everything a reader sees of the organisation's spend, for before/after comparisons.
async fn everything(app: &TestApp, reader: &Member) -> Vec<Value> {
    let (from, to) = months();
    let mut seen = Vec::new();
    for path in [
        "/api/v1/usage?from=2026-01-01&to=2027-01-31&group_by=day,provider,tool,model,person,team"
            .to_owned(),
        "/api/v1/billing?from=2026-01-01&to=2027-01-31&group_by=day,provider,model".to_owned(),
        format!("/api/v1/reconciliation?from=2026-11&to={to}"),
        format!("/api/v1/reconciliation?from={from}&to={to}"),
        "/api/v1/attribution?from=2026-01-01&to=2027-01-31&group_by=person,team".to_owned(),
        "/api/v1/telemetry-keys".to_owned(),
    ] {
        seen.push(get(app, reader, &path).await);
    }
    seen
}

fn has(rows: &[Value], provider: &str, status: Option<&str>, reason: Option<&str>) -> bool {
    rows.iter().any(|r| {
        r["provider"] == provider
            && status.is_none_or(|s| r["status"] == s)
            && reason.is_none_or(|x| r["reasons"].as_array().unwrap().contains(&json!(x)))
    })
}

async fn the_demo_shows_every_case_and_its_purge_leaves_real_data_exactly(db: TestDatabase) {
    let (key, _) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let owner = add_member(storage.as_ref(), org, Role::Owner, "owner@example.com").await;
    // Real data first: a Claude Code export and an Anthropic bill.
    let real = anthropic_integration(
        storage.as_ref(),
        org,
        &[cost_line("2026-11-22", "0.663")],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;
    replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    let before = everything(&app, &owner).await;
    assert!(before.iter().all(|answer| answer.get("demo").is_none()));

    let created = app
        .send(
            app.authed(Method::POST, "/api/v1/providers", &owner.token)
                .json(&json!({ "kind": "demo", "name": "Demo" })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let demo = created.json::<Value>()["provider"].clone();
    assert_eq!(demo["demo"], true);
    assert!(demo["warning"].as_str().unwrap().contains("synthetic"));
    assert_eq!(demo["status"], "active", "{demo}");

    // Every case in the demo's months, as the reconciliation states it, labelled as demo data.
    let (from, to) = months();
    let answer = get(
        &app,
        &owner,
        &format!("/api/v1/reconciliation?from={from}&to={to}"),
    )
    .await;
    assert_eq!(answer["demo"], true);
    let rows = answer["rows"].as_array().unwrap();
    let current: Vec<Value> = rows
        .iter()
        .filter(|r| r["period"] == to.as_str())
        .cloned()
        .collect();
    assert!(
        has(&current, "anthropic", None, Some("untracked_usage")),
        "{rows:?}"
    );
    assert!(
        has(&current, "anthropic", None, Some("priority_tier")),
        "{rows:?}"
    );
    assert!(
        has(
            &current,
            "anthropic",
            Some("provisional"),
            Some("not_yet_final")
        ),
        "{rows:?}"
    );
    assert!(
        has(&current, "openai", None, Some("price_difference")),
        "{rows:?}"
    );
    assert!(
        has(&current, "google", Some("no_bill"), Some("unpriced_model")),
        "{rows:?}"
    );
    assert!(
        has(&current, "google", None, Some("no_bill_source")),
        "{rows:?}"
    );
    assert!(
        has(&current, "cursor", None, Some("provider_removed")),
        "{rows:?}"
    );
    assert!(
        has(
            &current,
            "github_copilot",
            Some("no_telemetry"),
            Some("untracked_usage")
        ),
        "{rows:?}"
    );
    let previous: Vec<Value> = rows
        .iter()
        .filter(|r| r["period"] == from.as_str())
        .cloned()
        .collect();
    assert!(
        has(&previous, "openai", Some("written_off"), None),
        "{rows:?}"
    );
    // One person under two identities is merged by email: no bare account ids remain.
    let people = get(
        &app,
        &owner,
        "/api/v1/attribution?from=2026-01-01&to=2027-01-31&group_by=person",
    )
    .await;
    assert_eq!(people["demo"], true);
    for row in people["rows"].as_array().unwrap() {
        let person = row["person"].as_str().unwrap();
        assert!(
            person.ends_with("@demo.example")
                || person == "unattributed"
                || person.contains("@example.com")
                || person.len() == 64,
            "an identity left unmerged: {person}"
        );
    }

    // Purging a real provider is refused; purging the demo leaves exactly what was there.
    let refused = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/providers/{}?purge=true", real.id),
            &owner.token,
        ))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("only the Demo provider"),
        "{}",
        refused.body
    );
    let purged = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/providers/{}?purge=true", demo["id"]),
            &owner.token,
        ))
        .await;
    assert_eq!(purged.status, 200, "{}", purged.body);
    assert_eq!(everything(&app, &owner).await, before);
    let gone = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/providers/{}", demo["id"]),
            &owner.token,
        ))
        .await;
    assert_eq!(gone.status, 404);
    let audit = get(&app, &owner, "/api/v1/audit").await;
    assert!(audit.to_string().contains("integration.purge"));
}

/// The password `reckon serve --demo` printed for the demo owner.
async fn printed_password(app: &TestApp) -> (String, String) {
    // Standard output is read on a thread of its own: the line may trail the start-up log.
    let mut found = None;
    for _ in 0..100 {
        found = app
            .stdout()
            .into_iter()
            .find(|l| l.starts_with("Demo ready in"));
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let line =
        found.unwrap_or_else(|| panic!("no demo login on standard output: {:?}", app.stdout()));
    let password = line.rsplit(' ').next().unwrap().to_owned();
    (line, password)
}

async fn serve_demo_starts_populated_and_reuses_its_data(db: TestDatabase) {
    let app = TestApp::spawn_with(&db, &["--demo"], &[]).await;
    let (line, password) = printed_password(&app).await;
    assert!(line.contains("seeded now"), "{line}");
    assert!(
        line.contains(&format!("open http://{}/", app.http_addr)),
        "{line}"
    );
    assert!(
        line.contains("sign in as demo-owner@demo.example"),
        "{line}"
    );
    let signed_in = app
        .send(app.browser_request(Method::POST, "/login").form(&[
            ("email", "demo-owner@demo.example"),
            ("password", password.as_str()),
        ]))
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let logs: String = app.logs().iter().map(|l| l.to_string()).collect();
    assert!(logs.contains("not for production"), "{logs}");
    assert!(!logs.contains(&password), "the password is never logged");
    app.stop().await;

    // Again on the same data directory: the same demo, not a second one.
    let app = TestApp::spawn_with(&db, &["--demo"], &[]).await;
    let (line, again) = printed_password(&app).await;
    assert!(line.contains("reused from the data directory"), "{line}");
    assert_eq!(again, password);
    let storage = db.storage().await;
    let org = storage.organization_by_slug("demo").await.unwrap().unwrap();
    let demos: Vec<_> = storage
        .integrations(org.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == "demo")
        .collect();
    assert_eq!(demos.len(), 1, "{demos:?}");
    app.stop().await;
}
