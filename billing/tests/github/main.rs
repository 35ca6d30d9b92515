//! The GitHub Copilot puller against a provider-shaped fake over real HTTP: the seat list paged
//! by `Link`, one usage report per day from the endpoint of its month, and the lines it makes.

// Shared with the other providers' tests; each test crate uses a different part of it.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
mod errors;
mod fake;

use std::collections::HashSet;

use billing::github::CopilotSource;
use billing::{BillingSource, CostType, DayRange, NoProgress, Secret, Usd};
use url::Url;

use common::{ProgressLog, day, settings};
use fake::{CREDITS, GitHub, Headers, ORG, PREMIUM, SEATS, SEATS_BY_ID, item, seat};

pub const TOKEN: &str = "github_pat_11TESTSECRET0123456789abcdef";

pub fn source(url: &Url) -> CopilotSource {
    CopilotSource::new(
        Secret::new(TOKEN.to_owned()),
        ORG.to_owned(),
        settings(url.clone()),
    )
    .unwrap()
}

pub fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

pub fn range(from: &str, to: &str) -> DayRange {
    DayRange::new(day(from), day(to)).unwrap()
}

/// A fake with five seats (three pages of two).
pub(crate) fn github() -> GitHub {
    let fake = GitHub::new(TOKEN);
    fake.seats
        .lock()
        .unwrap()
        .extend(["mona", "octocat", "hubot", "monalisa", "defunkt"].map(seat));
    fake
}

#[tokio::test]
async fn pulls_seats_and_the_usage_report_of_each_days_month() {
    let fake = github();
    let premium = "Copilot Premium Request";
    fake.premium.lock().unwrap().extend([
        (
            day("2026-05-30"),
            vec![
                item(premium, "GPT-5", "requests", 80, "3.2000000000000006"),
                item(premium, "Claude Sonnet 4", "requests", 1, "0.04"),
            ],
        ),
        (
            day("2026-05-31"),
            vec![item(premium, "GPT-5", "requests", 0, "0")],
        ),
    ]);
    let credits = "Copilot AI Credits";
    fake.credits.lock().unwrap().extend([(
        day("2026-06-01"),
        vec![
            item(credits, "Claude Sonnet 4.5", "credits", 7, "0.07"),
            item(
                credits,
                "Claude Sonnet 4.5",
                "credits",
                3,
                "0.030000000000000002",
            ),
        ],
    )]);
    let (fake, url) = fake.start().await;
    let progress = ProgressLog::default();

    let pulled = source(&url)
        .pull(range("2026-05-30", "2026-06-02"), &progress)
        .await
        .unwrap();

    // Seats: page 1 by name, pages 2 and 3 where `Link` points. Usage: one request per day,
    // May from the premium-request report, June from the AI-credit report.
    assert_eq!(fake.recorder.seen(SEATS).len(), 1);
    assert_eq!(fake.recorder.seen(SEATS_BY_ID).len(), 2);
    let days = |path| -> Vec<String> {
        fake.recorder
            .seen(path)
            .iter()
            .map(|s| s.raw_query.clone())
            .collect()
    };
    assert_eq!(
        days(PREMIUM),
        ["year=2026&month=5&day=30", "year=2026&month=5&day=31"]
    );
    assert_eq!(
        days(CREDITS),
        ["year=2026&month=6&day=1", "year=2026&month=6&day=2"]
    );
    assert_eq!(pulled.requests, 7);
    assert_eq!(pulled.lines.len(), 5 + 4);
    let keys: HashSet<&str> = pulled
        .lines
        .iter()
        .map(|l| l.natural_key.as_str())
        .collect();
    assert_eq!(keys.len(), pulled.lines.len());

    let seats: Vec<_> = pulled
        .lines
        .iter()
        .filter(|l| l.cost_type == CostType::Seat)
        .collect();
    let logins: Vec<&str> = seats.iter().map(|l| l.person.as_str()).collect();
    assert_eq!(logins, ["mona", "octocat", "hubot", "monalisa", "defunkt"]);
    assert!(
        seats
            .iter()
            .all(|l| l.day == day("2026-06-02") && l.amount.is_none() && !l.estimate)
    );
    assert_eq!(
        seats[0].natural_key,
        "/orgs/{org}/copilot/billing/seats|2026-06-02|login=mona"
    );
    assert_eq!(seats[0].description, "Copilot business seat");

    let usage: Vec<_> = pulled
        .lines
        .iter()
        .filter(|l| l.cost_type != CostType::Seat)
        .collect();
    let summary: Vec<_> = usage
        .iter()
        .map(|l| (l.day, l.model.as_str(), l.cost_type, l.amount))
        .collect();
    assert_eq!(
        summary,
        [
            (
                day("2026-05-30"),
                "claude-sonnet-4-20250514",
                CostType::Other,
                Some(usd("0.04"))
            ),
            (
                day("2026-05-30"),
                "gpt-5-2025-08-07",
                CostType::Other,
                Some(usd("3.2"))
            ),
            (
                day("2026-05-31"),
                "gpt-5-2025-08-07",
                CostType::Other,
                Some(Usd::ZERO)
            ),
            (
                day("2026-06-01"),
                "claude-sonnet-4-5-20250929",
                CostType::Credits,
                Some(usd("0.1"))
            ),
        ]
    );
    assert!(
        usage
            .iter()
            .all(|l| l.is_billed() && l.tokens.total() == Some(0))
    );
    assert_eq!(
        usage[3].description,
        "Copilot AI Credits: 10 credits net; gross $0.10, discount $0.00"
    );
    assert_eq!(
        usage[3].natural_key,
        "/organizations/{org}/settings/billing/ai_credit/usage|2026-06-01|product=Copilot\
         |sku=Copilot AI Credits|model=Claude Sonnet 4.5|unit_type=credits"
    );
    assert_eq!(
        usage[0].source,
        "/organizations/{org}/settings/billing/premium_request/usage"
    );

    let reports = progress.0.lock().unwrap().clone();
    assert_eq!(*reports.last().unwrap(), (day("2026-06-02"), 7, 9));
}

