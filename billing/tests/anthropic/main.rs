//! The Anthropic puller against a provider-shaped fake over real HTTP: what a pull reads, how
//! it pages and chunks, and the lines it makes.

// Shared with the OpenAI tests; each test crate uses a different part of it.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
mod errors;
mod fake;
mod tls;

use std::collections::HashSet;

use billing::anthropic::AnthropicSource;
use billing::{BillingSource, CostType, DayRange, NoProgress, Secret, TokenCounts, Usd};
use url::Url;

use common::{ProgressLog, day, settings};
use fake::{Anthropic, CLAUDE_CODE, COST, USAGE, claude_code_record, cost_row, usage_row};

pub const KEY: &str = "sk-ant-admin01-TESTSECRET-0123456789abcdef";

pub fn source(url: &Url) -> AnthropicSource {
    AnthropicSource::new(Secret::new(KEY.to_owned()), settings(url.clone())).unwrap()
}

pub fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

pub fn range(from: &str, to: &str) -> DayRange {
    DayRange::new(day(from), day(to)).unwrap()
}

#[tokio::test]
async fn pulls_costs_usage_and_claude_code_across_pages() {
    let fake = Anthropic::new(KEY);
    let workspace = "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ";
    let ws = Some(workspace);
    let sonnet = "claude-sonnet-4-20250514";
    fake.costs.lock().unwrap().extend([
        (
            day("2025-08-01"),
            vec![
                cost_row(ws, sonnet, "uncached_input_tokens", "123.78912"),
                cost_row(None, sonnet, "output_tokens", "0.30000000000000004"),
            ],
        ),
        (
            day("2025-08-03"),
            vec![cost_row(ws, sonnet, "output_tokens", "40.16699999999999")],
        ),
    ]);
    fake.usage.lock().unwrap().extend([
        (
            day("2025-08-01"),
            vec![
                usage_row(
                    sonnet,
                    ws,
                    Some("apikey_01Rj2N8SVvo6BePZj99NhmiT"),
                    "standard",
                    [1500, 200, 500, 1000, 500],
                ),
                usage_row(sonnet, ws, Some("apikey_02"), "batch", [10, 0, 0, 0, 5]),
            ],
        ),
        (
            day("2025-08-02"),
            vec![usage_row(sonnet, None, None, "priority", [7, 1, 2, 3, 4])],
        ),
    ]);
    let record = |email: &str, terminal: &str, cents: &str| {
        claude_code_record("2025-08-01T00:00:00Z", email, terminal, sonnet, cents, 100)
    };
    fake.claude_code.lock().unwrap().extend([
        (
            day("2025-08-01"),
            vec![
                record("ana@example.com", "vscode", "186"),
                record("ana@example.com", "iTerm.app", "0.7890349999999999"),
                record("bo@example.com", "tmux", "12"),
            ],
        ),
        (
            day("2025-08-04"),
            vec![claude_code_record(
                "2025-08-04",
                "bo@example.com",
                "vscode",
                sonnet,
                "1e2",
                5,
            )],
        ),
    ]);
    let (fake, url) = fake.start().await;
    let progress = ProgressLog::default();

    let pulled = source(&url)
        .pull(range("2025-08-01", "2025-08-05"), &progress)
        .await
        .unwrap();

    // 5 days at 2 buckets per page: 3 pages per bucketed report; Claude Code: one request per
    // day plus a second page for the day with 3 records.
    assert_eq!(fake.recorder.seen(COST).len(), 3);
    assert_eq!(fake.recorder.seen(USAGE).len(), 3);
    assert_eq!(fake.recorder.seen(CLAUDE_CODE).len(), 6);
    assert_eq!(pulled.requests, 12);
    assert_eq!(fake.recorder.total(), 12);

    let by_source = |source: &str| {
        pulled
            .lines
            .iter()
            .filter(|l| l.source == source)
            .collect::<Vec<_>>()
    };
    let costs = by_source(COST);
    let usage = by_source(USAGE);
    let estimates = by_source(CLAUDE_CODE);
    assert_eq!((costs.len(), usage.len(), estimates.len()), (3, 3, 4));
    assert_eq!(pulled.lines.len(), 10);
    let keys: HashSet<&str> = pulled
        .lines
        .iter()
        .map(|l| l.natural_key.as_str())
        .collect();
    assert_eq!(keys.len(), 10, "natural keys are unique");

    // Billed dollars from decimal cents, exactly.
    let amounts: Vec<Usd> = costs.iter().map(|l| l.amount.unwrap()).collect();
    assert_eq!(amounts, [usd("1.2378912"), usd("0.003"), usd("0.40167")]);
    assert!(
        costs
            .iter()
            .all(|l| l.is_billed() && l.cost_type == CostType::Tokens)
    );
    assert_eq!(costs[0].workspace, workspace);
    assert_eq!(
        costs[1].workspace, "",
        "null workspace = the default workspace"
    );
    assert_eq!(costs[1].day, day("2025-08-01"));
    assert_eq!(costs[2].day, day("2025-08-03"));
    assert_eq!(costs[0].model, sonnet);
    assert_eq!(
        costs[0].description,
        "claude-sonnet-4-20250514 Usage - uncached_input_tokens"
    );
    assert!(
        costs[0]
            .natural_key
            .contains("token_type=uncached_input_tokens")
    );

    // Usage: tokens per kind, no price; nulls and the priority tier kept as such.
    assert!(usage.iter().all(|l| l.amount.is_none() && !l.is_billed()));
    assert_eq!(
        usage[0].tokens,
        TokenCounts {
            input: 1500,
            cache_read: 200,
            cache_write_5m: 500,
            cache_write_1h: 1000,
            output: 500,
            reasoning: 0
        }
    );
    assert_eq!(usage[0].api_key, "apikey_01Rj2N8SVvo6BePZj99NhmiT");
    assert_eq!(usage[1].service_tier, "batch");
    let priority = usage[2];
    assert_eq!(priority.service_tier, "priority");
    assert_eq!(
        (priority.workspace.as_str(), priority.api_key.as_str()),
        ("", "")
    );
    assert_eq!(priority.tokens.total(), Some(17));

    // Claude Code analytics: estimates, never billed, cents as JSON numbers.
    assert!(estimates.iter().all(|l| l.estimate && !l.is_billed()));
    let cents: Vec<Usd> = estimates.iter().map(|l| l.amount.unwrap()).collect();
    assert_eq!(
        cents,
        [usd("1.86"), usd("0.00789035"), usd("0.12"), usd("1")]
    );
    assert_eq!(estimates[0].person, "ana@example.com");
    assert_eq!(estimates[3].day, day("2025-08-04"));
    assert_eq!(estimates[0].tokens.cache_write_5m, 10);

    // Progress after every page; the last report covers the whole range.
    let reports = progress.0.lock().unwrap().clone();
    assert_eq!(reports.len(), 12);
    assert_eq!(*reports.last().unwrap(), (day("2025-08-05"), 12, 10));
}

