//! Killing the server (SIGKILL) in the middle of a sustained export from several clients loses
//! no acknowledged export, and re-sending everything after the restart counts nothing twice.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reckon_tests::otlp::{setup, usage};
use reckon_tests::{TestApp, TestDatabase};
use serde_json::{Value, json};

const CLIENTS: usize = 4;
const EVENTS_PER_EXPORT: u64 = 5;

/// An export of `EVENTS_PER_EXPORT` Claude Code api_request events, attributed to a person of
/// its own so that each export can be found in the usage afterwards.
fn export(client: usize, n: usize) -> Value {
    let records: Vec<Value> = (0..EVENTS_PER_EXPORT)
        .map(|i| {
            json!({
                "timeUnixNano": format!("{}", 1_795_314_015_846_000_000u64 + i),
                "body": { "stringValue": "claude_code.api_request" },
                "attributes": [
                    { "key": "event.name", "value": { "stringValue": "api_request" } },
                    { "key": "session.id", "value": { "stringValue": format!("session-{client}") } },
                    { "key": "prompt.id", "value": { "stringValue": format!("prompt-{client}-{n}-{i}") } },
                    { "key": "event.sequence", "value": { "intValue": i } },
                    { "key": "user.email", "value": { "stringValue": format!("c{client}-e{n}@example.com") } },
                    { "key": "model", "value": { "stringValue": "claude-sonnet-4-5" } },
                    { "key": "input_tokens", "value": { "intValue": 100 } },
                    { "key": "output_tokens", "value": { "intValue": 10 } },
                    { "key": "cost_usd", "value": { "doubleValue": 0.0003 } }
                ]
            })
        })
        .collect();
    json!({ "resourceLogs": [{ "resource": { "attributes": [
        { "key": "service.name", "value": { "stringValue": "claude-code" } } ] },
        "scopeLogs": [{ "logRecords": records }] }] })
}

async fn send(addr: std::net::SocketAddr, key: &str, body: &Value) -> bool {
    let sent = reckon_tests::http_client()
        .post(format!("http://{addr}/v1/logs"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .json(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    matches!(sent, Ok(response) if response.status() == 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_exports_survive_a_kill_exactly_once() {
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let mut app = TestApp::spawn(&db).await;
    let addr = app.otlp_http_addr;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let attempted = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (key, acked, attempted) = (key.clone(), acked.clone(), attempted.clone());
            tokio::spawn(async move {
                // Bounded: at most 2,000 exports per client, and it stops at the first failure.
                for n in 0..2_000 {
                    attempted.lock().unwrap().push((client, n));
                    if !send(addr, &key, &export(client, n)).await {
                        break;
                    }
                    acked.lock().unwrap().push((client, n));
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.kill();
    for client in clients {
        client.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let attempted = attempted.lock().unwrap().clone();
    assert!(
        acked.len() >= CLIENTS * 5,
        "the load ran: {} exports acknowledged",
        acked.len()
    );
    eprintln!(
        "killed after {} acknowledged exports of {} attempted",
        acked.len(),
        attempted.len()
    );

    let app = TestApp::spawn(&db).await;
    let rows = usage(&app, &viewer, "person").await;
    let records_of = |rows: &[Value], person: &str| {
        rows.iter().find(|r| r["person"] == person).map(|r| {
            (
                r["records"].as_i64().unwrap(),
                r["tokens"]["input"].as_u64().unwrap(),
            )
        })
    };
    for (client, n) in &acked {
        let person = format!("c{client}-e{n}@example.com");
        assert_eq!(
            records_of(&rows, &person),
            Some((5, 500)),
            "acknowledged export {person}"
        );
    }
    // Clients re-send what they sent before the crash: nothing is counted twice.
    for (client, n) in &attempted {
        assert!(send(app.otlp_http_addr, &key, &export(*client, *n)).await);
    }
    let rows = usage(&app, &viewer, "person").await;
    assert_eq!(rows.len(), attempted.len());
    for (client, n) in &attempted {
        let person = format!("c{client}-e{n}@example.com");
        assert_eq!(records_of(&rows, &person), Some((5, 500)), "{person}");
    }
}
