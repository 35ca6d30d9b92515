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

use billing::{BillingLine, CostType};
use otlp_receiver::{IdempotencyKey, Identity, RecordKind, UsageRecord};
use reckon_server::accounts::{Acting, create_telemetry_key};
use reckon_server::storage::{Storage, UsageBatch, UsageGroup};
use reckon_tests::TestDatabase;
use reckon_tests::bills::stored_integration;
use reconciler::{Catalogue, Month, Provider, TokenCounts, Tool, Usd, UtcDay};

const PEOPLE: u64 = 5_000;
const MODELS: [(&str, Provider, Tool); 4] = [
    ("claude-sonnet-4-5", Provider::Anthropic, Tool::ClaudeCode),
    ("claude-opus-4-5", Provider::Anthropic, Tool::ClaudeCode),
    ("gpt-5.1-codex", Provider::OpenAi, Tool::Codex),
    ("gemini-2.5-flash", Provider::Google, Tool::GeminiCli),
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn tokens(n: u64) -> TokenCounts {
    TokenCounts {
        input: 1_200 * n,
        cache_read: 4_500 * n,
        cache_write_5m: 300 * n,
        output: 40 * n,
        ..TokenCounts::default()
    }
}

/// The month's events, day by day (so keys arrive in time order, as real usage does): each
/// person uses two models a day, and the events spread evenly over those 300,000 groups.
async fn store_events(storage: &dyn Storage, org: i64, key: i64, month: Month, events: u64) -> u64 {
    {
        let days: Vec<UtcDay> = month.days().collect();
        let groups = PEOPLE * days.len() as u64 * 2;
        let mut stored = 0u64;
        let mut chunk = Vec::with_capacity(5_000);
        for (d, day) in days.iter().enumerate() {
            let day_start = u64::try_from(day.start_unix_nanos()).unwrap();
            let mut seq = 0u64;
            for person in 0..PEOPLE {
                for m in 0..2u64 {
                    let group = (d as u64 * PEOPLE + person) * 2 + m;
                    // Events of this group: an even share of the total, the remainder spread.
                    let count = events / groups + u64::from(group < events % groups);
                    let (model, provider, tool) = &MODELS[((person + m) % 4) as usize];
                    for _ in 0..count {
                        seq += 1;
                        let at = day_start + seq * 1_000;
                        let reported = (*provider == Provider::Anthropic
                            && !(person + d as u64).is_multiple_of(3))
                        .then(|| Usd::from_nanos(6_630_000));
                        chunk.push(UsageRecord {
                            idempotency_key: IdempotencyKey::new(at, &["bench", &seq.to_string()]),
                            kind: RecordKind::Event { covers: vec![] },
                            tool: *tool,
                            provider: provider.clone(),
                            model: (*model).to_owned(),
                            occurred_at_ns: at,
                            session_id: None,
                            identity: Identity {
                                email: Some(format!("p{person}@bench.example")),
                                team: Some(format!("team-{}", person % 50)),
                                ..Identity::default()
                            },
                            tokens: tokens(1),
                            reported_cost: reported,
                        });
                        if chunk.len() == 5_000 {
                            stored += flush(storage, org, key, &mut chunk).await;
                        }
                    }
                }
            }
        }
        stored + flush(storage, org, key, &mut chunk).await
    }
}

async fn flush(storage: &dyn Storage, org: i64, key: i64, chunk: &mut Vec<UsageRecord>) -> u64 {
    if chunk.is_empty() {
        return 0;
    }
    let batch = UsageBatch {
        org_id: org,
        telemetry_key_id: key,
        records: chunk,
    };
    let outcome = storage.store_usage(&[batch]).await.unwrap();
    chunk.clear();
    outcome[0].stored as u64
}

/// Billed lines: per day, model and API key, cost and usage lines alternating.
fn billed(month: Month, count: u64) -> Vec<BillingLine> {
    let days: Vec<UtcDay> = month.days().collect();
    (0..count)
        .map(|i| {
            let day = days[(i % days.len() as u64) as usize];
            let (model, provider, _) = &MODELS[((i / 7) % 3) as usize];
            let cost = i % 2 == 0;
            BillingLine {
                day,
                provider: provider.clone(),
                model: (*model).to_owned(),
                workspace: String::new(),
                api_key: format!("key-{}", i % 997),
                person: String::new(),
                service_tier: "standard".into(),
                description: if cost { "usage cost" } else { "usage" }.into(),
                cost_type: CostType::Tokens,
                tokens: if cost {
                    TokenCounts::default()
                } else {
                    tokens(3)
                },
                amount: cost.then(|| Usd::from_nanos(20_000_000)),
                estimate: false,
                source: "bench".into(),
                natural_key: format!("bench|{i}"),
            }
        })
        .collect()
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
