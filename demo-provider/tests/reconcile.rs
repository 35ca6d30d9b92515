//! Both streams end to end through reckon's mapping, pullers and reconciliation engine.
//!
//! Unchanged usage matches; the demo month shows every deliberate case as its reason.

#[allow(dead_code, reason = "each test binary uses part of the helpers")]
mod common;

use std::sync::Arc;
use std::time::Duration;

use billing::anthropic::AnthropicSource;
use billing::cursor::CursorSource;
use billing::github::CopilotSource;
use billing::openai::OpenAiSource;
use billing::{BillingLine, BillingSource, DayRange, HttpSettings, NoProgress, Pacer, Secret};
use demo_provider::Export;
use demo_provider::server::{self, DemoServer, credentials};
use otlp_receiver::{WorkLimits, map_logs, map_traces};
use reconciler::reconcile::{
    BilledLine, Coverage, Inputs, ObservedLine, Reason, Row, Status, Tolerance, WriteOff, reconcile,
};
use reconciler::{Catalogue, Month, Provider, Tier, UtcDay};
use url::Url;

use common::demo;

fn settings(server: &DemoServer, provider: &Provider) -> HttpSettings {
    test_tls::install_ring();
    HttpSettings {
        base_url: Url::parse(&server.base_url(provider).unwrap()).unwrap(),
        timeout: Duration::from_secs(30),
        max_attempts: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        user_agent: "reckon-demo-test".to_owned(),
        extra_roots: billing::TrustedRoots::default(),
        max_response_bytes: billing::MAX_RESPONSE_BYTES,
    }
}

/// Every line of every provider's 90 days, pulled by the real sources.
async fn pulled() -> Vec<BillingLine> {
    let demo = demo();
    let server = server::start(demo).await.unwrap();
    let secret = |text: &str| Secret::new(text.to_owned());
    let sources: Vec<Box<dyn BillingSource>> = vec![
        Box::new(
            AnthropicSource::new(
                secret(credentials::ANTHROPIC_ADMIN_KEY),
                settings(&server, &Provider::Anthropic),
            )
            .unwrap(),
        ),
        Box::new(
            OpenAiSource::new(
                secret(credentials::OPENAI_ADMIN_KEY),
                settings(&server, &Provider::OpenAi),
            )
            .unwrap(),
        ),
        Box::new(
            CursorSource::new(
                secret(credentials::CURSOR_API_KEY),
                settings(&server, &Provider::Cursor),
            )
            .unwrap()
            .with_pacer(Arc::new(Pacer::new(100_000, Duration::from_secs(1)))),
        ),
        Box::new(
            CopilotSource::new(
                secret(credentials::GITHUB_TOKEN),
                credentials::GITHUB_ORGANIZATION.to_owned(),
                settings(&server, &Provider::GithubCopilot),
            )
            .unwrap(),
        ),
    ];
    let range = DayRange::new(demo.first_day(), demo.today()).unwrap();
    let mut lines = Vec::new();
    for source in sources {
        lines.extend(source.pull(range, &NoProgress).await.unwrap().lines);
    }
    lines
}

fn observed() -> Vec<ObservedLine> {
    let mut lines = Vec::new();
    for export in demo().telemetry() {
        let mapped = match &export {
            Export::Logs(request) => map_logs(request, &WorkLimits::default()),
            Export::Traces(request) => map_traces(request, &WorkLimits::default()),
        };
        lines.extend(mapped.records.into_iter().map(|r| ObservedLine {
            day: UtcDay::from_unix_nanos(i128::from(r.occurred_at_ns)).unwrap(),
            provider: r.provider,
            model: r.model,
            tokens: r.tokens,
            reported: r.reported_cost,
        }));
    }
    lines
}