#[tokio::test]
async fn requests_carry_the_documented_headers_and_parameters() {
    let (fake, url) = github().start().await;
    source(&url)
        .pull(range("2026-06-01", "2026-06-01"), &NoProgress)
        .await
        .unwrap();
    let headers = fake.headers.lock().unwrap().clone();
    assert_eq!(headers.len(), 4);
    for seen in headers {
        assert_eq!(
            seen,
            Headers {
                accept: Some("application/vnd.github+json".into()),
                authorization: Some(format!("Bearer {TOKEN}")),
                api_version: Some("2022-11-28".into()),
                user_agent: Some("reckon-test/1.0 (billing fake-provider tests)".into()),
            }
        );
    }
    assert_eq!(
        fake.recorder.seen(SEATS)[0].raw_query,
        "per_page=100&page=1"
    );
    let followed: Vec<String> = fake
        .recorder
        .seen(SEATS_BY_ID)
        .iter()
        .map(|s| s.raw_query.clone())
        .collect();
    assert_eq!(followed, ["per_page=100&page=2", "per_page=100&page=3"]);
}

#[tokio::test]
async fn a_report_not_enabled_for_a_month_is_skipped_for_that_month() {
    let fake = github();
    fake.not_found.lock().unwrap().insert((PREMIUM, 2026, 4));
    fake.premium.lock().unwrap().extend([
        (
            day("2026-04-30"),
            vec![item("Copilot Premium Request", "GPT-5", "requests", 1, "9")],
        ),
        (
            day("2026-05-02"),
            vec![item(
                "Copilot Premium Request",
                "GPT-5",
                "requests",
                2,
                "0.08",
            )],
        ),
    ]);
    let (fake, url) = fake.start().await;
    let pulled = source(&url)
        .pull(range("2026-04-29", "2026-05-02"), &NoProgress)
        .await
        .unwrap();
    let asked: Vec<String> = fake
        .recorder
        .seen(PREMIUM)
        .iter()
        .map(|s| s.raw_query.clone())
        .collect();
    // April answered 404 on its first day: its other day is not asked.
    assert_eq!(
        asked,
        [
            "year=2026&month=4&day=29",
            "year=2026&month=5&day=1",
            "year=2026&month=5&day=2"
        ]
    );
    let usage: Vec<_> = pulled
        .lines
        .iter()
        .filter(|l| l.cost_type != CostType::Seat)
        .collect();
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].day, usage[0].amount),
        (day("2026-05-02"), Some(usd("0.08")))
    );
    assert_eq!(pulled.requests, 3 + 3);
}

#[test]
fn backfill_horizon_is_the_reports_24_months() {
    let source = source(&Url::parse("http://127.0.0.1:9").unwrap());
    assert_eq!(source.earliest_day(day("2026-11-22")), day("2024-12-01"));
    assert_eq!(source.earliest_day(day("2026-01-31")), day("2024-02-01"));
    assert_eq!(source.provider(), billing::Provider::GithubCopilot);
    let debug = format!("{source:?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains("TESTSECRET"),
        "{debug}"
    );
}
