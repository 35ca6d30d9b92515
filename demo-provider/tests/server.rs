//! The provider-shaped server over plain HTTP: paging, errors and Copilot's billing unit.
//!
//! Small pages give what one large page gives, bad requests get the provider's error, and
//! Copilot's billing unit follows the date as GitHub's does.

#[allow(dead_code, reason = "each test binary uses part of the helpers")]
mod common;

use std::time::Duration;

use billing::github::CopilotSource;
use billing::{BillingSource, CostType, DayRange, HttpSettings, NoProgress, Secret};
use demo_provider::Demo;
use demo_provider::server::{self, DemoServer, credentials};
use reconciler::{Provider, Usd, UtcDay};
use reqwest::header::{AUTHORIZATION, LINK};
use serde_json::Value;
use url::Url;

use common::{SEED, demo, sum};

struct Client {
    http: reqwest::Client,
    server: DemoServer,
}

impl Client {
    async fn start(demo: &Demo) -> Client {
        Client {
            http: test_tls::https_client(),
            server: server::start(demo).await.unwrap(),
        }
    }

    fn url(&self, provider: &Provider, path: &str) -> String {
        format!("{}{path}", self.server.base_url(provider).unwrap())
    }

    async fn anthropic(&self, path: &str) -> (u16, Value) {
        let answer = self
            .http
            .get(self.url(&Provider::Anthropic, path))
            .header("x-api-key", credentials::ANTHROPIC_ADMIN_KEY)
            .header("anthropic-version", "2023-06-01")
            .send()
            .await
            .unwrap();
        (answer.status().as_u16(), answer.json().await.unwrap())
    }

    async fn bearer(&self, provider: &Provider, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(provider, path))
            .header(AUTHORIZATION, "Bearer demo")
            .send()
            .await
            .unwrap()
    }
}

/// Every page of a bucketed Anthropic report, followed by `next_page`.
async fn all_pages(client: &Client, query: &str) -> Vec<Value> {
    let mut buckets = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let cursor = page.map(|p| format!("&page={p}")).unwrap_or_default();
        let (status, body) = client.anthropic(&format!("{query}{cursor}")).await;
        assert_eq!(status, 200, "{body}");
        buckets.extend(body["data"].as_array().unwrap().iter().cloned());
        if !body["has_more"].as_bool().unwrap() {
            return buckets;
        }
        page = Some(body["next_page"].as_str().unwrap().to_owned());
    }
}

#[tokio::test]
async fn small_pages_add_up_to_one_large_page() {
    let client = Client::start(demo()).await;
    let report = "/v1/organizations/cost_report?starting_at=2026-11-01T00:00:00Z\
                  &ending_at=2026-11-11T00:00:00Z&group_by[]=workspace_id&group_by[]=description";
    let small = all_pages(&client, &format!("{report}&limit=3")).await;
    let large = all_pages(&client, &format!("{report}&limit=31")).await;
    assert_eq!(small.len(), 10);
    assert_eq!(small, large);
    // Ungrouped, each day is one row with the day's whole amount.
    let total = all_pages(
        &client,
        "/v1/organizations/cost_report?starting_at=2026-11-01T00:00:00Z\
         &ending_at=2026-11-11T00:00:00Z&limit=31",
    )
    .await;
    let cents = |buckets: &[Value]| {
        buckets
            .iter()
            .flat_map(|b| b["results"].as_array().unwrap().clone())
            .map(|r| Usd::parse_cents(r["amount"].as_str().unwrap()).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(sum(cents(&total)), sum(cents(&large)));
    assert!(
        total
            .iter()
            .all(|b| b["results"].as_array().unwrap().len() <= 1)
    );
}

#[tokio::test]
async fn claude_code_analytics_page_by_records() {
    let client = Client::start(demo()).await;
    let day = "/v1/organizations/usage_report/claude_code?starting_at=2026-11-10";
    let (_, whole) = client.anthropic(&format!("{day}&limit=1000")).await;
    let expected = whole["data"].as_array().unwrap().clone();
    assert!(expected.len() > 5);
    let mut records = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, body) = client.anthropic(&format!("{day}&limit=4{cursor}")).await;
        assert_eq!(status, 200);
        records.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["next_page"].as_str() {
            Some(next) => cursor = format!("&page={next}"),
            None => break,
        }
    }
    assert_eq!(records, expected);
}

