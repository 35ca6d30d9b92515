//! Bad exports get their status and a clear message, and leave every stored total unchanged;
//! metrics that arrive before their session's events are counted, then replaced by the events.

use std::io::Write;

use reckon_server::accounts::{Acting, revoke_telemetry_key};
use reckon_tests::otlp::{fixture, replay, setup, usage};
use reckon_tests::{TestApp, TestDatabase};
use serde_json::{Value, json};

struct Attempt {
    what: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    message: &'static str,
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn bad_exports_are_refused_and_change_nothing() {
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let (revoked, revoked_key) = reckon_server::accounts::create_telemetry_key(
        storage.as_ref(),
        org.id,
        "old laptop",
        &Acting::cli(),
    )
    .await
    .unwrap();
    revoke_telemetry_key(storage.as_ref(), org.id, revoked.id, &Acting::cli())
        .await
        .unwrap();
    let app = TestApp::spawn_with(
        &db,
        &[
            "--otlp-max-body-bytes",
            "200000",
            "--otlp-max-decompressed-bytes",
            "1000000",
        ],
        &[],
    )
    .await;
    replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    let before = usage(&app, &viewer, "tool,model,person").await;
    assert_eq!(before.len(), 1);

    let bearer = |k: &str| ("authorization", format!("Bearer {k}"));
    let json_type = ("content-type", "application/json".to_owned());
    let proto_type = ("content-type", "application/x-protobuf".to_owned());
    let logs = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1795314015846000000","body":{"stringValue":"claude_code.api_request"},"attributes":[{"key":"event.name","value":{"stringValue":"api_request"}},{"key":"model","value":{"stringValue":"claude-sonnet-4-5"}},{"key":"session.id","value":{"stringValue":"s-bad"}},{"key":"input_tokens","value":{"intValue":"12x"}},{"key":"output_tokens","value":{"intValue":"5"}}]}]}]}]}"#;
    let attempts = vec![
        Attempt {
            what: "no key",
            path: "/v1/logs",
            headers: vec![json_type.clone()],
            body: b"{}".to_vec(),
            status: 401,
            message: "telemetry key",
        },
        Attempt {
            what: "unknown key",
            path: "/v1/logs",
            headers: vec![json_type.clone(), bearer("rk_tel_unknown")],
            body: b"{}".to_vec(),
            status: 401,
            message: "telemetry key",
        },
        Attempt {
            what: "revoked key",
            path: "/v1/logs",
            headers: vec![json_type.clone(), bearer(&revoked_key)],
            body: b"{}".to_vec(),
            status: 401,
            message: "revoked",
        },
        Attempt {
            what: "truncated protobuf",
            path: "/v1/logs",
            headers: vec![proto_type.clone(), bearer(&key)],
            body: vec![0x0a, 0xff, 0x01, 0x02],
            status: 400,
            message: "protobuf body is malformed",
        },
        Attempt {
            what: "invalid JSON",
            path: "/v1/metrics",
            headers: vec![json_type.clone(), bearer(&key)],
            body: b"{\"resourceMetrics\": [".to_vec(),
            status: 400,
            message: "JSON body is malformed",
        },
        Attempt {
            what: "wrong content type",
            path: "/v1/logs",
            headers: vec![("content-type", "text/plain".into()), bearer(&key)],
            body: b"hello".to_vec(),
            status: 415,
            message: "unsupported content type",
        },
        Attempt {
            what: "oversize",
            path: "/v1/logs",
            headers: vec![json_type.clone(), bearer(&key)],
            body: vec![b' '; 300_000],
            status: 413,
            message: "larger than 200000 bytes as sent",
        },
        Attempt {
            what: "gzip bomb",
            path: "/v1/logs",
            headers: vec![
                json_type.clone(),
                bearer(&key),
                ("content-encoding", "gzip".into()),
            ],
            body: gzip(&vec![b' '; 50_000_000]),
            status: 413,
            message: "after decompression",
        },
        Attempt {
            what: "snake_case JSON",
            path: "/v1/logs",
            headers: vec![json_type.clone(), bearer(&key)],
            body: br#"{"resource_logs":[]}"#.to_vec(),
            status: 400,
            message: "camelCase",
        },
    ];
    let client = reckon_tests::http_client();
    for attempt in attempts {
        let mut request = client
            .post(format!("http://{}{}", app.otlp_http_addr, attempt.path))
            .body(attempt.body);
        for (name, value) in &attempt.headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, attempt.status, "{}: {body}", attempt.what);
        assert!(body.contains(attempt.message), "{}: {body}", attempt.what);
        assert!(
            !body.contains(&key),
            "{}: the key is never echoed",
            attempt.what
        );
    }

