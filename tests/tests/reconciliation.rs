//! Spend reconciliation through the running server with stored data: the Claude Code fixture
//! matched to the micro-dollar against its bill, an untracked bill written off and then changed
//! by late telemetry, and a configuration-free provider with no bill to match.

use reckon_server::auth::Role;
use reckon_tests::bills::{anthropic_integration, cost_line};
use reckon_tests::otlp::{replay, setup};
use reckon_tests::{TestApp, TestDatabase, add_member, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(
    the_claude_code_fixture_matches_its_bill_to_the_micro_dollar,
    an_untracked_bill_is_written_off_and_late_telemetry_marks_the_change,
    a_configuration_free_provider_has_no_bill_source,
    a_price_override_reprices_estimates_and_the_tolerance_decides_what_matches,
    exports_carry_the_exact_figures_as_csv_and_focus,
);

async fn rows(app: &TestApp, bearer: &str, query: &str) -> Vec<Value> {
    let response = app
        .send(
            app.request(Method::GET, &format!("/api/v1/reconciliation?{query}"))
                .header("authorization", bearer),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.json::<Value>()["rows"].as_array().unwrap().clone()
}

async fn the_claude_code_fixture_matches_its_bill_to_the_micro_dollar(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    // The request's 0.00663 USD, billed as 0.663 cents on its UTC day.
    anthropic_integration(
        storage.as_ref(),
        org,
        &[cost_line("2026-11-22", "0.663")],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;
    replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    let rows = rows(&app, &viewer.bearer(), "from=2026-11&to=2026-11").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["period"], "2026-11");
    assert_eq!(row["provider"], "anthropic");
    assert_eq!(row["billed_usd"], "0.00663");
    assert_eq!(row["observed_reported_usd"], "0.00663");
    assert_eq!(row["observed_estimated_usd"], "0.00");
    assert_eq!(row["variance_usd"], "0.00");
    assert_eq!(row["variance_pct"], "0");
    assert_eq!(row["status"], "matched");
    let day = &row["days"][0];
    assert_eq!(day["day"], "2026-11-22");
    assert_eq!(day["model"], "claude-sonnet-4-5");
    assert_eq!(
        day["observed_tokens"],
        json!({ "input": 1200, "cache_read": 4500, "cache_write": 300, "output": 37, "reasoning": 0 })
    );
}

async fn an_untracked_bill_is_written_off_and_late_telemetry_marks_the_change(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let finance = add_member(storage.as_ref(), org, Role::Finance, "closer@example.com").await;
    anthropic_integration(
        storage.as_ref(),
        org,
        &[cost_line("2026-11-20", "50000")],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;

    let row = rows(
        &app,
        &viewer.bearer(),
        "from=2026-11&to=2026-11&provider=anthropic",
    )
    .await;
    assert_eq!(row[0]["status"], "no_telemetry");
    assert_eq!(row[0]["variance_usd"], "500.00");
    assert_eq!(
        row[0]["reasons"],
        json!(["untracked_usage", "not_yet_final"])
    );
    assert_eq!(
        row[0]["quantity_variance_usd"],
        Value::Null,
        "dollars without tokens: no split"
    );

    // A write-off needs a reason and the right to write off.
    let write_off = |bearer: String, reason: &str| {
        app.request(Method::POST, "/api/v1/reconciliation/write-offs")
            .header("authorization", bearer)
            .json(&json!({ "provider": "anthropic", "period": "2026-11", "reason": reason }))
    };
    let refused = app.send(write_off(viewer.bearer(), "because")).await;
    assert_eq!(refused.status, 403);
    let no_reason = app.send(write_off(finance.bearer(), "  ")).await;
    assert_eq!(no_reason.status, 400, "{}", no_reason.body);
    let written = app
        .send(write_off(
            finance.bearer(),
            "team without telemetry, accepted",
        ))
        .await;
    assert_eq!(written.status, 201, "{}", written.body);
    let body = written.json::<Value>();
    assert_eq!(body["write_off"]["variance"], "500.00");
    assert_eq!(body["write_off"]["actor"], "closer@example.com");
    assert_eq!(body["row"]["status"], "written_off");
    assert_eq!(body["row"]["changed_after_write_off"], false);

    // Late telemetry for the month changes the variance: still written off, flagged, both figures.
    replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    let row = rows(&app, &viewer.bearer(), "from=2026-11&to=2026-11").await;
    assert_eq!(row[0]["status"], "written_off");
    assert_eq!(row[0]["changed_after_write_off"], true);
    assert_eq!(row[0]["written_off_usd"], "500.00");
    assert_eq!(row[0]["variance_usd"], "499.99337");
    let audit = app
        .send(
            app.request(Method::GET, "/api/v1/audit")
                .header("authorization", setup_owner(&db, &storage, org).await),
        )
        .await;
    assert!(audit.body.contains("spend.write_off"), "{}", audit.body);
}

async fn setup_owner(
    _db: &TestDatabase,
    storage: &std::sync::Arc<dyn reckon_server::storage::Storage>,
    org: i64,
) -> String {
    add_member(storage.as_ref(), org, Role::Owner, "owner@example.com")
        .await
        .bearer()
}

async fn a_configuration_free_provider_has_no_bill_source(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let owner = setup_owner(&db, &storage, org).await;
    let app = TestApp::spawn(&db).await;
    let connected = app
        .send(
            app.request(Method::POST, "/api/v1/providers")
                .header("authorization", owner)
                .json(&json!({ "kind": "gemini", "name": "Gemini" })),
        )
        .await;
    assert_eq!(connected.status, 201, "{}", connected.body);
    replay(&app, "gemini-cli-0.61.0-http-json-cumulative.jsonl", &key).await;
    let rows = rows(
        &app,
        &viewer.bearer(),
        "from=2026-11&to=2026-11&provider=google",
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "no_bill");
    assert_eq!(rows[0]["billed_usd"], Value::Null);
    assert_eq!(rows[0]["variance_usd"], Value::Null);
    assert_eq!(rows[0]["variance_note"], "no bill source for this provider");
    assert_eq!(rows[0]["observed_estimated_usd"], "0.000351");
    assert_eq!(rows[0]["reasons"], json!(["no_bill_source"]));
}

async fn a_price_override_reprices_estimates_and_the_tolerance_decides_what_matches(
    db: TestDatabase,
) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let owner = setup_owner(&db, &storage, org).await;
    let finance = add_member(storage.as_ref(), org, Role::Finance, "closer@example.com").await;
    // A bill 0.99337 USD above the Claude Code request it covers.
    anthropic_integration(
        storage.as_ref(),
        org,
        &[cost_line("2026-11-22", "100")],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;
    replay(&app, "gemini-cli-0.61.0-http-json-cumulative.jsonl", &key).await;
    replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    assert_eq!(gemini_estimate(&app, &viewer.bearer()).await, "0.000351");

    // A negotiated input price from January on reprices November's estimate.
    let set = app
        .send(
            app.request(Method::POST, "/api/v1/prices")
                .header("authorization", owner.clone())
                .json(&json!({
                    "provider": "google", "model": "gemini-2.5-flash", "effective_from": "2026-01-01",
                    "input_per_million_usd": "0.60", "cache_read_per_million_usd": "0.03",
                    "output_per_million_usd": "2.50"
                })),
        )
        .await;
    assert_eq!(set.status, 201, "{}", set.body);
    // (345 × 0.60 + 2000 × 0.03 + 75 × 2.50) per million.
    assert_eq!(gemini_estimate(&app, &viewer.bearer()).await, "0.0004545");
    let listed = app
        .send(
            app.request(Method::GET, "/api/v1/prices")
                .header("authorization", viewer.bearer()),
        )
        .await;
    assert!(
        listed.body.contains(r#""origin":"override""#),
        "{}",
        listed.body
    );
    let bad = app
        .send(
            app.request(Method::POST, "/api/v1/prices")
                .header("authorization", owner)
                .json(
                    &json!({ "provider": "google", "model": "m", "effective_from": "2026-01-01",
                               "input_per_million_usd": "-1" }),
                ),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("input_per_million_usd"), "{}", bad.body);

    // Within the default tolerance (1 USD), then beyond a tighter one.
    let anthropic = "from=2026-11&to=2026-11&provider=anthropic";
    assert_eq!(
        rows(&app, &viewer.bearer(), anthropic).await[0]["status"],
        "matched"
    );
    let tightened = app
        .send(
            app.request(Method::PUT, "/api/v1/reconciliation/tolerance")
                .header("authorization", finance.bearer())
                .json(&json!({ "absolute_usd": "0.10", "percent": "0.5" })),
        )
        .await;
    assert_eq!(tightened.status, 200, "{}", tightened.body);
    let row = &rows(&app, &viewer.bearer(), anthropic).await[0];
    assert_eq!(row["variance_usd"], "0.99337");
    assert_eq!(
        row["status"], "provisional",
        "beyond tolerance while days are not final"
    );
    let tolerance = app
        .send(
            app.request(Method::GET, "/api/v1/reconciliation/tolerance")
                .header("authorization", viewer.bearer()),
        )
        .await;
    assert_eq!(
        tolerance.json::<Value>()["tolerance"],
        json!({ "absolute_usd": "0.10", "percent": "0.5" })
    );
}

/// The Gemini CLI's estimated cost this month, as the usage API states it.
async fn gemini_estimate(app: &TestApp, bearer: &str) -> Value {
    let request = app
        .request(
            Method::GET,
            "/api/v1/usage?from=2026-11-01&to=2026-11-30&group_by=tool",
        )
        .header("authorization", bearer);
    let rows = app.send(request).await.json::<Value>()["rows"].clone();
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["tool"] == "gemini_cli")
        .unwrap()["estimated_cost_usd"]
        .clone()
}

async fn exports_carry_the_exact_figures_as_csv_and_focus(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let finance = add_member(storage.as_ref(), org, Role::Finance, "closer@example.com").await;
    anthropic_integration(
        storage.as_ref(),
        org,
        &[cost_line("2026-11-22", "0.663")],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;
    replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    let get = |path: &str, bearer: String| {
        app.request(Method::GET, &format!("{path}?from=2026-11&to=2026-11"))
            .header("authorization", bearer)
    };
    let refused = app
        .send(get("/api/v1/reconciliation.csv", viewer.bearer()))
        .await;
    assert_eq!(refused.status, 403);

    let csv = app
        .send(get("/api/v1/reconciliation.csv", finance.bearer()))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let lines: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[0].starts_with("period,provider,billed_usd,"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "2026-11,anthropic,0.00663,0.00663,0.00,0,0.00,0,,,matched,not_yet_final,,false"
    );

    let focus = app
        .send(get("/api/v1/reconciliation/focus.csv", finance.bearer()))
        .await;
    assert_eq!(focus.status, 200, "{}", focus.body);
    let lines: Vec<&str> = focus.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{}", focus.body);
    let header: Vec<&str> = lines[0].split(',').collect();
    let values: Vec<&str> = lines[1].split(',').collect();
    let column = |name: &str| values[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(column("BilledCost"), "0.00663");
    assert_eq!(column("BillingCurrency"), "USD");
    assert_eq!(column("ChargePeriodStart"), "2026-11-22T00:00:00Z");
    assert_eq!(column("ChargePeriodEnd"), "2026-11-23T00:00:00Z");
    assert_eq!(column("BillingPeriodStart"), "2026-11-01T00:00:00Z");
    assert_eq!(column("BillingPeriodEnd"), "2026-12-01T00:00:00Z");
    assert_eq!(column("ProviderName"), "anthropic");
    assert_eq!(column("x_Model"), "claude-sonnet-4-5");
    assert_eq!(column("x_ObservedReportedCost"), "0.00663");
    assert_eq!(column("x_VarianceCost"), "0.00");
    assert_eq!(column("x_ReconciliationStatus"), "matched");
}
