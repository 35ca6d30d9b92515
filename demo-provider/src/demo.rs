//! The generated demo and its accessors: what the server seeds from and tests check against.

use std::collections::BTreeMap;
use std::sync::Arc;

use reconciler::{Catalogue, Month, Provider, TokenCounts, Tool, Usd, UtcDay};
use rust_decimal::Decimal;

use crate::bills::Bills;
use crate::models::Model;
use crate::org::{Person, TEAMS, Team, UNTRACKED_TEAM, people};
use crate::otlp::{Batch, Export};
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::usage::{self, CopilotUsage, Usage};

/// A deterministic synthetic organisation's last 90 days of AI usage: the same seed and
/// `today` always give the same demo, byte for byte.
#[derive(Debug)]
pub struct Demo {
    seed: u64,
    scenario: Scenario,
    people: Vec<Person>,
    usage: Vec<Usage>,
    batches: Vec<usage::Batch>,
    copilot: Vec<CopilotUsage>,
    pub(crate) bills: Arc<Bills>,
    stopped_exporter: Option<usize>,
    identity_switchers: Vec<usize>,
    organization_id: String,
}

/// The first member of `team` for whom `fits` holds.
fn first_of(people: &[Person], team: &str, fits: impl Fn(&Person) -> bool) -> Option<usize> {
    people.iter().position(|p| p.team == team && fits(p))
}

impl Demo {
    /// Generates the demo of the 90 days ending with `today` (pure: no clock, no IO).
    pub fn generate(seed: u64, today: UtcDay) -> Demo {
        let scenario = Scenario::new(today);
        let people = people(seed);
        let catalogue = Catalogue::built_in();
        let claude_code = |p: &Person| p.exports_telemetry && p.uses(Tool::ClaudeCode);
        let stopped_exporter = first_of(&people, "payments", claude_code);
        // One Claude Code user from each of three teams, topped up from platform.
        let mut identity_switchers: Vec<usize> = ["platform", "mobile", "growth"]
            .iter()
            .filter_map(|team| first_of(&people, team, claude_code))
            .collect();
        let more: Vec<usize> = (0..people.len())
            .filter(|i| people[*i].team == "platform" && claude_code(&people[*i]))
            .filter(|i| !identity_switchers.contains(i))
            .collect();
        let missing = 3usize.saturating_sub(identity_switchers.len());
        identity_switchers.extend(more.into_iter().take(missing));
        let generated = usage::generate(&usage::Inputs {
            seed,
            scenario: &scenario,
            people: &people,
            catalogue: &catalogue,
            stopped_exporter,
        });
        let organization_id = Rng::stream(seed, &[0x0e6]).uuid();
        let bills = Bills::build(
            &generated.usage,
            &generated.copilot,
            &people,
            &scenario,
            &catalogue,
            &organization_id,
        );
        Demo {
            seed,
            scenario,
            usage: generated.usage,
            batches: generated.batches,
            copilot: generated.copilot,
            bills: Arc::new(bills),
            stopped_exporter,
            identity_switchers,
            organization_id,
            people,
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn today(&self) -> UtcDay {
        self.scenario.today
    }

    /// The dates of every variance case.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The first day with usage (`today` − 89).
    pub fn first_day(&self) -> UtcDay {
        self.scenario.first_day
    }

    /// The calendar month containing `today`, where every variance case shows.
    pub fn demo_month(&self) -> Month {
        self.scenario.demo_month
    }

    /// The last day whose bills are final: the providers serve the days after it in part.
    pub fn final_through(&self) -> UtcDay {
        self.scenario.final_through
    }

    /// The day the Cursor integration was removed: its API serves no usage from then on.
    pub fn cursor_removed_on(&self) -> UtcDay {
        self.scenario.cursor_removed_on
    }

    /// The (provider, month) the demo writes off.
    pub fn written_off(&self) -> (Provider, Month) {
        self.scenario.written_off.clone()
    }

    pub fn teams(&self) -> &'static [Team] {
        &TEAMS
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// The team whose machines send no telemetry (its Anthropic usage is untracked).
    pub fn untracked_team(&self) -> &'static str {
        UNTRACKED_TEAM
    }

    /// The person whose exporter died, and the first day it sent nothing.
    pub fn stopped_exporter(&self) -> Option<(&Person, UtcDay)> {
        let person = self.people.get(self.stopped_exporter?)?;
        Some((person, self.scenario.exporter_stopped_on))
    }

    /// Claude Code users whose records carry `user.email` and `user.account_uuid` until
    /// [`Scenario::identity_switch_on`], and only `user.account_uuid` from then on.
    pub fn identity_switchers(&self) -> impl Iterator<Item = &Person> {
        self.identity_switchers
            .iter()
            .filter_map(|index| self.people.get(*index))
    }

    /// The model the catalogue has no price for.
    pub fn unpriced_model(&self) -> &'static str {
        Model::Gemini3ProPreview.telemetry_name()
    }

