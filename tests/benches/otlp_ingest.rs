//! OTLP ingest benchmark (a bench binary, not a timed test): the real server, over loopback,
//! receiving Claude-Code-shaped HTTP/protobuf log exports (50 events each) from 8 clients
//! into SQLite with durable acknowledgements; then, in the same run, the same rows stored by the
//! storage layer directly into a fresh SQLite file in large batches (the raw insert rate). Prints
//! both rates, their ratio, and the server's peak RSS.
//!
//! `cargo bench -p reckon-tests --bench otlp_ingest` (RECKON_TEST_BENCH_EXPORTS, RECKON_TEST_BENCH_CLIENTS
//! change the load; RECKON_TEST_BENCH_ROUNDS, default 5, how many times both are measured: the
//! medians are reported).
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::float_arithmetic,
    reason = "rates and sizes for the report, not money"
)]

use std::sync::Arc;
use std::time::Instant;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use reckon_server::accounts::{Acting, create_telemetry_key};
use reckon_server::storage::UsageBatch;
use reckon_tests::{TestApp, TestDatabase};

const EVENTS_PER_EXPORT: usize = 50;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn text(key: &str, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::IntValue(value)),
        }),
        ..KeyValue::default()
    }
}

/// Export `n` of client `c`: 50 api_request events of one session and person.
fn export(c: usize, n: usize) -> ExportLogsServiceRequest {
    let records = (0..EVENTS_PER_EXPORT)
        .map(|i| LogRecord {
            time_unix_nano: 1_795_314_015_846_000_000
                + u64::try_from(n * EVENTS_PER_EXPORT + i).unwrap_or_default(),
            body: Some(AnyValue {
                value: Some(Value::StringValue("claude_code.api_request".into())),
            }),
            attributes: vec![
                text("event.name", "api_request"),
                text("session.id", format!("session-{c}-{}", n / 20)),
                text("prompt.id", format!("prompt-{c}-{n}-{i}")),
                int("event.sequence", i64::try_from(i).unwrap_or_default()),
                text("user.email", format!("dev{c}@example.com")),
                text("model", "claude-sonnet-4-5"),
                int("input_tokens", 1200),
                int("output_tokens", 37),
                int("cache_read_tokens", 4500),
                int("cache_creation_tokens", 300),
                KeyValue {
                    key: "cost_usd".into(),
                    value: Some(AnyValue {
                        value: Some(Value::DoubleValue(0.00663)),
                    }),
                    ..KeyValue::default()
                },
            ],
            ..LogRecord::default()
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", "claude-code"),
                    text("team.id", "platform"),
                ],
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports in clock ticks of 1/100 s (USER_HZ) on every mainstream configuration.
    Some(ticks / 100.0)
}

struct EndToEnd {
    events_per_second: f64,
    peak_rss_kib: Option<u64>,
    /// Server CPU time per event, in microseconds.
    server_cpu_us: Option<f64>,
}

async fn end_to_end(clients: usize, exports: usize) -> EndToEnd {
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let (_, key) = create_telemetry_key(storage.as_ref(), org.id, "bench", &Acting::cli())
        .await
        .unwrap();
    storage.close().await;
    let app = TestApp::spawn(&db).await;
    let url = format!("http://{}/v1/logs", app.otlp_http_addr);
    let bodies: Arc<Vec<Vec<Vec<u8>>>> = Arc::new(
        (0..clients)
            .map(|c| {
                (0..exports / clients)
                    .map(|n| export(c, n).encode_to_vec())
                    .collect()
            })
            .collect(),
    );
    let cpu_before = app.pid().and_then(cpu_seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (bodies, url, key) = (bodies.clone(), url.clone(), key.clone());
            tokio::spawn(async move {
                let client = test_tls::https_client();
                for body in &bodies[c] {
                    let response = client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .header("authorization", format!("Bearer {key}"))
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let events = (exports / clients * clients * EVENTS_PER_EXPORT) as f64;
    let cpu_after = app.pid().and_then(cpu_seconds);
    EndToEnd {
        events_per_second: events / seconds,
        peak_rss_kib: app.pid().and_then(peak_rss_kib),
        server_cpu_us: cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before) / events * 1e6),
    }
}

async fn storage_only(clients: usize, exports: usize) -> f64 {
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let (key, _) = create_telemetry_key(storage.as_ref(), org.id, "bench", &Acting::cli())
        .await
        .unwrap();
    let batches: Vec<_> = (0..clients)
        .flat_map(|c| {
            (0..exports / clients).map(move |n| {
                otlp_receiver::map_logs(&export(c, n), &otlp_receiver::WorkLimits::default())
                    .records
            })
        })
        .collect();
    let started = Instant::now();
    // The same rows in the largest groups the server commits together (100 exports, 5,000 rows).
    for group in batches.chunks(100) {
        let group: Vec<UsageBatch<'_>> = group
            .iter()
            .map(|records| UsageBatch {
                org_id: org.id,
                telemetry_key_id: key.id,
                records,
            })
            .collect();
        storage.store_usage(&group).await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    storage.close().await;
    (batches.len() * EVENTS_PER_EXPORT) as f64 / seconds
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn main() {
    let clients = env_number("RECKON_TEST_BENCH_CLIENTS", 8);
    let exports = env_number("RECKON_TEST_BENCH_EXPORTS", 2_000);
    let rounds = env_number("RECKON_TEST_BENCH_ROUNDS", 5).max(1);
    // One thread for the load: the clients only send bodies encoded beforehand, and on a
    // two-core machine every extra runnable thread delays the server's own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // For profiling the storage layer alone (e.g. under callgrind).
        if std::env::var("RECKON_TEST_BENCH_ONLY").as_deref() == Ok("storage") {
            let raw = storage_only(clients, exports).await;
            println!("storage only: {raw:.0} events/s");
            return;
        }
        println!(
            "otlp ingest: {exports} exports x {EVENTS_PER_EXPORT} events, {clients} clients, SQLite, durable acks, {rounds} rounds"
        );
        // The two measurements alternate, so that a slow spell of the machine touches both.
        let (mut e2e, mut raw, mut ratios, mut cpu) = (vec![], vec![], vec![], vec![]);
        let mut peak_rss_kib = None;
        for round in 1..=rounds {
            let measured = end_to_end(clients, exports).await;
            let stored = storage_only(clients, exports).await;
            let ratio = measured.events_per_second / stored;
            println!(
                "round {round}: end to end {:.0} events/s, storage only {stored:.0} events/s, ratio {ratio:.2}",
                measured.events_per_second
            );
            e2e.push(measured.events_per_second);
            raw.push(stored);
            ratios.push(ratio);
            cpu.extend(measured.server_cpu_us);
            peak_rss_kib = peak_rss_kib.max(measured.peak_rss_kib);
        }
        println!("median end to end (HTTP/protobuf -> server -> SQLite): {:.0} events/s", median(&mut e2e));
        println!("median storage only (same rows, 5,000 per transaction, no HTTP): {:.0} events/s", median(&mut raw));
        println!("median ratio end-to-end / storage-only: {:.2}", median(&mut ratios));
        if !cpu.is_empty() {
            println!("median server CPU per event: {:.1} µs", median(&mut cpu));
        }
        match peak_rss_kib {
            Some(kib) => println!("server peak RSS (highest round): {:.1} MiB", kib as f64 / 1024.0),
            None => println!("server peak RSS: unavailable"),
        }
    });
}
