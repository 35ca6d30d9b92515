//! The Cursor puller against a provider-shaped fake over real HTTP: what a pull reads, how it
//! windows and pages, how it keeps to the team's rate limit, and the lines it makes.

// Shared with the other providers' tests; each test crate uses a different part of it.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
mod errors;
mod fake;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use billing::cursor::CursorSource;
use billing::{
    BillingError, BillingSource, CostType, DayRange, NoProgress, Pacer, Secret, TokenCounts, Usd,
};
use serde_json::json;
use url::Url;

use common::{ProgressLog, day, settings};
use fake::{Cursor, EVENTS, SPEND, at, included_event, member, usage_event};

pub const KEY: &str = "key_TESTSECRET0123456789abcdef0123456789abcdef0123456789abcdef012345";

/// The fake's own limit in these tests: Cursor's 20 per minute, on a 200 ms minute.
pub const WINDOW: Duration = Duration::from_millis(200);

/// A source pacing at the fake's limit. Like the production pacer's extra second, a margin
/// keeps network jitter from landing 21 requests in one window on the fake's side.
pub fn source(url: &Url) -> CursorSource {
    CursorSource::new(Secret::new(KEY.to_owned()), settings(url.clone()))
        .unwrap()
        .with_pacer(Arc::new(Pacer::new(20, WINDOW + Duration::from_millis(50))))
}

/// A fake with the test key and the short window.
pub(crate) fn cursor() -> Cursor {
    let mut fake = Cursor::new(KEY);
    fake.limit = (20, WINDOW);
    fake
}

pub fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

pub fn range(from: &str, to: &str) -> DayRange {
    DayRange::new(day(from), day(to)).unwrap()
}

const DEV: &str = "developer@company.com";
const ADMIN: &str = "admin@company.com";

#[tokio::test]
async fn pulls_events_in_windows_and_spend_across_pages() {
    let fake = cursor();
    fake.add_events([
        // 2025-06-26: two usage-based events of one person and model are one line.
        usage_event(
            at("2025-06-26", 9),
            DEV,
            "claude-4-opus",
            "40.16699999999999",
            "1.18",
        ),
        usage_event(at("2025-06-26", 17), DEV, "claude-4-opus", "20.18232", "0"),
        usage_event(
            at("2025-06-26", 18),
            ADMIN,
            "claude-4-opus",
            "0.30000000000000004",
            "1e-2",
        ),
        included_event(at("2025-06-26", 10), ADMIN, "claude-4-sonnet-thinking"),
        included_event(at("2025-06-26", 11), ADMIN, "claude-4-sonnet-thinking"),
        // The last millisecond of the first window, and the first of the second.
        usage_event(at("2025-07-01", 0) - 1, DEV, "gpt-5", "7", "0.5"),
        usage_event(at("2025-07-01", 0), DEV, "gpt-5", "3", "0.25"),
        // Outside the range: never asked for.
        usage_event(at("2025-07-16", 0), DEV, "gpt-5", "999", "0"),
    ]);
    fake.members.lock().unwrap().extend([
        member(DEV, "2450"),
        member(ADMIN, "40.16699999999999"),
        member("new@company.com", "0"),
    ]);
    let (fake, url) = fake.start().await;
    let progress = ProgressLog::default();

    let pulled = source(&url)
        .pull(range("2025-06-01", "2025-07-15"), &progress)
        .await
        .unwrap();

    // 45 days: windows of 30 and 15 days. Window 1 has 6 events (3 pages of 2), window 2
    // one (1 page); spend has 3 members (2 pages).
    assert_eq!(fake.posted(EVENTS).len(), 4);
    assert_eq!(fake.posted(SPEND).len(), 2);
    assert_eq!(pulled.requests, 6);
    assert_eq!(fake.throttled.load(Ordering::SeqCst), 0);
    let keys: HashSet<&str> = pulled
        .lines
        .iter()
        .map(|l| l.natural_key.as_str())
        .collect();
    assert_eq!(keys.len(), pulled.lines.len());
    assert_eq!(pulled.lines.len(), 5 + 3);

    let events: Vec<_> = pulled.lines.iter().filter(|l| l.source == EVENTS).collect();
    let line = |person: &str, label: &str, day_text: &str| {
        events
            .iter()
            .find(|l| l.person == person && l.natural_key.contains(label) && l.day == day(day_text))
            .unwrap_or_else(|| panic!("no line {person} {label} {day_text}"))
    };
    let opus = line(DEV, "model=claude-4-opus|", "2025-06-26");
    // (40.16699999999999 + 1.18) + (20.18232 + 0) cents, exact to the nano-dollar.
    assert_eq!(opus.amount, Some(usd("0.6152932")));
    assert_eq!(opus.model, "claude-opus-4-20250514");
    assert_eq!(opus.cost_type, CostType::Tokens);
    assert_eq!(opus.description, "Usage-based: 2 events");
    assert_eq!(
        opus.tokens,
        TokenCounts {
            input: 252,
            cache_read: 23928,
            cache_write_5m: 12224,
            cache_write_1h: 0,
            output: 900,
            reasoning: 0,
        }
    );
    assert_eq!(
        opus.natural_key,
        "/teams/filtered-usage-events|2025-06-26|person=developer@company.com\
         |model=claude-4-opus|kind=Usage-based"
    );
    assert_eq!(
        line(ADMIN, "model=claude-4-opus|", "2025-06-26").amount,
        Some(usd("0.0031"))
    );
    let included = line(ADMIN, "thinking", "2025-06-26");
    assert_eq!(
        (included.amount, included.cost_type),
        (None, CostType::Subscription)
    );
    assert_eq!(included.description, "Included in Business: 2 events");
    assert!(!included.estimate);
    assert_eq!(line(DEV, "gpt-5", "2025-06-30").amount, Some(usd("0.075")));
    assert_eq!(line(DEV, "gpt-5", "2025-07-01").amount, Some(usd("0.0325")));

    let spend: Vec<_> = pulled.lines.iter().filter(|l| l.source == SPEND).collect();
    assert_eq!(spend.len(), 3);
    assert!(
        spend
            .iter()
            .all(|l| l.estimate && !l.is_billed() && l.day == day("2025-07-01"))
    );
    assert_eq!(spend[0].amount, Some(usd("24.50")));
    assert_eq!(spend[1].amount, Some(usd("0.4016699999999999")));
    assert_eq!(spend[1].amount, Some(usd("0.40167")));
    assert_eq!(
        spend[0].natural_key,
        "/teams/spend|2025-07-01|cycle_start=1751328000000|person=developer@company.com"
    );
    // Billed = the usage events only: the snapshot never adds to it.
    let billed: Vec<Usd> = pulled
        .lines
        .iter()
        .filter(|l| l.is_billed())
        .filter_map(|l| l.amount)
        .collect();
    assert_eq!(Usd::checked_sum(billed), Some(usd("0.7258932")));

    let reports = progress.0.lock().unwrap().clone();
    assert_eq!(*reports.last().unwrap(), (day("2025-07-15"), 6, 8));
}

