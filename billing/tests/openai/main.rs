//! The OpenAI puller against a provider-shaped fake over real HTTP: what a pull reads, how it
//! pages and chunks, and the lines it makes.

// Shared with the Anthropic tests; each test crate uses a different part of it.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
mod errors;
mod fake;

use std::collections::HashSet;

use billing::openai::OpenAiSource;
use billing::{BillingSource, CostType, DayRange, NoProgress, Secret, TokenCounts, Usd};
use url::Url;

use common::{ProgressLog, day, settings};
use fake::{COMPLETIONS, COSTS, OpenAi, cost_row};

pub const KEY: &str = "sk-admin-TESTSECRET-0123456789abcdef";

pub fn source(url: &Url) -> OpenAiSource {
    OpenAiSource::new(Secret::new(KEY.to_owned()), settings(url.clone())).unwrap()
}

pub fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

pub fn range(from: &str, to: &str) -> DayRange {
    DayRange::new(day(from), day(to)).unwrap()
}

#[tokio::test]
async fn pulls_costs_and_usage_across_pages() {
    let fake = OpenAi::new(KEY);
    fake.costs.lock().unwrap().extend([
        (
            day("2024-11-01"),
            vec![
                cost_row("10.1425634", Some("gpt-4o, input"), Some("proj_abc")),
                cost_row("0.30000000000000004", Some("Web search tool calls"), None),
            ],
        ),
        (
            day("2024-11-02"),
            vec![cost_row("1e-7", Some("Image models"), Some("proj_abc"))],
        ),
        (
            day("2024-11-04"),
            vec![cost_row(
                "\"2.50\"",
                Some("gpt-4o, output"),
                Some("proj_abc"),
            )],
        ),
    ]);
    fake.completions.lock().unwrap().extend([
        (
            day("2024-11-01"),
            vec![r#"{"object":"organization.usage.completions.result","input_tokens":1000,
                "input_cached_tokens":400,"input_cache_write_tokens":100,"input_uncached_tokens":500,
                "output_tokens":500,"input_audio_tokens":50,"output_audio_tokens":50,"num_model_requests":5,
                "project_id":"proj_abc","user_id":null,"api_key_id":"key_abc","model":"gpt-4o-2024-08-06",
                "batch":false,"service_tier":"default"}"#
                .to_owned()],
        ),
        (
            // An older capture: no cache-write or text/image fields at all.
            day("2024-11-03"),
            vec![r#"{"object":"organization.usage.completions.result","input_tokens":300,
                "input_cached_tokens":100,"output_tokens":20,"num_model_requests":2,
                "project_id":null,"api_key_id":null,"model":"gpt-4o-mini-2024-07-18","batch":true,
                "service_tier":null}"#
                .to_owned()],
        ),
    ]);
    let (fake, url) = fake.start().await;
    let progress = ProgressLog::default();

    let pulled = source(&url)
        .pull(range("2024-11-01", "2024-11-04"), &progress)
        .await
        .unwrap();

    // 4 days at 2 buckets per page: two pages per endpoint; day 3 of costs is `results: []`.
    assert_eq!(fake.recorder.seen(COSTS).len(), 2);
    assert_eq!(fake.recorder.seen(COMPLETIONS).len(), 2);
    assert_eq!(pulled.requests, 4);
    let keys: HashSet<&str> = pulled
        .lines
        .iter()
        .map(|l| l.natural_key.as_str())
        .collect();
    assert_eq!(keys.len(), 6);

    let costs: Vec<_> = pulled.lines.iter().filter(|l| l.source == COSTS).collect();
    assert_eq!(costs.len(), 4);
    let amounts: Vec<Usd> = costs.iter().map(|l| l.amount.unwrap()).collect();
    assert_eq!(
        amounts,
        [usd("10.1425634"), usd("0.3"), usd("0.0000001"), usd("2.5")]
    );
    assert!(costs.iter().all(|l| l.is_billed()));
    // A token line item names its model; the web-search line does not.
    assert_eq!(costs[0].model, "gpt-4o");
    assert_eq!(costs[1].model, "");
    assert_eq!(costs[0].workspace, "proj_abc");
    assert_eq!(costs[0].description, "gpt-4o, input");
    assert_eq!(costs[0].cost_type, CostType::Tokens);
    assert_eq!(
        costs[1].workspace, "",
        "null project = not attributed to a project"
    );
    assert_eq!(costs[1].cost_type, CostType::WebSearch);
    assert_eq!(costs[2].cost_type, CostType::Other);
    assert_eq!(costs[3].day, day("2024-11-04"));

    let usage: Vec<_> = pulled
        .lines
        .iter()
        .filter(|l| l.source == COMPLETIONS)
        .collect();
    assert_eq!(usage.len(), 2);
    assert!(
        usage
            .iter()
            .all(|l| l.amount.is_none() && l.cost_type == CostType::Tokens)
    );
    assert_eq!(
        usage[0].tokens,
        TokenCounts {
            input: 500,
            cache_read: 400,
            cache_write_5m: 100,
            cache_write_1h: 0,
            output: 500,
            reasoning: 0
        }
    );
    assert_eq!(
        (usage[0].model.as_str(), usage[0].api_key.as_str()),
        ("gpt-4o-2024-08-06", "key_abc")
    );
    assert_eq!(usage[0].service_tier, "default");
    assert_eq!(
        usage[1].tokens,
        TokenCounts {
            input: 200,
            cache_read: 100,
            output: 20,
            ..TokenCounts::default()
        }
    );
    assert_eq!(usage[1].service_tier, "batch");
    assert_eq!(usage[1].day, day("2024-11-03"));

    let reports = progress.0.lock().unwrap().clone();
    assert_eq!(reports.len(), 4);
    assert_eq!(*reports.last().unwrap(), (day("2024-11-04"), 4, 6));
}

