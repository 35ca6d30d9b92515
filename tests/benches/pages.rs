//! Page-rendering benchmark (a bench binary, not a timed test): the web UI's pages served by the
//! real server (release build) over loopback, for the reconciliation benchmark's month — 5,000
//! people, 10 million observed events stored through the write path and 1 million billed lines
//! in SQLite. Each page is requested one at a time and timed from request to last byte; prints
//! p50, p95 and the maximum per page. Attribution is timed twice: as viewed again, and with an
//! export stored before each request (so its kept reading is of no use and it reads again).
//!
//! `cargo bench -p reckon-tests --bench pages` (RECKON_TEST_BENCH_EVENTS, default 10,000,000;
//! RECKON_TEST_BENCH_LINES, default 1,000,000; RECKON_TEST_BENCH_REQUESTS, default 100).
//! RECKON_TEST_BENCH_SEEDED=FILE keeps the seeded SQLite file there and, when it exists, starts
//! from it instead of seeding again (seeding takes minutes); delete it after a migration.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::float_arithmetic,
    reason = "durations for the report, not money"
)]

use std::time::{Duration, Instant};

use reckon_server::accounts::{Acting, create_telemetry_key};
use reckon_server::auth::Role;
use reckon_tests::bills::stored_integration;
use reckon_tests::month::{billed, store_events};
use reckon_tests::otlp::{claude_code_request, send_logs};
use reckon_tests::{TestApp, TestDatabase, add_member};
use reconciler::Month;
use reqwest::Method;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: usize) -> f64 {
    let index = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[index].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let events = env_number("RECKON_TEST_BENCH_EVENTS", 10_000_000);
    let lines = env_number("RECKON_TEST_BENCH_LINES", 1_000_000);
    let requests = env_number("RECKON_TEST_BENCH_REQUESTS", 100);
    let month = Month::parse("2026-11").unwrap();
    let db = TestDatabase::sqlite();
    let file = db.sqlite_file().expect("a SQLite database");
    let seeded = std::env::var_os("RECKON_TEST_BENCH_SEEDED").map(std::path::PathBuf::from);
    if let Some(seeded) = seeded.as_ref().filter(|path| path.exists()) {
        std::fs::copy(seeded, &file).expect("the seeded database copied");
        println!("starting from the seeded database {}", seeded.display());
    }
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let fresh = storage.telemetry_keys(org).await.unwrap().is_empty();
    if fresh {
        let (key, _) = create_telemetry_key(storage.as_ref(), org, "bench", &Acting::cli())
            .await
            .unwrap();
        let started = Instant::now();
        let stored = store_events(storage.as_ref(), org, key.id, month, events).await;
        stored_integration(
            storage.as_ref(),
            org,
            "anthropic",
            &billed(month, lines),
            false,
        )
        .await;
        println!(
            "stored {stored} events and {lines} billed lines in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    storage.close().await;
    if let Some(seeded) = seeded.as_ref().filter(|_| fresh) {
        std::fs::copy(&file, seeded).expect("the seeded database kept");
    }
    let storage = db.storage().await;
    let owner = add_member(storage.as_ref(), org, Role::Owner, "owner@example.com").await;
    let (_, exporter) = create_telemetry_key(storage.as_ref(), org, "exporter", &Acting::cli())
        .await
        .unwrap();
    storage.close().await;
    let app = TestApp::spawn(&db).await;
    let person = "/spend/attribution?from=2026-11-01&to=2026-11-30&group_by=person";
    let team = "/spend/attribution?from=2026-11-01&to=2026-11-30&group_by=team";
    // (name, path, whether an export arrives before each request: attribution readings are
    // kept while usage is unchanged, so those rows time the reading itself).
    let pages = [
        (
            "Spend → Reconciliation",
            "/spend/reconciliation?month=2026-11",
            false,
        ),
        (
            "Spend → Attribution by person (5,000 people)",
            person,
            false,
        ),
        (
            "Spend → Attribution by person, an export before each",
            person,
            true,
        ),
        ("Spend → Attribution by team", team, false),
        (
            "Spend → Attribution by team, an export before each",
            team,
            true,
        ),
        ("AI → Providers", "/ai/providers", false),
        (
            "Settings → AI → Usage Providers",
            "/settings/ai/usage-providers",
            false,
        ),
        (
            "Settings → AI → Telemetry Keys",
            "/settings/ai/telemetry-keys",
            false,
        ),
    ];
    println!("{requests} requests per page, one at a time, after 3 to warm up:");
    let mut sequence = 0;
    for (name, path, export_first) in pages {
        let mut times = Vec::new();
        let mut bytes = 0;
        for i in 0..requests + 3 {
            if export_first {
                sequence += 1;
                // A Claude Code request of 12 November 2026 (a new one each time).
                let time_ns = 1_794_484_800_000_000_000i128 + sequence;
                let export = claude_code_request(time_ns, "p1@bench.example", 1_000, None);
                send_logs(&app, &exporter, &export).await;
            }
            let started = Instant::now();
            let response = app.send(app.authed(Method::GET, path, &owner.token)).await;
            let took = started.elapsed();
            assert_eq!(response.status, 200, "{path}: {}", response.body);
            bytes = response.body.len();
            if i >= 3 {
                times.push(took);
            }
        }
        times.sort();
        println!(
            "{name}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} KiB)",
            percentile(&times, 50),
            percentile(&times, 95),
            percentile(&times, 100),
            bytes / 1024
        );
    }
    app.stop().await;
}
