//! What hostile OTLP clients cost the real server (a bench binary, not a timed test): each
//! scenario against a fresh `reckon serve` on loopback, its peak RSS (VmHWM) before and after,
//! and how long until every answer (or close) came; the median of the rounds is printed.
//!
//! - four unauthenticated OTLP/gRPC calls at once, each a 16 KB gzip frame that inflates to
//!   16 MiB of empty `ResourceLogs` entries (target: under 64 MiB of growth);
//! - one authenticated OTLP/HTTP protobuf body, gzip, inflating to 32 MiB of empty
//!   `ResourceLogs` entries (target: answered within 10 s, under 512 MiB of growth); the same
//!   as one authenticated gRPC call; and an OTLP/JSON body inflating to 60 MiB of empty records;
//! - 300 connections that never send a byte, against the default timeouts, while one real
//!   export is sent (target: the export stored at once, every idle connection closed within 60 s);
//! - `/healthz`, the reconciliation API and the Reconciliation page, p50 and p95, first idle and
//!   then while 8 clients send
//!   exports as fast as they are answered (the receiver saturated).
//!
//! `cargo bench -p reckon-tests --bench otlp_hostile` (RECKON_TEST_BENCH_ROUNDS, default 3).
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::float_arithmetic,
    reason = "sizes and durations for the report, not money"
)]

use std::io::Write;
use std::time::{Duration, Instant};

use reckon_tests::otlp::{claude_code_request, send_logs, setup};
use reckon_tests::{TestApp, TestDatabase};
use tokio::io::AsyncReadExt;