#[tokio::test]
async fn requests_have_the_documented_shape_and_pages_keep_it() {
    let fake = Anthropic::new(KEY);
    let (fake, url) = fake.start().await;
    source(&url)
        .pull(range("2025-08-01", "2025-08-05"), &NoProgress)
        .await
        .unwrap();

    let costs = fake.recorder.seen(COST);
    let first = &costs[0];
    assert_eq!(
        first.raw_query,
        "starting_at=2025-08-01T00%3A00%3A00Z&ending_at=2025-08-06T00%3A00%3A00Z&bucket_width=1d\
         &group_by[]=workspace_id&group_by[]=description&limit=5"
    );
    assert_eq!(first.param("page"), None);
    for later in &costs[1..] {
        assert_eq!(
            later.without_page(),
            first.without_page(),
            "paging keeps every other parameter"
        );
        assert!(later.param("page").unwrap().starts_with("page_"));
    }
    let usage = &fake.recorder.seen(USAGE)[0];
    assert_eq!(
        usage.params("group_by[]"),
        ["model", "workspace_id", "api_key_id", "service_tier"]
    );
    let claude_code = fake.recorder.seen(CLAUDE_CODE);
    let days: Vec<&str> = claude_code
        .iter()
        .map(|s| s.param("starting_at").unwrap())
        .collect();
    assert_eq!(
        days,
        [
            "2025-08-01",
            "2025-08-02",
            "2025-08-03",
            "2025-08-04",
            "2025-08-05"
        ]
    );
    assert!(claude_code.iter().all(|s| s.param("limit") == Some("1000")));
}