    // A record whose token count the proto crate would read as "no value" is rejected, not zero.
    let response = client
        .post(format!("http://{}/v1/logs", app.otlp_http_addr))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(logs.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["partialSuccess"]["rejectedLogRecords"],
        json!("1"),
        "{answer}"
    );
    let message = answer["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(message.contains("input_tokens"), "{message}");

    assert_eq!(
        usage(&app, &viewer, "tool,model,person").await,
        before,
        "every total unchanged"
    );
    let keys = storage.telemetry_keys(org.id).await.unwrap();
    assert!(
        keys.iter()
            .find(|k| k.id != revoked.id)
            .unwrap()
            .last_used_at_ms
            .is_some(),
        "use is recorded"
    );
}

#[tokio::test]
async fn metrics_before_events_count_until_the_events_arrive() {
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    let file = "claude-code-2.1.328-http-json-delta.jsonl";
    let lines = fixture(file);
    let metrics = lines.iter().find(|l| l["path"] == "/v1/metrics").unwrap();
    let sent = reckon_tests::http_client()
        .post(format!("http://{}/v1/metrics", app.otlp_http_addr))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(serde_json::to_vec(&metrics["body"]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let from_metrics = usage(&app, &viewer, "tool,model").await;
    assert_eq!(from_metrics[0]["tokens"]["input"], 1200, "{from_metrics:?}");
    assert_eq!(from_metrics[0]["reported_cost_usd"], "0.00663");
    replay(&app, file, &key).await;
    let after = usage(&app, &viewer, "tool,model").await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(
        after[0]["tokens"]["input"], 1200,
        "counted once: the event replaced the metric"
    );
    assert_eq!(after[0]["records"], 1);
    assert_eq!(after[0]["reported_cost_usd"], "0.00663");
}

/// Prompts, responses and command lines in the telemetry never reach the database.
#[tokio::test]
async fn prompt_and_response_text_is_never_stored() {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    for file in [
        "gemini-cli-0.61.0-http-json-cumulative.jsonl",
        "codex-0.169.0-http-json-delta-chatgpt-login.jsonl",
    ] {
        replay(&app, file, &key).await;
    }
    let status = app.stop().await;
    assert!(status.success());
    let file = db.url().sqlite_file().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend(std::fs::read(file.with_extension("db-wal")).unwrap_or_default());
    let stored = String::from_utf8_lossy(&bytes);
    assert!(stored.contains("gemini-2.5-flash"), "the usage is there");
    for secret in [
        "Say hello to the acceptance test",
        "candidates",
        "/home/dev",
    ] {
        assert!(!stored.contains(secret), "{secret:?} was stored");
    }
}

#[tokio::test]
async fn a_rejected_value_is_never_echoed_or_logged_whole() {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    // A token count that is 10,000 characters of text: rejected, quoting it.
    let mut body = reckon_tests::otlp::claude_code_request(
        1_795_314_015_846_000_000,
        "ann@example.com",
        10,
        None,
    );
    let attributes = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
        .as_array_mut()
        .unwrap();
    for attribute in attributes.iter_mut() {
        if attribute["key"] == "input_tokens" {
            attribute["value"] = json!({ "stringValue": "Z".repeat(10_000) });
        }
    }
    let answer = reckon_tests::http_client()
        .post(format!("{}/v1/logs", app.otlp_http_url()))
        .header("authorization", format!("Bearer {key}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    let message = answer["partialSuccess"]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("input_tokens"), "{answer}");
    assert!(message.contains('…'), "{message}");
    assert!(
        message.chars().count() <= 200,
        "{} characters",
        message.chars().count()
    );
    let whole = "Z".repeat(200);
    for line in app.logs() {
        assert!(
            !line.to_string().contains(&whole),
            "a log line holds the value: {line}"
        );
    }
}

/// Keys are remembered for a few seconds to spare the database a lookup per export; revoking
/// one through the server forgets it at once: the next export with it is refused.
#[tokio::test]
async fn a_key_revoked_through_the_server_is_refused_at_once() {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let admin = reckon_tests::add_member(
        storage.as_ref(),
        org.id,
        reckon_server::auth::Role::Admin,
        "admin@example.com",
    )
    .await;
    storage.close().await;
    let app = TestApp::spawn(&db).await;
    let send = async || {
        let export = reckon_tests::otlp::claude_code_request(
            reckon_tests::otlp::now_ns(),
            "ann@example.com",
            10,
            None,
        );
        let answer = reckon_tests::otlp::post_logs(&app, &key, &export).await;
        answer.status().as_u16()
    };
    assert_eq!(send().await, 200);
    assert_eq!(send().await, 200);
    let keys: Value = app
        .send(app.authed(reqwest::Method::GET, "/api/v1/telemetry-keys", &admin.token))
        .await
        .json();
    let id = keys["telemetry_keys"][0]["id"].as_i64().unwrap();
    let revoked = app
        .send(app.authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/telemetry-keys/{id}"),
            &admin.token,
        ))
        .await;
    assert!(revoked.status < 300, "{}", revoked.status);
    assert_eq!(send().await, 401);
}

/// The work limits are settings: lowered, an export with more records than allowed is refused
/// with 400 and a record with more attributes is rejected on its own, the rest stored.
#[tokio::test]
async fn lowered_work_limits_refuse_exports_and_reject_items_as_set() {
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn_with(
        &db,
        &["--otlp-max-entries", "3", "--otlp-max-attributes", "16"],
        &[],
    )
    .await;
    let at = reckon_tests::otlp::now_ns();
    let request =
        |n: i128| reckon_tests::otlp::claude_code_request(at + n, "ann@example.com", 10, None);
    let with_records = |count: i128, extra: usize| {
        let mut export = reckon_tests::otlp::one_export((0..count).map(request));
        let attributes = export["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
            .as_array_mut()
            .unwrap();
        for n in 0..extra {
            attributes.push(json!({ "key": format!("x.{n}"), "value": { "stringValue": "x" } }));
        }
        export
    };
    let post = async |export: &Value| {
        let answer = reckon_tests::otlp::post_logs(&app, &key, export).await;
        (
            answer.status().as_u16(),
            answer.json::<Value>().await.unwrap(),
        )
    };
    let (status, body) = post(&with_records(4, 0)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("more than 3 records"),
        "{body}"
    );
    let (status, body) = post(&with_records(3, 16)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["partialSuccess"]["rejectedLogRecords"], "1", "{body}");
    let message = body["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(message.contains("more than 16"), "{message}");
    let today = reconciler::UtcDay::from_unix_nanos(at).unwrap();
    let path = format!("/api/v1/usage?from={today}&to={today}&group_by=person");
    let rows: Value = app
        .send(app.authed(reqwest::Method::GET, &path, &viewer.token))
        .await
        .json();
    assert_eq!(rows["rows"][0]["records"], 2, "{rows}");
}
