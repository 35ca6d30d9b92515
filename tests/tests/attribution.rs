//! Attribution through the running server: one person seen under an account id and an email is
//! merged under the email, and usage nobody is known for falls in the `unattributed` bucket.

use reckon_tests::otlp::setup;
use reckon_tests::{TestApp, TestDatabase, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(one_person_under_two_ids_is_merged_and_the_rest_is_unattributed);

/// A Claude Code api_request event with the given identity attributes.
fn event(sequence: i64, identity: &[(&str, &str)]) -> Value {
    let mut attributes = vec![
        json!({ "key": "event.name", "value": { "stringValue": "api_request" } }),
        json!({ "key": "session.id", "value": { "stringValue": format!("s-{sequence}") } }),
        json!({ "key": "event.sequence", "value": { "intValue": sequence } }),
        json!({ "key": "model", "value": { "stringValue": "claude-sonnet-4-5" } }),
        json!({ "key": "input_tokens", "value": { "intValue": 1000 } }),
        json!({ "key": "output_tokens", "value": { "intValue": 10 } }),
        json!({ "key": "cost_usd", "value": { "doubleValue": 0.01 } }),
    ];
    for (key, value) in identity {
        attributes.push(json!({ "key": key, "value": { "stringValue": value } }));
    }
    json!({
        "timeUnixNano": format!("{}", 1_795_314_015_846_000_000i64 + sequence),
        "body": { "stringValue": "claude_code.api_request" },
        "attributes": attributes,
    })
}

async fn one_person_under_two_ids_is_merged_and_the_rest_is_unattributed(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    let records = vec![
        event(
            1,
            &[
                ("user.email", "ann@example.com"),
                ("user.account_uuid", "acct-ann"),
            ],
        ),
        event(2, &[("user.account_uuid", "acct-ann")]),
        event(3, &[]),
    ];
    let export = json!({ "resourceLogs": [{ "resource": { "attributes": [
        { "key": "service.name", "value": { "stringValue": "claude-code" } } ] },
        "scopeLogs": [{ "logRecords": records }] }] });
    let sent = reqwest::Client::new()
        .post(format!("http://{}/v1/logs", app.otlp_http_addr))
        .header("authorization", format!("Bearer {key}"))
        .json(&export)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);

    let response = app
        .send(
            app.request(
                Method::GET,
                "/api/v1/attribution?from=2026-11-01&to=2026-11-30&group_by=person,team",
            )
            .header("authorization", viewer.bearer()),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let rows = response.json::<Value>()["rows"].clone();
    let people: Vec<(Value, Value, Value, Value)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["person"].clone(),
                r["team"].clone(),
                r["records"].clone(),
                r["reported_cost_usd"].clone(),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            (
                json!("ann@example.com"),
                json!("unattributed"),
                json!(2),
                json!("0.02")
            ),
            (
                json!("unattributed"),
                json!("unattributed"),
                json!(1),
                json!("0.01")
            ),
        ]
    );
}
