//! What each provider reports about the demo organisation, derived from the truth.
//!
//! The rows the provider-shaped server serves, with every amount exact. Billed amounts are list
//! prices from the built-in catalogue, except the deliberate cases (OpenAI's negotiated rate,
//! Anthropic's priority tier outside the cost report, data not yet final, Cursor after its
//! removal).

pub(crate) mod anthropic;
pub(crate) mod cursor;
pub(crate) mod github;
pub(crate) mod openai;

use std::collections::BTreeMap;

use reconciler::{Catalogue, Provider, Tier, TokenCounts, TokenKind, Usd, UtcDay};
use rust_decimal::Decimal;

use crate::models::Model;
use crate::org::Person;
use crate::scenario::Scenario;
use crate::usage::{CopilotUsage, Usage};

/// Every provider's reports.
#[derive(Debug)]
pub(crate) struct Bills {
    pub(crate) scenario: Scenario,
    /// The organisation's id in Anthropic's reports (Claude Code's `organization.id`).
    pub(crate) organization_id: String,
    pub(crate) anthropic: anthropic::AnthropicBill,
    pub(crate) openai: openai::OpenAiBill,
    pub(crate) cursor: cursor::CursorBill,
    pub(crate) github: github::GithubBill,
}

impl Bills {
    pub(crate) fn build(
        usage: &[Usage],
        copilot: &[CopilotUsage],
        people: &[Person],
        scenario: &Scenario,
        catalogue: &Catalogue,
        organization_id: &str,
    ) -> Bills {
        let reported: Vec<&Usage> = usage.iter().filter(|u| u.reported).collect();
        Bills {
            scenario: scenario.clone(),
            organization_id: organization_id.to_owned(),
            anthropic: anthropic::AnthropicBill::build(&reported, people, catalogue),
            openai: openai::OpenAiBill::build(&reported, people, catalogue),
            cursor: cursor::CursorBill::build(&reported, people, scenario),
            github: github::GithubBill::build(copilot, people, scenario),
        }
    }

    /// What the real pullers count as billed (non-estimate lines with an amount), per provider
    /// and UTC day.
    pub(crate) fn billed_by_day(&self) -> BTreeMap<(Provider, UtcDay), Usd> {
        let mut totals = BTreeMap::new();
        let mut add = |provider: Provider, day: UtcDay, amount: Usd| {
            let total: &mut Usd = totals.entry((provider, day)).or_default();
            *total = total.checked_add(amount).unwrap_or(*total);
        };
        for (day, rows) in &self.anthropic.cost {
            for row in rows {
                add(Provider::Anthropic, *day, row.amount);
            }
        }
        for (day, rows) in &self.openai.cost {
            for row in rows {
                add(Provider::OpenAi, *day, row.amount);
            }
        }
        for event in &self.cursor.events {
            add(Provider::Cursor, event.day, event.amount());
        }
        for (day, items) in &self.github.items {
            for item in items {
                add(Provider::GithubCopilot, *day, item.amount());
            }
        }
        totals
    }
}

/// Workspace, project and key ids: stable and readable (`wrkspc_demo_platform`).
pub(crate) fn team_id(prefix: &str, team: &str) -> String {
    format!("{prefix}_demo_{team}")
}

/// What `count` tokens of one kind cost at the catalogue's standard list price on `day`.
pub(crate) fn kind_cost(
    catalogue: &Catalogue,
    model: Model,
    day: UtcDay,
    kind: TokenKind,
    count: u64,
) -> Option<Usd> {
    let (provider, name) = model.list_price_key()?;
    let tokens = TokenCounts::default().with(kind, count);
    catalogue.cost(&provider, name, Tier::Standard, day, &tokens)
}

/// `a + b`, kept at `a` in the (unreachable) case of overflow past ±9.2 billion USD.
pub(crate) fn add(a: Usd, b: Usd) -> Usd {
    a.checked_add(b).unwrap_or(a)
}

/// `usd` in cents, exactly.
pub(crate) fn cents(usd: Usd) -> Decimal {
    usd.as_decimal()
        .checked_mul(Decimal::ONE_HUNDRED)
        .unwrap_or_default()
        .normalize()
}
