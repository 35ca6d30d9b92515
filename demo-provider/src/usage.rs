//! The underlying truth: every model call and Copilot day of the organisation's history.
//!
//! Who, when, which tool and model, how many tokens, at which tier. Both the telemetry and the
//! bills derive from it.

use std::ops::Range;

use reconciler::{Catalogue, Tier, TokenCounts, Tool, Usd, UtcDay};

use crate::calendar::{day_start_ms, is_weekend};
use crate::models::{CopilotModel, Model};
use crate::org::Person;
use crate::rng::Rng;
use crate::scenario::{Scenario, TODAY_UNTIL_HOUR};

/// One model call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// When the call completed, in epoch milliseconds (UTC).
    pub at_ms: i64,
    pub day: UtcDay,
    /// Index into the demo's people.
    pub person: usize,
    pub model: Model,
    /// Tokens in reckon's non-overlapping kinds (what the OTLP mapping yields).
    pub tokens: TokenCounts,
    pub tier: Tier,
    /// The tool session (numbered per person, day and tool), the prompt within it, and the
    /// call's place in the session's event sequence.
    pub session: u32,
    pub prompt: u32,
    pub sequence: u32,
    /// The tokens at the catalogue's standard list price; `None` for the unpriced model.
    pub list_cost: Option<Usd>,
    /// Whether the person's device exported it as telemetry.
    pub exported: bool,
    /// Whether the provider's reports (as the demo serves them) hold it.
    pub reported: bool,
}

impl Usage {
    pub fn tool(&self) -> Tool {
        self.model.tool()
    }
}

/// Copilot usage of one person, day and model: premium requests before 2026-06-01, AI credits
/// from then on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopilotUsage {
    pub day: UtcDay,
    pub person: usize,
    pub model: CopilotModel,
    pub units: u64,
    pub reported: bool,
}

/// The calls one device exported in one export: one person, day and tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Batch {
    pub(crate) range: Range<usize>,
    pub(crate) person: usize,
    pub(crate) day: UtcDay,
    pub(crate) tool: Tool,
}

#[derive(Debug, Default)]
pub(crate) struct Generated {
    pub(crate) usage: Vec<Usage>,
    pub(crate) batches: Vec<Batch>,
    pub(crate) copilot: Vec<CopilotUsage>,
}

/// Who and what the generator needs beside the seed.
pub(crate) struct Inputs<'a> {
    pub(crate) seed: u64,
    pub(crate) scenario: &'a Scenario,
    pub(crate) people: &'a [Person],
    pub(crate) catalogue: &'a Catalogue,
    /// The person whose exporter stops on `scenario.exporter_stopped_on`.
    pub(crate) stopped_exporter: Option<usize>,
}

/// How active a person is on a day, in percent; 0 = not at all. Weekends are light, and a few
/// weekdays are days off.
fn day_activity(rng: &mut Rng, day: UtcDay, person: &Person) -> u64 {
    if is_weekend(day) {
        let on_call = if person.activity_percent > 100 {
            50
        } else {
            25
        };
        return if rng.chance(on_call) {
            rng.between(20, 45)
        } else {
            0
        };
    }
    if rng.chance(5) {
        return 0;
    }
    rng.between(70, 130)
}

/// `n` distinct, increasing instants (epoch ms) within the person's working hours of `day`.
fn working_times(rng: &mut Rng, day: UtcDay, hours: (u64, u64), until: u64, n: u64) -> Vec<i64> {
    let (start, end) = (hours.0 * 3600, hours.1.min(until) * 3600);
    let mut seconds: Vec<u64> = (0..n).map(|_| rng.between(start, end - 1)).collect();
    seconds.sort_unstable();
    let midnight = day_start_ms(day);
    let mut times = Vec::with_capacity(seconds.len());
    let mut last = i64::MIN;
    for second in seconds {
        let at = midnight + i64::try_from(second * 1000 + rng.below(1000)).unwrap_or(0);
        last = at.max(last + 1);
        times.push(last);
    }
    times
}

