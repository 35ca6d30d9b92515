//! reckon's real billing pullers against the demo's server bill exactly what the demo says.
//!
//! A 90-day backfill of each provider, with the deliberate cases visible.

#[allow(dead_code, reason = "each test binary uses part of the helpers")]
mod common;

use std::sync::Arc;
use std::time::Duration;

use billing::anthropic::AnthropicSource;
use billing::cursor::CursorSource;
use billing::github::CopilotSource;
use billing::openai::OpenAiSource;
use billing::{
    BillingLine, BillingSource, CostType, DayRange, HttpSettings, NoProgress, Pacer, Secret,
};
use demo_provider::server::{self, DemoServer, credentials};
use reconciler::{Provider, TokenCounts, Tool, Usd};
use url::Url;

use common::{calls, demo, sum};

fn settings(server: &DemoServer, provider: &Provider) -> HttpSettings {
    let base = server.base_url(provider).unwrap();
    test_tls::install_ring();
    HttpSettings {
        base_url: Url::parse(&base).unwrap(),
        timeout: Duration::from_secs(30),
        max_attempts: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        user_agent: "reckon-demo-test".to_owned(),
        extra_roots: billing::TrustedRoots::default(),
        max_response_bytes: billing::MAX_RESPONSE_BYTES,
    }
}

fn history() -> DayRange {
    DayRange::new(demo().first_day(), demo().today()).unwrap()
}

fn secret(text: &str) -> Secret {
    Secret::new(text.to_owned())
}

async fn pull(source: &dyn BillingSource) -> Vec<BillingLine> {
    source.pull(history(), &NoProgress).await.unwrap().lines
}

fn billed(lines: &[BillingLine]) -> Usd {
    sum(lines
        .iter()
        .filter(|l| l.is_billed())
        .map(|l| l.amount.unwrap()))
}

fn tokens(lines: &[&BillingLine]) -> TokenCounts {
    lines.iter().fold(TokenCounts::default(), |sum, l| {
        sum.checked_add(&l.tokens).unwrap()
    })
}

async fn anthropic_lines() -> Vec<BillingLine> {
    let server = server::start(demo()).await.unwrap();
    let provider = Provider::Anthropic;
    let source = AnthropicSource::new(
        secret(credentials::ANTHROPIC_ADMIN_KEY),
        settings(&server, &provider),
    )
    .unwrap();
    pull(&source).await
}

#[tokio::test]
async fn anthropic_bills_the_cost_report_and_reports_priority_usage() {
    let demo = demo();
    let lines = anthropic_lines().await;
    assert_eq!(billed(&lines), demo.billed_total(&Provider::Anthropic));
    // The cost report bills the list price of every non-priority call it holds.
    let standard = calls(demo, Tool::ClaudeCode, |u| {
        u.reported && u.tier == reconciler::Tier::Standard
    });
    assert_eq!(
        billed(&lines),
        sum(standard.iter().map(|u| u.list_cost.unwrap()))
    );
    let usage: Vec<&BillingLine> = lines
        .iter()
        .filter(|l| l.source.ends_with("/usage_report/messages"))
        .collect();
    let reported = calls(demo, Tool::ClaudeCode, |u| u.reported);
    let expected = reported.iter().fold(TokenCounts::default(), |s, u| {
        s.checked_add(&u.tokens).unwrap()
    });
    assert_eq!(tokens(&usage), expected);
    let month = demo.demo_month();
    assert!(
        usage
            .iter()
            .any(|l| l.service_tier == "priority" && month.contains(l.day))
    );
    assert!(
        lines
            .iter()
            .filter(|l| l.source.ends_with("/cost_report"))
            .all(|l| l.service_tier == "standard")
    );
    // Claude Code analytics are estimates, the untracked team among them.
    let estimates: Vec<&BillingLine> = lines.iter().filter(|l| l.estimate).collect();
    assert!(!estimates.is_empty());
    assert!(estimates.iter().any(|l| person_team(&l.person) == "data"));
}

fn person_team(email: &str) -> &'static str {
    demo()
        .people()
        .iter()
        .find(|p| p.email == email)
        .map_or("", |p| p.team)
}

#[tokio::test]
async fn openai_bills_codex_at_the_negotiated_rate() {
    let demo = demo();
    let server = server::start(demo).await.unwrap();
    let source = OpenAiSource::new(
        secret(credentials::OPENAI_ADMIN_KEY),
        settings(&server, &Provider::OpenAi),
    )
    .unwrap();
    let lines = pull(&source).await;
    let total = billed(&lines);
    assert_eq!(total, demo.billed_total(&Provider::OpenAi));
    let list = sum(calls(demo, Tool::Codex, |u| u.reported)
        .iter()
        .map(|u| u.list_cost.unwrap()));
    // 0.85 × list, each line rounded to the nano-dollar.
    let exact = list.as_decimal() * demo.openai_rate();
    let lines_billed = lines.iter().filter(|l| l.is_billed()).count();
    let off = (total.as_decimal() - exact).abs();
    assert!(
        off <= rust_decimal::Decimal::new(i64::try_from(lines_billed).unwrap(), 9),
        "{total} vs {exact}"
    );
    assert!(
        lines
            .iter()
            .filter(|l| l.is_billed())
            .all(|l| l.cost_type == CostType::Tokens)
    );
    let usage: Vec<&BillingLine> = lines.iter().filter(|l| l.amount.is_none()).collect();
    let expected =
        calls(demo, Tool::Codex, |u| u.reported)
            .iter()
            .fold(TokenCounts::default(), |s, u| {
                // The usage report has no reasoning split; reckon's line carries none.
                let mut t = u.tokens;
                t.reasoning = 0;
                s.checked_add(&t).unwrap()
            });
    assert_eq!(tokens(&usage), expected);
}

