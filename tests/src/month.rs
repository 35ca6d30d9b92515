//! The benchmarks' month: an organisation of 5,000 people whose 10 million observed events are
//! stored through the usage write path (rolled up as the server rolls them up) beside 1 million
//! billed lines stored as a sync stores them. Shared by the reconciliation and page benchmarks.

use billing::{BillingLine, CostType};
use otlp_receiver::{IdempotencyKey, Identity, RecordKind, UsageRecord};
use reckon_server::storage::{Storage, UsageBatch};
use reconciler::{Month, Provider, TokenCounts, Tool, Usd, UtcDay};

pub const PEOPLE: u64 = 5_000;
pub const MODELS: [(&str, Provider, Tool); 4] = [
    ("claude-sonnet-4-5", Provider::Anthropic, Tool::ClaudeCode),
    ("claude-opus-4-5", Provider::Anthropic, Tool::ClaudeCode),
    ("gpt-5.1-codex", Provider::OpenAi, Tool::Codex),
    ("gemini-2.5-flash", Provider::Google, Tool::GeminiCli),
];

pub fn tokens(n: u64) -> TokenCounts {
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
pub async fn store_events(
    storage: &dyn Storage,
    org: i64,
    key: i64,
    month: Month,
    events: u64,
) -> u64 {
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
pub fn billed(month: Month, count: u64) -> Vec<BillingLine> {
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
