//! More reconciliation scenarios through the running server with stored data: a reconnected
//! provider's lines counted once, coverage from the first day a bill source read, the month
//! boundary in UTC, a removed provider's later telemetry, and the per-person drill-down.

use reckon_tests::bills::{anthropic_integration, cost_line, cursor_line, stored_integration};
use reckon_tests::otlp::{claude_code_request, cursor_request, send_logs, setup};
use reckon_tests::{TestApp, TestDatabase, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(
    a_reconnected_provider_counts_each_line_once,
    months_before_a_bill_source_read_them_have_no_bill,
    the_month_boundary_is_utc,
    a_removed_providers_later_telemetry_is_unreconciled,
    a_bill_that_names_people_is_drilled_down_per_person,
);

async fn get(app: &TestApp, bearer: &str, path: &str) -> Value {
    let response = app
        .send(
            app.request(Method::GET, path)
                .header("authorization", bearer),
        )
        .await;
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    response.json()
}

async fn rows(app: &TestApp, bearer: &str, query: &str) -> Vec<Value> {
    get(app, bearer, &format!("/api/v1/reconciliation?{query}")).await["rows"]
        .as_array()
        .unwrap()
        .clone()
}

/// Unix nanoseconds of an RFC 3339 UTC time.
fn at(text: &str) -> i128 {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
    parsed.unix_timestamp_nanos()
}

async fn a_reconnected_provider_counts_each_line_once(db: TestDatabase) {
    let (_, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let october = [
        cost_line("2026-10-05", "1000"),
        cost_line("2026-10-06", "500"),
    ];
    let first = anthropic_integration(storage.as_ref(), org, &october, false).await;
    let app = TestApp::spawn(&db).await;
    let owner = reckon_tests::add_member(
        storage.as_ref(),
        org,
        reckon_server::auth::Role::Owner,
        "owner@example.com",
    )
    .await;
    let removed = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/providers/{}", first.id),
            &owner.token,
        ))
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    // Reconnected: the new integration's backfill reads October again, and finds one more line.
    let mut again = october.to_vec();
    again.push(cost_line("2026-10-07", "250"));
    anthropic_integration(storage.as_ref(), org, &again, false).await;

    let row = &rows(&app, &viewer.bearer(), "from=2026-10&to=2026-10").await[0];
    assert_eq!(
        row["billed_usd"], "17.50",
        "each line once, not 32.50: {row}"
    );
    let billing = get(
        &app,
        &viewer.bearer(),
        "/api/v1/billing?from=2026-10-01&to=2026-10-31&group_by=provider",
    )
    .await;
    // The billing API lists what was pulled, per integration: both copies are there.
    assert_eq!(billing["rows"][0]["lines"], 5, "{billing}");
}

