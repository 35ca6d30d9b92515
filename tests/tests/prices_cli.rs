//! `reckon prices`: an override set at the command line is listed beside the list prices and
//! prices estimates; a bad price is refused with a message and stores nothing.

use reckon_tests::otlp::{replay, setup, usage};
use reckon_tests::{Output, TestApp, TestDatabase, backend_tests};

backend_tests!(a_price_set_at_the_command_line_prices_estimates);

fn reckon(db: &TestDatabase, args: &[&str]) -> Output {
    db.reckon(args, None)
}

async fn a_price_set_at_the_command_line_prices_estimates(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let refused = reckon(
        &db,
        &[
            "prices",
            "set",
            "--provider",
            "google",
            "--model",
            "gemini-2.5-flash",
            "--from",
            "2026-01-01",
            "--input=-1",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        refused.stderr.contains("--input `-1` is not a price"),
        "{}",
        refused.stderr
    );
    let set = reckon(
        &db,
        &[
            "prices",
            "set",
            "--provider",
            "google",
            "--model",
            "gemini-2.5-flash",
            "--from",
            "2026-01-01",
            "--input",
            "0.60",
            "--cache-read",
            "0.03",
            "--output",
            "2.50",
        ],
    );
    assert!(set.status.success(), "{}", set.stderr);
    let listed = reckon(&db, &["prices", "list"]);
    assert!(listed.status.success(), "{}", listed.stderr);
    let rows: Vec<&str> = listed
        .stdout
        .lines()
        .filter(|l| l.contains("gemini-2.5-flash"))
        .collect();
    assert_eq!(rows.len(), 2, "{}", listed.stdout);
    assert!(
        rows[0].contains("2025-06-17") && rows[0].ends_with("catalogue"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("2026-01-01") && rows[1].contains("0.6") && rows[1].ends_with("override"),
        "{}",
        rows[1]
    );

    let app = TestApp::spawn(&db).await;
    replay(&app, "gemini-cli-0.61.0-http-json-cumulative.jsonl", &key).await;
    let rows = usage(&app, &viewer, "tool").await;
    assert_eq!(rows[0]["estimated_cost_usd"], "0.0004545", "{rows:?}");
}
