//! Records that can never be stored get a permanent, per-record answer (HTTP 200 with
//! `partialSuccess`, never a retryable 503 that would make the exporter resend them forever),
//! on SQLite and PostgreSQL alike: a time before 2020 or more than a day ahead, a NUL byte
//! (PostgreSQL refuses it in text), a text over 256 bytes, a record that would take a stored sum
//! past its bound. The good records beside them are stored.

use reckon_tests::otlp::{claude_code_request, now_ns, one_export, post_logs, setup};
use reckon_tests::{Member, TestApp, TestDatabase, backend_tests};
use serde_json::{Value, json};

backend_tests!(
    unstorable_records_are_rejected_one_by_one_and_the_rest_is_stored,
    records_past_what_a_stored_sum_holds_are_rejected_and_the_rest_is_stored,
);

/// The usage rows by person of the UTC day of `at_ns`.
async fn people_of_the_day(app: &TestApp, viewer: &Member, at_ns: i128) -> Vec<Value> {
    let today = reconciler::UtcDay::from_unix_nanos(at_ns).unwrap();
    let path = format!("/api/v1/usage?from={today}&to={today}&group_by=person");
    let rows: Value = app
        .send(app.authed(reqwest::Method::GET, &path, &viewer.token))
        .await
        .json();
    rows["rows"].as_array().unwrap().clone()
}

/// `request` with the string attribute `key` set to `value`.
fn with_text(mut request: Value, key: &str, value: &str) -> Value {
    let attributes = request["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
        .as_array_mut()
        .unwrap();
    for attribute in attributes.iter_mut() {
        if attribute["key"] == key {
            attribute["value"] = json!({ "stringValue": value });
        }
    }
    request
}

async fn unstorable_records_are_rejected_one_by_one_and_the_rest_is_stored(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    let day_ns: i128 = 86_400_000_000_000;
    let good = claude_code_request(now_ns(), "ann@example.com", 100, None);
    let cases = [
        (
            claude_code_request(1_546_300_800_000_000_000, "ann@example.com", 100, None),
            "dated before 2020",
        ),
        (
            claude_code_request(now_ns() + 2 * day_ns, "ann@example.com", 100, None),
            "more than a day ahead",
        ),
        (
            with_text(
                claude_code_request(now_ns() + 1, "ann@example.com", 100, None),
                "model",
                "claude-sonnet-4-5\u{0}",
            ),
            "the model of a usage record contains a NUL byte",
        ),
        (
            claude_code_request(
                now_ns() + 2,
                &format!("{}@example.com", "a".repeat(300)),
                100,
                None,
            ),
            "the email of a usage record is 312 bytes, more than 256",
        ),
    ];
    // All in one export: each bad record is rejected on its own, the good one stored.
    let mut export = good.clone();
    let logs = export["resourceLogs"].as_array_mut().unwrap();
    for (bad, _) in &cases {
        logs.push(bad["resourceLogs"][0].clone());
    }
    let answer = post_logs(&app, &key, &export).await;
    assert_eq!(
        answer.status(),
        200,
        "a permanent answer, not a retryable one"
    );
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(
        answer["partialSuccess"]["rejectedLogRecords"], "4",
        "{answer}"
    );
    let message = answer["partialSuccess"]["errorMessage"].as_str().unwrap();
    for (_, reason) in &cases {
        assert!(message.contains(reason), "{reason:?} not in {message}");
    }
    // Sent again (as an exporter retrying would): the same answer, nothing counted twice.
    let again = post_logs(&app, &key, &export).await;
    assert_eq!(again.status(), 200);
    let rows = people_of_the_day(&app, &viewer, now_ns()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["records"], 1, "{rows:?}");
    assert_eq!(rows[0]["tokens"]["input"], 100, "{rows:?}");
}

async fn records_past_what_a_stored_sum_holds_are_rejected_and_the_rest_is_stored(
    db: TestDatabase,
) {
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    // 40 requests of one person, model and day, each stating the largest cost a record may (a
    // million dollars): the day's row holds 2^55 nano-dollars, about 36 of them.
    let at = now_ns();
    let export = one_export(
        (0..40).map(|n| claude_code_request(at + n, "ann@example.com", 100, Some("1000000"))),
    );
    for _ in 0..2 {
        // The second time as an exporter retrying would: the same answer, nothing counted twice.
        let answer = post_logs(&app, &key, &export).await;
        assert_eq!(answer.status(), 200, "a permanent answer");
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(
            answer["partialSuccess"]["rejectedLogRecords"], "4",
            "{answer}"
        );
        let message = answer["partialSuccess"]["errorMessage"].as_str().unwrap();
        assert!(
            message.contains("4 × storing this record would take"),
            "{message}"
        );
        let rows = people_of_the_day(&app, &viewer, at).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0]["records"], 36, "{rows:?}");
        assert_eq!(rows[0]["reported_cost_usd"], "36000000.00", "{rows:?}");
    }
    // A thousand more on the full row and one of another person's: the thousand are refused
    // (with the row found full once, not record by record), the other stored.
    let bob = claude_code_request(at + 1_000, "bob@example.com", 100, Some("1"));
    let more =
        one_export(std::iter::once(bob).chain((0..1_000).map(|n| {
            claude_code_request(at + 2_000 + n, "ann@example.com", 100, Some("1000000"))
        })));
    let answer: Value = post_logs(&app, &key, &more).await.json().await.unwrap();
    assert_eq!(
        answer["partialSuccess"]["rejectedLogRecords"], "1000",
        "{answer}"
    );
    let rows = people_of_the_day(&app, &viewer, at).await;
    let records: Vec<_> = rows
        .iter()
        .map(|r| (r["person"].clone(), r["records"].clone()))
        .collect();
    assert_eq!(
        records,
        [
            (json!("ann@example.com"), json!(36)),
            (json!("bob@example.com"), json!(1))
        ]
    );
}