async fn months_before_a_bill_source_read_them_have_no_bill(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    // The source's runs read from 2026-10-05 on.
    anthropic_integration(
        storage.as_ref(),
        org,
        &[cost_line("2026-10-05", "100")],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;
    send_logs(
        &app,
        &key,
        &claude_code_request(
            at("2026-09-15T10:00:00Z"),
            "ann@example.com",
            1_000_000,
            None,
        ),
    )
    .await;
    let rows = rows(&app, &viewer.bearer(), "from=2026-09&to=2026-10").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    // September: telemetry, and no bill source had read that month: nothing to reconcile yet.
    assert_eq!(rows[0]["period"], "2026-09");
    assert_eq!(rows[0]["status"], "no_bill");
    assert_eq!(rows[0]["billed_usd"], Value::Null);
    assert_eq!(rows[0]["variance_usd"], Value::Null);
    assert_eq!(rows[0]["observed_estimated_usd"], "3.00");
    assert_eq!(rows[0]["reasons"], json!(["telemetry_without_bill"]));
    assert_eq!(rows[1]["period"], "2026-10");
    assert_eq!(rows[1]["billed_usd"], "1.00");
}

async fn the_month_boundary_is_utc(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    // 1,000,000 input tokens of Sonnet 4.5 at 3 USD per million: 3 USD billed each day.
    anthropic_integration(
        storage.as_ref(),
        org,
        &[
            cost_line("2026-10-31", "300"),
            cost_line("2026-11-01", "300"),
        ],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;
    // 23:59:59.999 UTC on 31 October, and 19:30 on 31 October in New York, which is already
    // 1 November in UTC.
    for time in ["2026-10-31T23:59:59.999Z", "2026-10-31T19:30:00-05:00"] {
        send_logs(
            &app,
            &key,
            &claude_code_request(at(time), "ann@example.com", 1_000_000, None),
        )
        .await;
    }
    let rows = rows(&app, &viewer.bearer(), "from=2026-10&to=2026-11").await;
    let summary: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["period"].as_str().unwrap(),
                r["billed_usd"].as_str().unwrap(),
                r["observed_estimated_usd"].as_str().unwrap(),
                r["variance_usd"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("2026-10", "3.00", "3.00", "0.00"),
            ("2026-11", "3.00", "3.00", "0.00")
        ]
    );
    assert_eq!(rows[1]["days"][0]["day"], "2026-11-01");
}

async fn a_removed_providers_later_telemetry_is_unreconciled(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let integration = anthropic_integration(
        storage.as_ref(),
        org,
        &[cost_line("2026-10-05", "100")],
        false,
    )
    .await;
    let owner = reckon_tests::add_member(
        storage.as_ref(),
        org,
        reckon_server::auth::Role::Owner,
        "owner@example.com",
    )
    .await;
    let app = TestApp::spawn(&db).await;
    let removed = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/providers/{}", integration.id),
            &owner.token,
        ))
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    // Telemetry after the removal (now, on the removal's UTC day).
    let now = time::OffsetDateTime::now_utc();
    send_logs(
        &app,
        &key,
        &claude_code_request(
            now.unix_timestamp_nanos(),
            "ann@example.com",
            1_000_000,
            None,
        ),
    )
    .await;
    let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let rows = rows(&app, &viewer.bearer(), &format!("from={month}&to={month}")).await;
    let row = &rows[0];
    assert_eq!(row["provider"], "anthropic");
    assert_eq!(row["status"], "under", "{row}");
    assert_eq!(row["variance_usd"], "-3.00");
    assert!(
        row["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("provider_removed")),
        "{row}"
    );
    // The removed source's history is kept: October still reconciles against its bill.
    let october = &rows_of(&app, &viewer.bearer(), "2026-10").await[0];
    assert_eq!(october["billed_usd"], "1.00");
}

async fn rows_of(app: &TestApp, bearer: &str, month: &str) -> Vec<Value> {
    rows(app, bearer, &format!("from={month}&to={month}")).await
}

async fn a_bill_that_names_people_is_drilled_down_per_person(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    stored_integration(
        storage.as_ref(),
        org,
        "cursor",
        &[
            cursor_line("2026-11-03", "ann@example.com", "claude-4.5-sonnet", "120"),
            cursor_line("2026-11-04", "bo@example.com", "gpt-5", "80"),
        ],
        false,
    )
    .await;
    let app = TestApp::spawn(&db).await;
    // Ann's agent reported her usage; Bo's machine sends nothing; Cy is not on the bill.
    for (email, cost) in [("ann@example.com", "1.20"), ("cy@example.com", "0.05")] {
        send_logs(
            &app,
            &key,
            &cursor_request(
                at("2026-11-03T09:00:00Z"),
                email,
                "claude-4.5-sonnet",
                5_000,
                Some(cost),
            ),
        )
        .await;
    }
    let body = get(
        &app,
        &viewer.bearer(),
        "/api/v1/reconciliation/people?period=2026-11&provider=cursor",
    )
    .await;
    let people: Vec<(&str, &str, &str, &str)> = body["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["person"].as_str().unwrap(),
                p["billed_usd"].as_str().unwrap(),
                p["observed_reported_usd"].as_str().unwrap(),
                p["variance_usd"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("ann@example.com", "1.20", "1.20", "0.00"),
            ("bo@example.com", "0.80", "0.00", "0.80"),
            ("cy@example.com", "0.00", "0.05", "-0.05"),
        ]
    );
    assert_eq!(body["note"], Value::Null);

    // Anthropic's bill names nobody: no split, and the answer says why.
    let anthropic = get(
        &app,
        &viewer.bearer(),
        "/api/v1/reconciliation/people?period=2026-11&provider=anthropic",
    )
    .await;
    assert_eq!(anthropic["people"], Value::Null);
    assert!(
        anthropic["note"]
            .as_str()
            .unwrap()
            .contains("names no person")
    );
    let bad = app
        .send(
            app.request(
                Method::GET,
                "/api/v1/reconciliation/people?period=2026-13&provider=cursor",
            )
            .header("authorization", viewer.bearer()),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}