async fn report() -> Vec<Row> {
    let demo = demo();
    let billed: Vec<BilledLine> = pulled()
        .await
        .into_iter()
        .filter(|l| !l.estimate)
        .map(|l| BilledLine {
            day: l.day,
            provider: l.provider,
            model: l.model,
            tier: if l.service_tier.starts_with("priority") {
                Tier::Priority
            } else {
                Tier::Standard
            },
            tokens: l.tokens,
            amount: l.amount,
        })
        .collect();
    let coverage = |provider: Provider, removed: Option<UtcDay>| Coverage {
        provider,
        bill_source: true,
        from: demo.first_day(),
        removed,
        final_through: Some(demo.final_through()),
    };
    let coverage = [
        coverage(Provider::Anthropic, None),
        coverage(Provider::OpenAi, None),
        coverage(Provider::Cursor, Some(demo.cursor_removed_on())),
        coverage(Provider::GithubCopilot, None),
    ];
    let (provider, month) = demo.written_off();
    let catalogue = Catalogue::built_in();
    let observed = observed();
    let months: Vec<Month> = [demo.first_day().month()]
        .into_iter()
        .chain(std::iter::successors(
            demo.first_day().month().next(),
            |m| m.next(),
        ))
        .take_while(|m| *m <= demo.demo_month())
        .collect();
    let inputs = Inputs {
        billed: &billed,
        observed: &observed,
        catalogue: &catalogue,
        coverage: &coverage,
        write_offs: &[],
        tolerance: Tolerance::default(),
        months: &months,
    };
    // The write-off records the month's variance as it stands.
    let variance = reconcile(inputs)
        .into_iter()
        .find(|r| r.provider == provider && r.month == month)
        .and_then(|r| r.variance)
        .unwrap();
    let write_offs = [WriteOff {
        provider,
        month,
        variance,
    }];
    reconcile(Inputs {
        write_offs: &write_offs,
        ..inputs
    })
}

fn row<'a>(rows: &'a [Row], month: Month, provider: &Provider) -> &'a Row {
    rows.iter()
        .find(|r| r.month == month && &r.provider == provider)
        .unwrap_or_else(|| panic!("no row for {month} {provider}"))
}

#[tokio::test]
async fn unchanged_usage_matches_and_the_demo_month_explains_itself() {
    let demo = demo();
    let rows = report().await;
    for r in &rows {
        println!(
            "{} {:<15} {:<12} billed {:>12} observed {:>10} + {:>10} variance {:>12} {:?}",
            r.month,
            r.provider.as_str(),
            r.status.as_str(),
            r.billed.map(|b| b.to_string()).unwrap_or_default(),
            r.observed_reported,
            r.observed_estimated,
            r.variance.map(|v| v.to_string()).unwrap_or_default(),
            r.reasons
        );
    }
    let month = demo.demo_month();
    let full = demo.first_day().month().next().unwrap();
    // A full month with no special case for Cursor matches to the cent.
    let cursor = row(&rows, full, &Provider::Cursor);
    assert_eq!(cursor.status, Status::Matched);
    assert_eq!(cursor.variance, Some(reconciler::Usd::ZERO));
    let has =
        |provider: &Provider, reason: Reason| row(&rows, month, provider).reasons.contains(&reason);
    assert!(has(&Provider::Anthropic, Reason::UntrackedUsage));
    assert!(has(&Provider::Anthropic, Reason::PriorityTier));
    assert!(has(&Provider::Anthropic, Reason::NotYetFinal));
    assert!(has(&Provider::Cursor, Reason::ProviderRemoved));
    assert!(has(&Provider::Google, Reason::UnpricedModel));
    // The negotiated rate: OpenAI's dollars meet the usage report's tokens per model.
    assert!(has(&Provider::OpenAi, Reason::PriceDifference));
    assert!(!has(&Provider::OpenAi, Reason::UntrackedUsage));
    let (provider, written) = demo.written_off();
    assert_eq!(row(&rows, written, &provider).status, Status::WrittenOff);
    // The demo's months as finance reads them: stable numbers for seed and day.
    let table: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {:<15} {:<12} billed {:>14} observed {:>14} + {:>14} unpriced {:>9} variance {:>14} {}",
                r.month,
                r.provider.as_str(),
                r.status.as_str(),
                r.billed.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
                r.observed_reported,
                r.observed_estimated,
                r.unpriced_tokens,
                r.variance.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                r.reasons.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    insta::assert_snapshot!("demo_months_2026_11_22", table.join("\n"));
    let openai = row(&rows, full, &Provider::OpenAi);
    assert!(openai.variance.unwrap() < reconciler::Usd::ZERO);
}