#[tokio::test]
async fn bad_requests_get_the_providers_errors() {
    let client = Client::start(demo()).await;
    let (status, body) = client
        .anthropic("/v1/organizations/cost_report?starting_at=2026-11-01T00:00:00Z&limit=32")
        .await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (400, Some("invalid_request_error"))
    );
    let unversioned = client
        .http
        .get(client.url(&Provider::Anthropic, "/v1/organizations/cost_report"))
        .header("x-api-key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(unversioned.status(), 400);
    let openai = client
        .bearer(
            &Provider::OpenAi,
            "/organization/usage/completions?start_time=1793491200&limit=32",
        )
        .await;
    assert_eq!(openai.status(), 400);
    // Both spellings of an array parameter are accepted.
    let plain = client
        .bearer(
            &Provider::OpenAi,
            "/organization/usage/completions?start_time=1793491200&group_by=model&limit=2",
        )
        .await;
    assert_eq!(plain.status(), 200);
    let body: Value = plain.json().await.unwrap();
    assert!(body["data"][0]["results"][0]["model"].is_string());
    let too_long = client
        .http
        .post(client.url(&Provider::Cursor, "/teams/filtered-usage-events"))
        .basic_auth("key", Some(""))
        .json(&serde_json::json!({"startDate": 0, "endDate": 40 * 86_400_000_i64}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 400);
}

#[tokio::test]
async fn seats_page_by_link_headers() {
    let client = Client::start(demo()).await;
    let mut url = client.url(
        &Provider::GithubCopilot,
        "/orgs/demo-org/copilot/billing/seats?per_page=5&page=1",
    );
    let mut logins = Vec::new();
    loop {
        let answer = client
            .http
            .get(&url)
            .header(AUTHORIZATION, "Bearer demo")
            .send()
            .await
            .unwrap();
        let link = answer
            .headers()
            .get(LINK)
            .map(|l| l.to_str().unwrap().to_owned());
        let body: Value = answer.json().await.unwrap();
        for seat in body["seats"].as_array().unwrap() {
            logins.push(seat["assignee"]["login"].as_str().unwrap().to_owned());
        }
        let Some(next) = link.and_then(|l| {
            l.split(", ")
                .find(|part| part.ends_with("rel=\"next\""))
                .map(|part| part[1..part.find('>').unwrap()].to_owned())
        }) else {
            break;
        };
        url = next;
    }
    let holders: Vec<String> = demo()
        .people()
        .iter()
        .filter_map(|p| p.github_login.clone())
        .collect();
    assert_eq!(logins, holders);
}

#[tokio::test]
async fn copilot_bills_premium_requests_before_june_2026_and_credits_after() {
    let demo = Demo::generate(SEED, UtcDay::parse("2026-07-15").unwrap());
    let server = server::start(&demo).await.unwrap();
    let base = server.base_url(&Provider::GithubCopilot).unwrap();
    test_tls::install_ring();
    let settings = HttpSettings {
        base_url: Url::parse(&base).unwrap(),
        timeout: Duration::from_secs(30),
        max_attempts: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        user_agent: "reckon-demo-test".to_owned(),
        extra_roots: billing::TrustedRoots::default(),
        max_response_bytes: billing::MAX_RESPONSE_BYTES,
    };
    let source = CopilotSource::new(
        Secret::new(credentials::GITHUB_TOKEN.to_owned()),
        credentials::GITHUB_ORGANIZATION.to_owned(),
        settings,
    )
    .unwrap();
    let range = DayRange::new(demo.first_day(), demo.today()).unwrap();
    let lines = source.pull(range, &NoProgress).await.unwrap().lines;
    let june = UtcDay::parse("2026-06-01").unwrap();
    let billed: Vec<_> = lines.iter().filter(|l| l.is_billed()).collect();
    assert!(billed.iter().any(|l| l.day < june));
    assert!(billed.iter().any(|l| l.day >= june));
    for line in &billed {
        let expected = if line.day < june {
            CostType::Other
        } else {
            CostType::Credits
        };
        assert_eq!(line.cost_type, expected, "{}", line.day);
    }
    assert_eq!(
        sum(billed.iter().map(|l| l.amount.unwrap())),
        demo.billed_total(&Provider::GithubCopilot)
    );
}
