//! Backfill benchmark (a bench binary, not a timed test): a 12-month backfill from the fake
//! Cursor Admin API, which enforces Cursor's documented limit of 20 requests per minute per
//! team, against the floor that limit allows. The minute is scaled down (`RECKON_TEST_BENCH_WINDOW_MS`,
//! default 1,000 ms) so that the run takes seconds; the pacer keeps reckon's production ratio
//! (20 requests per 61 s for Cursor's 60 s). Prints requests, time, floor and their ratio.
//!
//! `cargo bench -p billing --bench backfill`
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::float_arithmetic,
    reason = "durations and ratios for the report, not money"
)]

#[allow(dead_code, reason = "shared with the tests; the benchmark uses a part")]
#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code, reason = "shared with the tests; the benchmark uses a part")]
#[path = "../tests/cursor/fake.rs"]
mod cursor_fake;

use std::sync::Arc;
use std::time::{Duration, Instant};

use billing::cursor::{CursorSource, REQUESTS_PER_MINUTE};
use billing::{BillingSource, DayRange, NoProgress, Pacer, Secret, UtcDay};
use cursor_fake::{Cursor, at, member, usage_event};

const KEY: &str = "key_BENCHSECRET0123456789abcdef0123456789abcdef0123456789abcdef01";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn today() -> UtcDay {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    UtcDay::from_unix_nanos(i128::try_from(nanos).unwrap()).unwrap()
}

fn main() {
    let window = Duration::from_millis(env_number("RECKON_TEST_BENCH_WINDOW_MS", 1_000));
    let per_day = env_number("RECKON_TEST_BENCH_EVENTS_PER_DAY", 4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let today = today();
        let mut fake = Cursor::new(KEY);
        fake.limit = (REQUESTS_PER_MINUTE as usize, window);
        fake.events_per_page = 10;
        let probe = CursorSource::new(
            Secret::new(KEY.into()),
            common::settings("http://x".parse().unwrap()),
        )
        .unwrap();
        let range = DayRange {
            from: probe.earliest_day(today),
            to: today,
        };
        let mut events = Vec::new();
        for day in range.days() {
            for n in 0..per_day {
                let hour = i64::try_from(n % 24).unwrap();
                events.push(usage_event(
                    at(&day.to_string(), hour),
                    "dev@example.com",
                    "gpt-5",
                    "40.16699999999999",
                    "1.18",
                ));
            }
        }
        fake.add_events(events);
        fake.members
            .lock()
            .unwrap()
            .push(member("dev@example.com", "2450"));
        let (fake, url) = fake.start().await;
        // The production pacer's proportion: 20 per 61 s against Cursor's 60 s.
        let paced = window.mul_f64(61.0 / 60.0);
        let source = CursorSource::new(Secret::new(KEY.into()), common::settings(url))
            .unwrap()
            .with_pacer(Arc::new(Pacer::new(REQUESTS_PER_MINUTE, paced)));
        let started = Instant::now();
        let pulled = source.pull(range, &NoProgress).await.unwrap();
        let elapsed = started.elapsed();
        let requests = u64::from(pulled.requests);
        // 20 requests may go at once; every further 20 needs another window.
        let windows_needed = requests
            .div_ceil(u64::from(REQUESTS_PER_MINUTE))
            .saturating_sub(1);
        let floor = window.mul_f64(windows_needed as f64);
        let throttled = fake.throttled.load(std::sync::atomic::Ordering::SeqCst);
        println!(
            "cursor 12-month backfill: {} .. {} ({} days), {per_day} events a day",
            range.from,
            range.to,
            range.len()
        );
        println!(
            "limit: {REQUESTS_PER_MINUTE} requests per {} ms (Cursor's minute, scaled)",
            window.as_millis()
        );
        println!(
            "requests: {requests} ({} lines), throttled by the fake: {throttled}",
            pulled.lines.len()
        );
        println!(
            "time: {:.3} s; floor: {:.3} s; ratio: {:.3}",
            elapsed.as_secs_f64(),
            floor.as_secs_f64(),
            elapsed.as_secs_f64() / floor.as_secs_f64()
        );
    });
}
