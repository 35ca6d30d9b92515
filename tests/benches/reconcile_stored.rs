//! Reconciliation benchmark over stored data (a bench binary, not a timed test): one month of
//! an organisation of 5,000 people — 10 million observed events stored through the usage write
//! path (so rolled up as the server rolls them up) and 1 million billed lines — in a SQLite
//! file. Times, as medians: reading both sides and reconciling the month as the API does; the
//! reads and the engine apart; and rebuilding the month's rollups from the raw events.
//!
//! `cargo bench -p reckon-tests --bench reconcile_stored` (RECKON_TEST_BENCH_EVENTS, default
//! 10,000,000; RECKON_TEST_BENCH_LINES, default 1,000,000; RECKON_TEST_BENCH_RUNS, default 5).
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::float_arithmetic,
    reason = "durations for the report, not money"
)]

use std::time::{Duration, Instant};

use reckon_server::accounts::{Acting, create_telemetry_key};
use reckon_server::storage::UsageGroup;
use reckon_tests::TestDatabase;
use reckon_tests::bills::stored_integration;
use reckon_tests::month::{billed, store_events};
use reconciler::{Catalogue, Month};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
    )
}

async fn timed<T, F: Future<Output = T>>(
    runs: u64,
    mut run: impl FnMut() -> F,
) -> ((f64, f64, f64), T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(run().await);
        times.push(started.elapsed());
    }
    (median(times), last.unwrap())
}

fn report(what: &str, (median, min, max): (f64, f64, f64), runs: u64) {
    println!("{what}: median of {runs} {median:.1} ms (min {min:.1}, max {max:.1})");
}

#[tokio::main]
async fn main() {
    let events = env_number("RECKON_TEST_BENCH_EVENTS", 10_000_000);
    let lines = env_number("RECKON_TEST_BENCH_LINES", 1_000_000);
    let runs = env_number("RECKON_TEST_BENCH_RUNS", 5);
    let month = Month::parse("2026-11").unwrap();
    let (first, last) = (month.first_day(), month.last_day());
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let (key, _) = create_telemetry_key(storage.as_ref(), org, "bench", &Acting::cli())
        .await
        .unwrap();

    let started = Instant::now();
    let stored = store_events(storage.as_ref(), org, key.id, month, events).await;
    println!(
        "stored {stored} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    stored_integration(
        storage.as_ref(),
        org,
        "anthropic",
        &billed(month, lines),
        false,
    )
    .await;
    println!(
        "stored {lines} billed lines in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let rollups = storage
        .usage(
            org,
            first,
            last,
            &[UsageGroup::Day, UsageGroup::Person, UsageGroup::Model],
        )
        .await
        .unwrap()
        .len();
    println!("{rollups} rollup rows (day, person, model, label)");

    let catalogue = Catalogue::built_in();
    let months = [month];
    let (time, rows) = timed(runs, || {
        reckon_server::spend::reconciliation(storage.as_ref(), &catalogue, org, &months)
    })
    .await;
    report(
        &format!(
            "reconcile the month from storage (reads + engine, {} rows)",
            rows.unwrap().len()
        ),
        time,
        runs,
    );
    let (time, _) = timed(runs, || storage.billed_lines(org, first, last)).await;
    report(
        "  of which: billed lines, summed per day/provider/model/tier",
        time,
        runs,
    );
    let groups = [UsageGroup::Day, UsageGroup::Provider, UsageGroup::Model];
    let (time, _) = timed(runs, || storage.usage(org, first, last, &groups)).await;
    report(
        "  of which: observed rollups, summed per day/provider/model",
        time,
        runs,
    );
    let (time, rebuilt) = timed(runs.min(3), || storage.rebuild_rollups(org, first, last)).await;
    let rebuilt = rebuilt.unwrap();
    report(
        &format!(
            "rebuild the month's rollups from {stored} raw events ({} rows)",
            rebuilt.written
        ),
        time,
        runs.min(3),
    );
    storage.close().await;
}