#[tokio::test]
async fn a_long_backfill_is_cut_into_31_day_requests() {
    let mut fake = Anthropic::new(KEY);
    fake.buckets_per_page = 31;
    fake.costs.lock().unwrap().insert(
        day("2025-02-15"),
        vec![cost_row(
            None,
            "claude-opus-4-20250514",
            "output_tokens",
            "2500",
        )],
    );
    let (fake, url) = fake.start().await;

    let pulled = source(&url)
        .pull(range("2025-01-01", "2025-03-01"), &NoProgress)
        .await
        .unwrap();

    let windows: Vec<(String, String, String)> = fake
        .recorder
        .seen(COST)
        .iter()
        .map(|s| {
            let p = |n| s.param(n).unwrap().to_owned();
            (p("starting_at"), p("ending_at"), p("limit"))
        })
        .collect();
    assert_eq!(
        windows,
        [
            (
                "2025-01-01T00:00:00Z".into(),
                "2025-02-01T00:00:00Z".into(),
                "31".into()
            ),
            (
                "2025-02-01T00:00:00Z".into(),
                "2025-03-02T00:00:00Z".into(),
                "29".into()
            ),
        ]
    );
    assert_eq!(fake.recorder.seen(USAGE).len(), 2);
    assert_eq!(fake.recorder.seen(CLAUDE_CODE).len(), 60);
    assert_eq!(pulled.requests, 64);
    assert_eq!(pulled.lines.len(), 1);
    assert_eq!(pulled.lines[0].amount, Some(usd("25")));
    assert_eq!(pulled.lines[0].model, "claude-opus-4-20250514");
}

#[tokio::test]
async fn re_reading_a_day_gives_the_same_natural_keys() {
    let fake = Anthropic::new(KEY);
    fake.costs.lock().unwrap().insert(
        day("2025-08-01"),
        vec![
            cost_row(None, "claude-sonnet-4-20250514", "output_tokens", "10"),
            cost_row(
                None,
                "claude-sonnet-4-20250514",
                "uncached_input_tokens",
                "5",
            ),
        ],
    );
    let (fake, url) = fake.start().await;
    let source = source(&url);
    let one_day = range("2025-08-01", "2025-08-01");
    let first = source.pull(one_day, &NoProgress).await.unwrap();
    // The provider restates the day: amounts change, keys must not.
    fake.costs.lock().unwrap().insert(
        day("2025-08-01"),
        vec![
            cost_row(None, "claude-sonnet-4-20250514", "output_tokens", "11"),
            cost_row(
                None,
                "claude-sonnet-4-20250514",
                "uncached_input_tokens",
                "5",
            ),
        ],
    );
    let second = source.pull(one_day, &NoProgress).await.unwrap();
    let keys = |p: &billing::Pulled| {
        p.lines
            .iter()
            .map(|l| l.natural_key.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&first), keys(&second));
    assert_eq!(second.lines[0].amount, Some(usd("0.11")));
}

#[test]
fn backfill_horizon_is_twelve_months() {
    let source = source(&Url::parse("http://127.0.0.1:9").unwrap());
    assert_eq!(source.earliest_day(day("2026-11-22")), day("2025-11-22"));
    assert_eq!(source.provider(), billing::Provider::Anthropic);
    // Debug output of the source (client, default headers) never shows the key.
    let debug = format!("{source:?}");
    assert!(
        !debug.contains(KEY) && !debug.contains("TESTSECRET"),
        "{debug}"
    );
}