fn model_for(tool: Tool, person: &Person, rng: &mut Rng) -> Model {
    let heavy = person.activity_percent > 100;
    let weights: &[(Model, u64)] = match tool {
        Tool::ClaudeCode if heavy => &[
            (Model::ClaudeSonnet45, 65),
            (Model::ClaudeHaiku45, 15),
            (Model::ClaudeOpus45, 20),
        ],
        Tool::ClaudeCode => &[
            (Model::ClaudeSonnet45, 78),
            (Model::ClaudeHaiku45, 17),
            (Model::ClaudeOpus45, 5),
        ],
        // A few people stayed on the older Codex model.
        Tool::Codex if person.account_uuid.ends_with(['0', '1', '2']) => {
            &[(Model::Gpt5Codex, 75), (Model::Gpt51Codex, 25)]
        }
        Tool::Codex => &[(Model::Gpt51Codex, 92), (Model::Gpt5Codex, 8)],
        Tool::GeminiCli => &[
            (Model::Gemini25Pro, 45),
            (Model::Gemini25Flash, 30),
            (Model::Gemini3ProPreview, 25),
        ],
        _ => &[
            (Model::CursorSonnet45, 55),
            (Model::CursorSonnet45Thinking, 25),
            (Model::CursorGpt5, 20),
        ],
    };
    rng.weighted(weights).unwrap_or(Model::ClaudeSonnet45)
}

/// A call's tokens: Claude Code reads mostly from its prompt cache, Codex and Cursor send
/// largely cached input, Gemini thinks; reasoning is always part of output.
fn tokens_for(model: Model, rng: &mut Rng) -> TokenCounts {
    let part = |rng: &mut Rng, whole: u64, lo: u64, hi: u64| whole * rng.between(lo, hi) / 100;
    let mut tokens = match model {
        Model::ClaudeSonnet45 | Model::ClaudeOpus45 => TokenCounts {
            input: rng.low_skewed(3, 600),
            cache_read: rng.low_skewed(12_000, 140_000),
            cache_write_5m: rng.low_skewed(200, 9_000),
            output: rng.low_skewed(60, 3_000),
            ..TokenCounts::default()
        },
        Model::ClaudeHaiku45 => TokenCounts {
            input: rng.between(300, 4_000),
            cache_read: rng.low_skewed(0, 6_000),
            cache_write_5m: rng.low_skewed(0, 800),
            output: rng.low_skewed(10, 400),
            ..TokenCounts::default()
        },
        Model::Gpt51Codex | Model::Gpt5Codex => {
            let all = rng.low_skewed(6_000, 110_000);
            let cached = part(rng, all, 60, 92);
            TokenCounts {
                input: all - cached,
                cache_read: cached,
                output: rng.low_skewed(150, 4_000),
                ..TokenCounts::default()
            }
        }
        Model::Gemini25Pro | Model::Gemini25Flash | Model::Gemini3ProPreview => {
            let all = rng.low_skewed(4_000, 80_000);
            let cached = if rng.chance(30) {
                0
            } else {
                part(rng, all, 20, 75)
            };
            let thoughts = rng.low_skewed(0, 1_800);
            let output = rng.low_skewed(80, 2_500) + thoughts;
            return TokenCounts {
                input: all - cached,
                cache_read: cached,
                output,
                reasoning: thoughts,
                ..TokenCounts::default()
            };
        }
        Model::CursorSonnet45 | Model::CursorSonnet45Thinking | Model::CursorGpt5 => TokenCounts {
            input: rng.low_skewed(200, 6_000),
            cache_read: rng.low_skewed(4_000, 70_000),
            // OpenAI has no cache-write price: its models never write one.
            cache_write_5m: if model == Model::CursorGpt5 {
                0
            } else {
                rng.low_skewed(0, 5_000)
            },
            output: rng.low_skewed(100, 2_500),
            ..TokenCounts::default()
        },
    };
    if model.reasons() {
        tokens.reasoning = part(rng, tokens.output, 20, 60);
    }
    tokens
}