#[tokio::test]
async fn cursor_serves_nothing_from_its_removal() {
    let demo = demo();
    let server = server::start(demo).await.unwrap();
    let source = CursorSource::new(
        secret(credentials::CURSOR_API_KEY),
        settings(&server, &Provider::Cursor),
    )
    .unwrap()
    .with_pacer(Arc::new(Pacer::new(100_000, Duration::from_secs(1))));
    let lines = pull(&source).await;
    assert_eq!(billed(&lines), demo.billed_total(&Provider::Cursor));
    let events: Vec<&BillingLine> = lines
        .iter()
        .filter(|l| l.source == "/teams/filtered-usage-events")
        .collect();
    assert!(events.iter().all(|l| l.day < demo.cursor_removed_on()));
    assert!(events.iter().any(|l| demo.demo_month().contains(l.day)));
    assert!(
        events
            .iter()
            .all(|l| l.model == "claude-sonnet-4-5-20250929" || l.model == "gpt-5")
    );
    // The cycle's spend per member: estimates that add up to the cycle's billed events.
    let spend: Vec<&BillingLine> = lines
        .iter()
        .filter(|l| l.source == "/teams/spend")
        .collect();
    assert!(!spend.is_empty() && spend.iter().all(|l| l.estimate));
    let cycle = sum(events
        .iter()
        .filter(|l| demo.demo_month().contains(l.day))
        .map(|l| l.amount.unwrap()));
    assert_eq!(sum(spend.iter().map(|l| l.amount.unwrap())), cycle);
}

#[tokio::test]
async fn github_serves_seats_and_ai_credits() {
    let demo = demo();
    let server = server::start(demo).await.unwrap();
    let source = CopilotSource::new(
        secret(credentials::GITHUB_TOKEN),
        credentials::GITHUB_ORGANIZATION.to_owned(),
        settings(&server, &Provider::GithubCopilot),
    )
    .unwrap();
    let lines = pull(&source).await;
    assert_eq!(billed(&lines), demo.billed_total(&Provider::GithubCopilot));
    assert!(billed(&lines) > Usd::ZERO);
    let seats = lines
        .iter()
        .filter(|l| l.cost_type == CostType::Seat)
        .count();
    let holders = demo
        .people()
        .iter()
        .filter(|p| p.github_login.is_some())
        .count();
    assert_eq!(seats, holders);
    // 2026-08-25 onwards is all AI credits.
    assert!(
        lines
            .iter()
            .filter(|l| l.is_billed())
            .all(|l| l.cost_type == CostType::Credits)
    );
}

#[tokio::test]
async fn the_last_two_days_are_partial() {
    let demo = demo();
    let lines = anthropic_lines().await;
    let late = |day| {
        let served = lines
            .iter()
            .filter(|l| l.source.ends_with("/usage_report/messages") && l.day == day)
            .fold(0u64, |n, l| n + l.tokens.total().unwrap());
        let used = calls(demo, Tool::ClaudeCode, |u| u.day == day)
            .iter()
            .fold(0u64, |n, u| n + u.tokens.total().unwrap());
        (served, used)
    };
    let mut day = demo.final_through();
    while day < demo.today() {
        day = day.next().unwrap();
        let (served, used) = late(day);
        assert!(served < used, "{day}: {served} of {used}");
    }
    let (served, used) = late(demo.final_through());
    assert_eq!(served, used);
}

#[tokio::test]
async fn requests_without_credentials_are_refused() {
    let server = server::start(demo()).await.unwrap();
    let client = test_tls::https_client();
    for (provider, path) in [
        (
            Provider::Anthropic,
            "/v1/organizations/cost_report?starting_at=2026-11-01T00:00:00Z",
        ),
        (
            Provider::OpenAi,
            "/organization/costs?start_time=1793491200",
        ),
        (
            Provider::GithubCopilot,
            "/orgs/demo-org/copilot/billing/seats",
        ),
    ] {
        let url = format!("{}{path}", server.base_url(&provider).unwrap());
        let status = client.get(&url).send().await.unwrap().status();
        assert_eq!(status, 401, "{url}");
    }
    let url = format!(
        "{}/teams/spend",
        server.base_url(&Provider::Cursor).unwrap()
    );
    let status = client
        .post(&url)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
    server.shutdown().await;
}
