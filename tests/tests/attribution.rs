//! Attribution through the running server: one person seen under an account id and an email is
//! merged under the email, usage nobody is known for falls in the `unattributed` bucket, and a
//! whole month read from its monthly sums gives what its days give.

use reckon_server::auth::Role;
use reckon_tests::otlp::{send_logs, setup};
use reckon_tests::{TestApp, TestDatabase, add_member, backend_tests};
use std::collections::BTreeMap;

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

backend_tests!(
    one_person_under_two_ids_is_merged_and_the_rest_is_unattributed,
    a_whole_month_priced_from_its_sums_equals_its_days_priced_one_by_one
);

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

/// Sends Claude Code log records in one OTLP/JSON export with the telemetry key.
async fn send_records(app: &TestApp, key: &str, records: Vec<Value>) {
    let export = json!({ "resourceLogs": [{ "resource": { "attributes": [
        { "key": "service.name", "value": { "stringValue": "claude-code" } } ] },
        "scopeLogs": [{ "logRecords": records }] }] });
    send_logs(app, key, &export).await;
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
    send_records(&app, &key, records).await;

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

/// A Claude Code api_request `days` days after 22 Nov 2026, without a cost unless `cost_usd`.
fn on_day(
    days: i64,
    tokens: (i64, i64),
    cost_usd: Option<f64>,
    identity: &[(&str, &str)],
) -> Value {
    let mut record = event(days + 100, identity);
    record["timeUnixNano"] = json!(format!(
        "{}",
        1_795_314_015_846_000_000i64 + days * 86_400_000_000_000
    ));
    let attributes = record["attributes"].as_array_mut().unwrap();
    attributes.retain(|a| {
        !["cost_usd", "input_tokens", "output_tokens"].contains(&a["key"].as_str().unwrap())
    });
    attributes.push(json!({ "key": "input_tokens", "value": { "intValue": tokens.0 } }));
    attributes.push(json!({ "key": "output_tokens", "value": { "intValue": tokens.1 } }));
    if let Some(cost) = cost_usd {
        attributes.push(json!({ "key": "cost_usd", "value": { "doubleValue": cost } }));
    }
    record
}

/// (person, label, records, reported cost, estimated cost).
type PersonRow = (String, String, i64, Value, Value);

/// Attribution by person of November as (person, label, records, reported, estimated), read
/// whole and read per day then summed (the sums per day added as exact decimals).
async fn november_by_person(
    app: &TestApp,
    reader: &reckon_tests::Member,
) -> (Vec<PersonRow>, Vec<PersonRow>) {
    let rows = |group_by: &str| {
        let path = format!("/api/v1/attribution?from=2026-11-01&to=2026-11-30&group_by={group_by}");
        async move {
            let response = app
                .send(app.authed(Method::GET, &path, &reader.token))
                .await;
            assert_eq!(response.status, 200, "{}", response.body);
            response.json::<Value>()["rows"].as_array().unwrap().clone()
        }
    };
    let row = |r: &Value| {
        (
            r["person"].as_str().unwrap().to_owned(),
            r["label"].as_str().unwrap().to_owned(),
            r["records"].as_i64().unwrap(),
            r["reported_cost_usd"].clone(),
            r["estimated_cost_usd"].clone(),
        )
    };
    let whole: Vec<_> = rows("person").await.iter().map(row).collect();
    type Sums = (i64, Option<Decimal>, Option<Decimal>);
    let mut summed: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let add = |sum: &mut Option<Decimal>, value: &Value| {
        if let Some(text) = value.as_str() {
            *sum = Some(sum.unwrap_or_default() + text.parse::<Decimal>().unwrap());
        }
    };
    for r in rows("person,day").await {
        let (person, label, records, reported, estimated) = row(&r);
        let entry = summed.entry((person, label)).or_default();
        entry.0 += records;
        add(&mut entry.1, &reported);
        add(&mut entry.2, &estimated);
    }
    let money =
        |sum: Option<Decimal>| sum.map_or(Value::Null, |d| json!(d.normalize().to_string()));
    let by_day = summed
        .into_iter()
        .map(|((person, label), (records, reported, estimated))| {
            (person, label, records, money(reported), money(estimated))
        })
        .collect();
    (whole, by_day)
}

async fn a_whole_month_priced_from_its_sums_equals_its_days_priced_one_by_one(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let admin = add_member(storage.as_ref(), org.id, Role::Admin, "admin@example.com").await;
    storage.close().await;
    let app = TestApp::spawn(&db).await;
    let ann = [
        ("user.email", "ann@example.com"),
        ("user.account_uuid", "acct-ann"),
    ];
    let records = vec![
        on_day(-19, (1_000, 10), None, &ann),
        on_day(-2, (2_000, 20), None, &[("user.account_uuid", "acct-ann")]),
        on_day(0, (3_000, 10), None, &[("user.email", "bob@example.com")]),
        on_day(3, (5, 5), Some(0.01), &[("user.email", "bob@example.com")]),
        // 1 December: outside the month.
        on_day(9, (7_000, 0), None, &ann),
    ];
    send_records(&app, &key, records).await;

    // One list price all month ($3 input, $15 output per million): read from the monthly sums.
    let expected = |ann: &str, bob: &str| {
        vec![
            (
                "ann@example.com".to_owned(),
                "estimated".to_owned(),
                2,
                Value::Null,
                json!(ann),
            ),
            (
                "bob@example.com".to_owned(),
                "estimated".to_owned(),
                1,
                Value::Null,
                json!(bob),
            ),
            (
                "bob@example.com".to_owned(),
                "reported".to_owned(),
                1,
                json!("0.01"),
                Value::Null,
            ),
        ]
    };
    let (whole, by_day) = november_by_person(&app, &viewer).await;
    // Ann: 3,000 input and 30 output; Bob: 3,000 input and 10 output.
    assert_eq!(whole, expected("0.00945", "0.00915"));
    assert_eq!(by_day, whole);

    // A price from 10 November ($100 input, $200 output): the month is read day by day, Ann's
    // 3 November at the list price and the rest at the new one.
    let response = app
        .send(
            app.authed(Method::POST, "/api/v1/prices", &admin.token)
                .json(&json!({
                    "provider": "anthropic",
                    "model": "claude-sonnet-4-5",
                    "effective_from": "2026-11-10",
                    "input_per_million_usd": "100",
                    "output_per_million_usd": "200",
                })),
        )
        .await;
    assert!((200..300).contains(&response.status), "{}", response.body);
    let (whole, by_day) = november_by_person(&app, &viewer).await;
    // Ann: 0.003 + 0.00015 on the 3rd, 0.2 + 0.004 on the 20th; Bob: 0.3 + 0.002.
    assert_eq!(whole, expected("0.20715", "0.302"));
    assert_eq!(by_day, whole);

    // A new export is in the next reading (readings are kept only while usage is unchanged).
    let later = on_day(1, (1_000, 0), None, &[("user.email", "bob@example.com")]);
    send_records(&app, &key, vec![later]).await;
    let (whole, by_day) = november_by_person(&app, &viewer).await;
    let bob = &whole[1];
    assert_eq!((bob.2, &bob.4), (2, &json!("0.402")), "{whole:?}");
    assert_eq!(by_day, whole);
}