/// The whole history, day by day, person by person, tool by tool.
pub(crate) fn generate(inputs: &Inputs<'_>) -> Generated {
    let scenario = inputs.scenario;
    let mut generated = Generated::default();
    for (day_index, day) in scenario.days().enumerate() {
        let day_key = day_index as u64;
        for (p, person) in inputs.people.iter().enumerate() {
            let mut rng = Rng::stream(inputs.seed, &[1, p as u64, day_key]);
            let activity = day_activity(&mut rng, day, person);
            if activity == 0 {
                continue;
            }
            for (t, tool) in person.tools.iter().enumerate() {
                let mut rng = Rng::stream(inputs.seed, &[2, p as u64, day_key, t as u64]);
                calls(
                    inputs,
                    &mut generated,
                    (p, person),
                    day,
                    *tool,
                    t == 0,
                    activity,
                    &mut rng,
                );
            }
            if person.github_login.is_some() {
                let mut rng = Rng::stream(inputs.seed, &[3, p as u64, day_key]);
                copilot(scenario, &mut generated.copilot, p, day, activity, &mut rng);
            }
        }
    }
    generated
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site, every argument distinct"
)]
fn calls(
    inputs: &Inputs<'_>,
    generated: &mut Generated,
    (p, person): (usize, &Person),
    day: UtcDay,
    tool: Tool,
    main: bool,
    activity: u64,
    rng: &mut Rng,
) {
    let scenario = inputs.scenario;
    let base = if main { 26 } else { 9 };
    let mut n = base * person.activity_percent * activity * rng.between(75, 125) / 1_000_000;
    let until = if day == scenario.today {
        TODAY_UNTIL_HOUR
    } else {
        24
    };
    if person.hours.0 >= until {
        return;
    }
    if until < person.hours.1 {
        n = n * (until - person.hours.0) / (person.hours.1 - person.hours.0);
    }
    if n == 0 {
        return;
    }
    let exported = person.exports_telemetry
        && !(inputs.stopped_exporter == Some(p) && day >= scenario.exporter_stopped_on);
    let start = generated.usage.len();
    let (mut session, mut prompt, mut sequence) = (0u32, 0u32, 0u32);
    let mut previous: Option<i64> = None;
    for at_ms in working_times(rng, day, person.hours, until, n) {
        if let Some(before) = previous {
            let gap = at_ms - before;
            if gap > 45 * 60 * 1000 || rng.chance(4) {
                session += 1;
                (prompt, sequence) = (0, 0);
            } else if gap > 90 * 1000 || rng.chance(30) {
                prompt += 1;
            }
        }
        previous = Some(at_ms);
        // Other events (prompts, tool results) take sequence numbers between API requests.
        sequence += 1 + u32::try_from(rng.below(3)).unwrap_or(0);
        let model = model_for(tool, person, rng);
        let tokens = tokens_for(model, rng);
        let priority = tool == Tool::ClaudeCode && person.team == "payments" && rng.chance(40);
        let list_cost = model.list_price_key().and_then(|(provider, name)| {
            inputs
                .catalogue
                .cost(&provider, name, Tier::Standard, day, &tokens)
        });
        let served = match tool {
            Tool::GeminiCli => false,
            Tool::Cursor => day < scenario.cursor_removed_on,
            _ => true,
        };
        let percent = scenario.reported_percent(day);
        let reported = served && (percent >= 100 || rng.chance(percent));
        generated.usage.push(Usage {
            at_ms,
            day,
            person: p,
            model,
            tokens,
            tier: if priority {
                Tier::Priority
            } else {
                Tier::Standard
            },
            session,
            prompt,
            sequence,
            list_cost,
            exported,
            reported,
        });
    }
    if exported {
        generated.batches.push(Batch {
            range: start..generated.usage.len(),
            person: p,
            day,
            tool,
        });
    }
}

/// The first day GitHub bills Copilot in AI credits rather than premium requests.
pub(crate) fn ai_credits_start() -> Option<UtcDay> {
    UtcDay::from_ymd(2026, 6, 1)
}

fn copilot(
    scenario: &Scenario,
    out: &mut Vec<CopilotUsage>,
    person: usize,
    day: UtcDay,
    activity: u64,
    rng: &mut Rng,
) {
    const MODELS: [(CopilotModel, u64); 3] = [
        (CopilotModel::ClaudeSonnet45, 50),
        (CopilotModel::Gpt5, 35),
        (CopilotModel::Gpt5Mini, 15),
    ];
    let credits = ai_credits_start().is_some_and(|start| day >= start);
    let percent = scenario.reported_percent(day);
    let mut models: Vec<CopilotModel> = (0..rng.between(1, 2))
        .filter_map(|_| rng.weighted(&MODELS))
        .collect();
    models.sort_unstable();
    models.dedup();
    for model in models {
        let units = if credits {
            rng.low_skewed(5, 90)
        } else {
            rng.between(1, 20)
        } * activity
            / 100;
        if units > 0 {
            out.push(CopilotUsage {
                day,
                person,
                model,
                units,
                reported: percent >= 100 || rng.chance(percent),
            });
        }
    }
}