#[tokio::test]
async fn requests_have_the_documented_shape_and_pages_keep_it() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    source(&url)
        .pull(range("2024-11-01", "2024-11-04"), &NoProgress)
        .await
        .unwrap();
    let costs = fake.recorder.seen(COSTS);
    assert_eq!(
        costs[0].raw_query,
        "start_time=1730419200&end_time=1730764800&bucket_width=1d\
         &group_by[]=project_id&group_by[]=line_item&limit=4"
    );
    assert_eq!(costs[1].without_page(), costs[0].without_page());
    assert!(costs[1].param("page").is_some());
    let usage = &fake.recorder.seen(COMPLETIONS)[0];
    assert_eq!(
        usage.params("group_by[]"),
        ["model", "project_id", "api_key_id", "batch", "service_tier"]
    );
}

#[tokio::test]
async fn a_long_backfill_is_cut_to_each_endpoints_window() {
    let mut fake = OpenAi::new(KEY);
    fake.buckets_per_page = 180;
    fake.costs
        .lock()
        .unwrap()
        .insert(day("2024-07-10"), vec![cost_row("0.06", None, None)]);
    let (fake, url) = fake.start().await;

    let pulled = source(&url)
        .pull(range("2024-01-01", "2024-07-18"), &NoProgress)
        .await
        .unwrap();

    let limits = |path| -> Vec<String> {
        fake.recorder
            .seen(path)
            .iter()
            .map(|s| s.param("limit").unwrap().to_owned())
            .collect()
    };
    // 200 days: costs 180 + 20; usage 6 × 31 + 14.
    assert_eq!(limits(COSTS), ["180", "20"]);
    assert_eq!(
        limits(COMPLETIONS),
        ["31", "31", "31", "31", "31", "31", "14"]
    );
    let second = &fake.recorder.seen(COSTS)[1];
    assert_eq!(second.param("start_time"), Some("1719619200")); // 2024-06-29
    assert_eq!(second.param("end_time"), Some("1721347200")); // 2024-07-19
    assert_eq!(pulled.requests, 9);
    assert_eq!(pulled.lines.len(), 1);
    assert_eq!(pulled.lines[0].amount, Some(usd("0.06")));
}

#[test]
fn backfill_horizon_is_twelve_months() {
    let source = source(&Url::parse("http://127.0.0.1:9/v1").unwrap());
    assert_eq!(source.earliest_day(day("2026-02-28")), day("2025-02-28"));
    assert_eq!(source.provider(), billing::Provider::OpenAi);
    // Debug output of the source (client, default headers) never shows the key.
    let debug = format!("{source:?}");
    assert!(
        !debug.contains(KEY) && !debug.contains("TESTSECRET"),
        "{debug}"
    );
}