#[tokio::test]
async fn requests_have_the_documented_shape() {
    let fake = cursor();
    fake.add_events([
        usage_event(at("2025-06-02", 1), DEV, "gpt-5", "1", "0"),
        usage_event(at("2025-06-02", 2), DEV, "gpt-5", "1", "0"),
        usage_event(at("2025-06-02", 3), DEV, "gpt-5", "1", "0"),
    ]);
    let (fake, url) = fake.start().await;
    source(&url)
        .pull(range("2025-06-01", "2025-07-15"), &NoProgress)
        .await
        .unwrap();
    let posted = fake.posted.lock().unwrap().clone();
    for request in &posted {
        // base64("<key>:"), computed independently of the client.
        assert_eq!(
            request.authorization.as_deref(),
            Some(
                "Basic a2V5X1RFU1RTRUNSRVQwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3\
                 ODlhYmNkZWYwMTIzNDU6"
            )
        );
        assert_eq!(request.content_type.as_deref(), Some("application/json"));
    }
    let bodies: Vec<(&str, &serde_json::Value)> =
        posted.iter().map(|p| (p.path.as_str(), &p.body)).collect();
    // JSON numbers compare unequal to strings and floats: epoch ms go out as integers.
    let events = |start: i64, end: i64, page: u32| json!({"startDate": start, "endDate": end, "page": page, "pageSize": 1000});
    assert_eq!(
        bodies,
        [
            // 2025-06-01T00:00Z to the last millisecond of 2025-06-30, page by page.
            (EVENTS, &events(1_748_736_000_000, 1_751_327_999_999, 1)),
            (EVENTS, &events(1_748_736_000_000, 1_751_327_999_999, 2)),
            (EVENTS, &events(1_751_328_000_000, 1_752_623_999_999, 1)),
            (SPEND, &json!({"page": 1, "pageSize": 100})),
        ]
    );
}

#[tokio::test]
async fn the_pacer_keeps_a_long_read_under_the_limit() {
    let mut fake = cursor();
    fake.events_per_page = 1;
    fake.add_events((0..45).map(|i| usage_event(at("2025-06-02", 0) + i, DEV, "gpt-5", "1", "0")));
    let (fake, url) = fake.start().await;
    let started = Instant::now();
    let pulled = source(&url)
        .pull(range("2025-06-01", "2025-06-30"), &NoProgress)
        .await
        .unwrap();
    // 45 pages and 1 spend page at 20 per window: three windows, not one 429.
    assert_eq!(pulled.requests, 46);
    assert_eq!(fake.posted.lock().unwrap().len(), 46);
    assert_eq!(fake.throttled.load(Ordering::SeqCst), 0);
    assert!(started.elapsed() >= 2 * WINDOW);
    assert_eq!(pulled.lines[0].amount, Some(usd("0.45")));
    assert_eq!(pulled.lines[0].description, "Usage-based: 45 events");
}

#[tokio::test]
async fn without_pacing_the_fake_throttles() {
    // The control for the test above: the fake does enforce its limit (over a longer window
    // here, so that a slow machine cannot spread the requests beyond it).
    let mut fake = cursor();
    fake.limit = (20, Duration::from_secs(5));
    fake.events_per_page = 1;
    fake.add_events((0..45).map(|i| usage_event(at("2025-06-02", 0) + i, DEV, "gpt-5", "1", "0")));
    let (fake, url) = fake.start().await;
    let unpaced = source(&url).with_pacer(Arc::new(Pacer::new(1000, Duration::from_millis(1))));
    let error = unpaced
        .pull(range("2025-06-01", "2025-06-30"), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        BillingError::RateLimited {
            message: "Rate limit exceeded. Please try again later.".into()
        }
    );
    assert_eq!(fake.throttled.load(Ordering::SeqCst), 3);
}

#[test]
fn backfill_horizon_is_twelve_months() {
    let source = source(&Url::parse("http://127.0.0.1:9").unwrap());
    assert_eq!(source.earliest_day(day("2026-02-28")), day("2025-02-28"));
    assert_eq!(source.provider(), billing::Provider::Cursor);
    assert_eq!(billing::cursor::REQUESTS_PER_MINUTE, 20);
    let debug = format!("{source:?}");
    assert!(
        !debug.contains(KEY) && !debug.contains("TESTSECRET"),
        "{debug}"
    );
}