fn peak_rss_mib(app: &TestApp) -> f64 {
    let pid = app.pid().expect("the server runs");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// gzip of `entries` empty `ResourceLogs` (field 1, length 0), the body of an export request.
fn gzip_of_empty_entries(entries: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = [0x0a, 0x00].repeat(64 * 1024);
    for _ in 0..entries / (64 * 1024) {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.finish().unwrap()
}

struct Outcome {
    growth_mib: f64,
    seconds: f64,
    answers: String,
}

/// `calls` gRPC calls at once, each a gzip frame of `entries` empty entries, with `key` if any.
async fn grpc_bombs(calls: usize, entries: usize, authenticated: bool) -> Outcome {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    let compressed = gzip_of_empty_entries(entries);
    let mut frame = vec![1u8];
    frame.extend_from_slice(&u32::try_from(compressed.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&compressed);
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let before = peak_rss_mib(&app);
    let started = Instant::now();
    let calls = (0..calls).map(|_| {
        let request = client
            .post(format!(
                "http://{}/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                app.otlp_grpc_addr
            ))
            .header("content-type", "application/grpc")
            .header("grpc-encoding", "gzip")
            .header("te", "trailers")
            .body(frame.clone());
        match authenticated {
            true => request.header("authorization", format!("Bearer {key}")),
            false => request,
        }
        .send()
    });
    let answers = futures::future::join_all(calls).await;
    let seconds = started.elapsed().as_secs_f64();
    let answers = answers
        .into_iter()
        .map(|a| match a {
            Ok(r) => format!(
                "grpc-status {}",
                r.headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
            ),
            Err(e) => format!("error {e}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Outcome {
        growth_mib: peak_rss_mib(&app) - before,
        seconds,
        answers,
    }
}

async fn authenticated_http_bomb() -> Outcome {
    post_gzip(
        "application/x-protobuf",
        gzip_of_empty_entries(16 * 1024 * 1024),
    )
    .await
}

/// One authenticated OTLP/HTTP export of `content_type`, gzip, to a fresh server.
async fn post_gzip(content_type: &str, body: Vec<u8>) -> Outcome {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    let before = peak_rss_mib(&app);
    let started = Instant::now();
    let answer = reckon_tests::http_client()
        .post(format!("{}/v1/logs", app.otlp_http_url()))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", content_type)
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let answers = match answer {
        Ok(r) => format!("HTTP {}", r.status().as_u16()),
        Err(e) => format!("error {e}"),
    };
    Outcome {
        growth_mib: peak_rss_mib(&app) - before,
        seconds,
        answers,
    }
}

/// One authenticated OTLP/JSON body, gzip, inflating to 60 MiB of empty log records (`{}`),
/// which a whole-document `serde_json::Value` would hold at about 32 bytes each and prost at
/// a LogRecord each.
async fn authenticated_json_flood() -> Outcome {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}"#)
        .unwrap();
    let chunk = b",{}".repeat(64 * 1024);
    for _ in 0..(60 * 1024 * 1024) / chunk.len() {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.write_all(b"]}]}]}").unwrap();
    post_gzip("application/json", encoder.finish().unwrap()).await
}

async fn idle_connections() -> Outcome {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    let before = peak_rss_mib(&app);
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(
            tokio::net::TcpStream::connect(app.otlp_http_addr)
                .await
                .unwrap(),
        );
    }
    let started = Instant::now();
    let now = reckon_tests::otlp::now_ns();
    send_logs(
        &app,
        &key,
        &claude_code_request(now, "ann@example.com", 10, None),
    )
    .await;
    let stored_after = started.elapsed().as_secs_f64();
    let closing = idle.into_iter().map(|mut stream| async move {
        let mut buffer = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(120), stream.read(&mut buffer)).await;
        closed.is_ok()
    });
    let closed = futures::future::join_all(closing).await;
    let seconds = started.elapsed().as_secs_f64();
    Outcome {
        growth_mib: peak_rss_mib(&app) - before,
        seconds,
        answers: format!(
            "export stored after {stored_after:.3} s; {} of 300 closed by the server",
            closed.iter().filter(|c| **c).count()
        ),
    }
}

/// Latencies (ms) of `path` asked every 20 ms for `for_how_long`.
async fn latencies(app: &TestApp, path: &str, token: &str, for_how_long: Duration) -> Vec<f64> {
    let client = reckon_tests::http_client();
    let until = Instant::now() + for_how_long;
    let mut samples = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        let answer = client
            .get(app.url(path))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    samples
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let index = ((values.len() - 1) as f64 * p).round() as usize;
    values[index]
}

/// The web side's latency idle and with the receiver saturated by 8 clients.
async fn responsiveness() {
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    let month = time::OffsetDateTime::now_utc().date();
    let month = format!("{}-{:02}", month.year(), u8::from(month.month()));
    let reconciliation = format!("/api/v1/reconciliation?from={month}&to={month}");
    let window = Duration::from_secs(5);
    let page = format!("/spend/reconciliation?month={month}");
    let idle_health = latencies(&app, "/healthz", &viewer.token, window).await;
    let idle_api = latencies(&app, &reconciliation, &viewer.token, window).await;
    let idle_page = latencies(&app, &page, &viewer.token, window).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = Vec::new();
    for c in 0..8i128 {
        let (stop, sent) = (stop.clone(), sent.clone());
        let url = format!("{}/v1/logs", app.otlp_http_url());
        let key = key.clone();
        clients.push(tokio::spawn(async move {
            let client = reckon_tests::http_client();
            let base = reckon_tests::otlp::now_ns();
            let mut n = 0i128;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body =
                    claude_code_request(base + c * 1_000_000_000 + n, "ann@example.com", 10, None);
                let _ = client
                    .post(&url)
                    .header("authorization", format!("Bearer {key}"))
                    .json(&body)
                    .send()
                    .await;
                sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    let busy_health = latencies(&app, "/healthz", &viewer.token, window).await;
    let busy_api = latencies(&app, &reconciliation, &viewer.token, window).await;
    let busy_page = latencies(&app, &page, &viewer.token, window).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        let _ = client.await;
    }
    let exports = sent.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "responsiveness, idle vs 8 saturating clients ({exports} exports sent in {} s):",
        3 * window.as_secs()
    );
    for (name, idle, busy) in [
        ("/healthz", idle_health, busy_health),
        ("reconciliation API", idle_api, busy_api),
        ("Reconciliation page", idle_page, busy_page),
    ] {
        let (idle50, idle95) = (percentile(idle.clone(), 0.5), percentile(idle, 0.95));
        let (busy50, busy95) = (percentile(busy.clone(), 0.5), percentile(busy, 0.95));
        println!(
            "  {name}: idle p50 {idle50:.2} ms p95 {idle95:.2} ms; saturated p50 {busy50:.2} ms p95 {busy95:.2} ms (p95 ratio {:.1})",
            busy95 / idle95
        );
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(name: &str, outcomes: &[Outcome]) {
    let growth = median(outcomes.iter().map(|o| o.growth_mib).collect());
    let seconds = median(outcomes.iter().map(|o| o.seconds).collect());
    println!("{name}: median peak RSS growth {growth:.1} MiB, median {seconds:.2} s");
    for (round, outcome) in outcomes.iter().enumerate() {
        println!(
            "  round {}: +{:.1} MiB, {:.2} s, {}",
            round + 1,
            outcome.growth_mib,
            outcome.seconds,
            outcome.answers
        );
    }
}

fn main() {
    let rounds: usize = std::env::var("RECKON_TEST_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut grpc = Vec::new();
        let mut grpc_authenticated = Vec::new();
        let mut http = Vec::new();
        let mut json = Vec::new();
        let mut idle = Vec::new();
        for _ in 0..rounds {
            grpc.push(grpc_bombs(4, 8 * 1024 * 1024, false).await);
            grpc_authenticated.push(grpc_bombs(1, 16 * 1024 * 1024, true).await);
            http.push(authenticated_http_bomb().await);
            json.push(authenticated_json_flood().await);
            idle.push(idle_connections().await);
        }
        report(
            "4 unauthenticated gRPC gzip bombs (16 MiB each inflated)",
            &grpc,
        );
        report(
            "1 authenticated gRPC gzip bomb (32 MiB inflated)",
            &grpc_authenticated,
        );
        report(
            "1 authenticated OTLP/JSON gzip body of 60 MiB of empty records",
            &json,
        );
        report(
            "1 authenticated OTLP/HTTP gzip bomb (32 MiB inflated)",
            &http,
        );
        report("300 idle connections + 1 export", &idle);
        responsiveness().await;
    });
}
