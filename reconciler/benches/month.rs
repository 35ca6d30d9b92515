//! Reconciliation benchmark (a bench binary, not a timed test): one month of an organisation of
//! 5,000 people — 10 million observed events already rolled up per (day, person, model, label) —
//! against 1 million billed lines, reconciled by the pure engine. Prints the median of several
//! runs. `cargo bench -p reconciler --bench month` (RECKON_TEST_BENCH_RUNS, default 7).
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::float_arithmetic,
    reason = "durations for the report, not money"
)]

use std::time::{Duration, Instant};

use reconciler::reconcile::{BilledLine, Coverage, Inputs, ObservedLine, Tolerance, reconcile};
use reconciler::{Catalogue, Month, Provider, Tier, TokenCounts, Usd, UtcDay};

const PEOPLE: u64 = 5_000;
const EVENTS: u64 = 10_000_000;
const BILLED_LINES: u64 = 1_000_000;
const MODELS: [(&str, Provider); 4] = [
    ("claude-sonnet-4-5", Provider::Anthropic),
    ("claude-opus-4-5", Provider::Anthropic),
    ("gpt-5.1-codex", Provider::OpenAi),
    ("gemini-2.5-flash", Provider::Google),
];

fn tokens(n: u64) -> TokenCounts {
    TokenCounts {
        input: 1_200 * n,
        cache_read: 4_500 * n,
        cache_write_5m: 300 * n,
        output: 40 * n,
        ..TokenCounts::default()
    }
}

/// Rollups: each person uses two models on each of the 30 days; 10 M events spread over them.
fn observed(month: Month) -> Vec<ObservedLine> {
    let days: Vec<UtcDay> = month.days().collect();
    let rows = PEOPLE * days.len() as u64 * 2;
    let events_per_row = EVENTS / rows;
    let mut lines = Vec::with_capacity(rows as usize);
    for person in 0..PEOPLE {
        for (d, day) in days.iter().enumerate() {
            for m in 0..2u64 {
                let (model, provider) = &MODELS[((person + m) % 4) as usize];
                let reported = (provider == &Provider::Anthropic
                    && !(person + d as u64).is_multiple_of(3))
                .then(|| Usd::from_nanos(i64::try_from(events_per_row * 6_630_000).unwrap()));
                lines.push(ObservedLine {
                    day: *day,
                    provider: provider.clone(),
                    model: (*model).to_owned(),
                    tokens: tokens(events_per_row),
                    reported,
                });
            }
        }
    }
    lines
}

/// 1 M billed lines: per day, model and API key, cost and usage lines alternating.
fn billed(month: Month) -> Vec<BilledLine> {
    let days: Vec<UtcDay> = month.days().collect();
    (0..BILLED_LINES)
        .map(|i| {
            let day = days[(i % days.len() as u64) as usize];
            let (model, provider) = &MODELS[((i / 7) % 4) as usize];
            let cost = i % 2 == 0;
            BilledLine {
                day,
                provider: provider.clone(),
                model: (*model).to_owned(),
                tier: Tier::Standard,
                tokens: if cost {
                    TokenCounts::default()
                } else {
                    tokens(3)
                },
                amount: cost.then(|| Usd::from_nanos(20_000_000)),
            }
        })
        .collect()
}

fn main() {
    let runs = std::env::var("RECKON_TEST_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7usize);
    let month = Month::parse("2026-11").unwrap();
    let catalogue = Catalogue::built_in();
    let observed = observed(month);
    let billed = billed(month);
    let coverage: Vec<Coverage> = [Provider::Anthropic, Provider::OpenAi, Provider::Google]
        .into_iter()
        .map(|provider| Coverage {
            bill_source: provider != Provider::Google,
            provider,
            from: UtcDay::parse("2026-01-01").unwrap(),
            removed: None,
            final_through: UtcDay::parse("2026-11-30").ok(),
        })
        .collect();
    let months = [month];
    let mut times: Vec<Duration> = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let report = reconcile(Inputs {
            billed: &billed,
            observed: &observed,
            catalogue: &catalogue,
            coverage: &coverage,
            write_offs: &[],
            tolerance: Tolerance::default(),
            months: &months,
        });
        times.push(started.elapsed());
        rows = report.len();
    }
    times.sort();
    println!(
        "reconcile one month: {PEOPLE} people, {EVENTS} events as {} rollup rows, {} billed lines -> {rows} rows",
        observed.len(),
        billed.len()
    );
    println!(
        "median of {runs}: {:.1} ms (min {:.1}, max {:.1})",
        times[runs / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[runs - 1].as_secs_f64() * 1e3
    );
}