    /// What OpenAI bills per list-price dollar (its negotiated rate).
    pub fn openai_rate(&self) -> Decimal {
        crate::bills::openai::negotiated_rate()
    }

    /// Claude Code's `organization.id`.
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// Every model call, the truth both streams derive from.
    pub fn usage(&self) -> &[Usage] {
        &self.usage
    }

    pub fn copilot_usage(&self) -> &[CopilotUsage] {
        &self.copilot
    }

    /// The telemetry as OTLP exports, oldest day first: one per person, day and tool. Built on
    /// demand, so the whole history is never held in memory as protobuf at once.
    pub fn telemetry(&self) -> impl Iterator<Item = Export> + '_ {
        self.batches.iter().map(move |batch| {
            let person = &self.people[batch.person];
            Batch {
                seed: self.seed,
                person_index: batch.person,
                person,
                team: TEAMS
                    .iter()
                    .find(|t| t.id == person.team)
                    .unwrap_or(&TEAMS[0]),
                day: batch.day,
                tool: batch.tool,
                calls: &self.usage[batch.range.clone()],
                without_email: batch.tool == Tool::ClaudeCode
                    && batch.day >= self.scenario.identity_switch_on
                    && self.identity_switchers.contains(&batch.person),
                organization_id: &self.organization_id,
            }
            .export()
        })
    }

    /// How many OTLP export requests [`Demo::telemetry`] yields.
    pub fn otlp_request_count(&self) -> usize {
        self.batches.len()
    }

    /// How many usage records the exports carry (Codex's twin records without counts aside).
    pub fn telemetry_record_count(&self) -> usize {
        self.usage.iter().filter(|u| u.exported).count()
    }

    /// Tokens the exports carry per tool, in reckon's kinds (what the OTLP mapping yields).
    pub fn telemetry_tokens(&self) -> BTreeMap<Tool, TokenCounts> {
        let mut totals: BTreeMap<Tool, TokenCounts> = BTreeMap::new();
        for call in self.usage.iter().filter(|u| u.exported) {
            let total = totals.entry(call.tool()).or_default();
            *total = total.saturating_add(&call.tokens);
        }
        totals
    }

    /// What the real pullers count as billed over the whole history, per provider.
    pub fn billed_totals(&self) -> BTreeMap<Provider, Usd> {
        let mut totals: BTreeMap<Provider, Usd> = BTreeMap::new();
        for ((provider, _), amount) in self.bills.billed_by_day() {
            let total = totals.entry(provider).or_default();
            *total = crate::bills::add(*total, amount);
        }
        totals
    }

    /// [`Demo::billed_totals`] of one provider (zero for one the demo does not bill).
    pub fn billed_total(&self, provider: &Provider) -> Usd {
        self.billed_totals()
            .get(provider)
            .copied()
            .unwrap_or_default()
    }

    /// Billed amounts per provider and UTC day.
    pub fn billed_by_day(&self) -> BTreeMap<(Provider, UtcDay), Usd> {
        self.bills.billed_by_day()
    }
}
