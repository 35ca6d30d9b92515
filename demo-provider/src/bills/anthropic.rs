//! Anthropic's reports of the demo: cost report, messages usage report, Claude Code analytics.
//!
//! The cost report bills list-price dollars but never priority-tier usage (Anthropic bills that
//! outside it); the usage report has tokens by model, workspace, key and service tier; the
//! analytics are per person and day, estimates.

use std::collections::BTreeMap;

use reconciler::{Catalogue, Tier, TokenCounts, TokenKind, Usd, UtcDay};

use super::{add, kind_cost, team_id};
use crate::models::Model;
use crate::org::{Person, UNTRACKED_TEAM};
use crate::usage::Usage;

/// The token types the cost report bills separately, as it names and describes them.
pub(crate) const TOKEN_TYPES: [(TokenKind, &str, &str); 4] = [
    (TokenKind::Input, "uncached_input_tokens", "Input Tokens"),
    (
        TokenKind::CacheRead,
        "cache_read_input_tokens",
        "Input Tokens, Cache Read",
    ),
    (
        TokenKind::CacheWrite5m,
        "cache_creation.ephemeral_5m_input_tokens",
        "Input Tokens, 5m Cache Write",
    ),
    (TokenKind::Output, "output_tokens", "Output Tokens"),
];

/// One cost-report row: a day's cost of one token type of one model in one workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CostRow {
    /// `None`: the organisation's default workspace (it has no id).
    pub(crate) workspace: Option<String>,
    pub(crate) model: Model,
    /// Index into [`TOKEN_TYPES`].
    pub(crate) token_type: usize,
    pub(crate) amount: Usd,
}

impl CostRow {
    pub(crate) fn description(&self) -> String {
        let (_, _, what) = TOKEN_TYPES[self.token_type];
        format!("{} Usage - {what}", self.model.display_name())
    }
}

/// One messages-usage row: a day's tokens of one model, workspace, key and tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UsageRow {
    pub(crate) model: Model,
    pub(crate) workspace: Option<String>,
    pub(crate) api_key: String,
    pub(crate) tier: Tier,
    pub(crate) tokens: TokenCounts,
}

/// One person's Claude Code day, as the analytics report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AnalyticsRecord {
    pub(crate) email: String,
    pub(crate) terminal: &'static str,
    pub(crate) sessions: u32,
    pub(crate) requests: u64,
    /// Per model: tokens and the estimated cost at list price.
    pub(crate) models: BTreeMap<Model, (TokenCounts, Usd)>,
}

#[derive(Debug, Default)]
pub(crate) struct AnthropicBill {
    pub(crate) cost: BTreeMap<UtcDay, Vec<CostRow>>,
    pub(crate) usage: BTreeMap<UtcDay, Vec<UsageRow>>,
    pub(crate) analytics: BTreeMap<UtcDay, Vec<AnalyticsRecord>>,
}

/// The team's workspace: the data team works in the default workspace, which has no id.
pub(crate) fn workspace(team: &str) -> Option<String> {
    (team != UNTRACKED_TEAM).then(|| team_id("wrkspc", team))
}

impl AnthropicBill {
    pub(crate) fn build(
        reported: &[&Usage],
        people: &[Person],
        catalogue: &Catalogue,
    ) -> AnthropicBill {
        type CostKey = (UtcDay, Option<String>, Model, usize);
        type UsageKey = (UtcDay, Model, Option<String>, String, Tier);
        let mut cost_tokens: BTreeMap<CostKey, u64> = BTreeMap::new();
        let mut usage: BTreeMap<UsageKey, TokenCounts> = BTreeMap::new();
        let mut analytics: BTreeMap<(UtcDay, usize), AnalyticsRecord> = BTreeMap::new();
        let mut sessions: BTreeMap<(UtcDay, usize), Vec<u32>> = BTreeMap::new();
        for call in reported
            .iter()
            .filter(|u| u.tool() == reconciler::Tool::ClaudeCode)
        {
            let person = &people[call.person];
            let space = workspace(person.team);
            // Priority Tier is billed on its own terms: never in the cost report.
            if call.tier != Tier::Priority {
                for (index, (kind, _, _)) in TOKEN_TYPES.iter().enumerate() {
                    let count = call.tokens.get(*kind);
                    if count > 0 {
                        *cost_tokens
                            .entry((call.day, space.clone(), call.model, index))
                            .or_default() += count;
                    }
                }
            }
            let key = (
                call.day,
                call.model,
                space,
                team_id("apikey", person.team),
                call.tier,
            );
            let sum = usage.entry(key).or_default();
            *sum = sum.saturating_add(&call.tokens);
            let record =
                analytics
                    .entry((call.day, call.person))
                    .or_insert_with(|| AnalyticsRecord {
                        email: person.email.clone(),
                        terminal: person.terminal,
                        sessions: 0,
                        requests: 0,
                        models: BTreeMap::new(),
                    });
            record.requests += 1;
            let (tokens, cost) = record.models.entry(call.model).or_default();
            *tokens = tokens.saturating_add(&call.tokens);
            *cost = add(*cost, call.list_cost.unwrap_or_default());
            sessions
                .entry((call.day, call.person))
                .or_default()
                .push(call.session);
        }
        let mut bill = AnthropicBill::default();
        for ((day, space, model, token_type), count) in cost_tokens {
            let kind = TOKEN_TYPES[token_type].0;
            if let Some(amount) = kind_cost(catalogue, model, day, kind, count) {
                bill.cost.entry(day).or_default().push(CostRow {
                    workspace: space,
                    model,
                    token_type,
                    amount,
                });
            }
        }
        for ((day, model, space, api_key, tier), tokens) in usage {
            bill.usage.entry(day).or_default().push(UsageRow {
                model,
                workspace: space,
                api_key,
                tier,
                tokens,
            });
        }
        for ((day, person), mut record) in analytics {
            let mut seen = sessions.remove(&(day, person)).unwrap_or_default();
            seen.sort_unstable();
            seen.dedup();
            record.sessions = u32::try_from(seen.len()).unwrap_or(u32::MAX);
            bill.analytics.entry(day).or_default().push(record);
        }
        bill
    }
}
