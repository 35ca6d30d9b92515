//! Token and cost metrics, the fallback for sessions whose events do not arrive: Claude Code's
//! `claude_code.token.usage` and `claude_code.cost.usage` (delta sums), Gemini CLI's
//! `gemini_cli.token.usage` (cumulative sums), Codex's `codex.turn.token_usage` and the GenAI
//! `gen_ai.client.token.usage` histograms.
//!
//! The points of one moment (same metric, time and attributes but the token type) are read
//! together, because the kinds overlap (Gemini's input includes its cache) and must be
//! normalised as a whole. Claude Code's cost metric is a series of its own.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, metric::Data, number_data_point,
};
use reconciler::{Provider, TokenCounts, Tool, Usd};

use super::series::{Series, SeriesStart};
use super::support::{checked_cost, checked_time, identity};
use super::{claude_code, codex, gemini_cli, genai};
use crate::attrs::{Attrs, ResourceAttrs, over_caps};
use crate::{Mapped, RecordKind, UsageRecord, WorkLimits};

/// A metric reckon reads, and the attribute naming each point's token type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Family {
    ClaudeTokens,
    ClaudeCost,
    Gemini,
    Codex,
    GenAi,
}

impl Family {
    fn of(name: &str, attrs: &Attrs<'_>) -> Option<Family> {
        Some(match name {
            "claude_code.token.usage" => Family::ClaudeTokens,
            "claude_code.cost.usage" => Family::ClaudeCost,
            "gemini_cli.token.usage" => Family::Gemini,
            "codex.turn.token_usage" => Family::Codex,
            "gen_ai.client.token.usage" if genai::is_generic_source(attrs) => Family::GenAi,
            _ => return None,
        })
    }

    fn type_key(self) -> &'static str {
        match self {
            Family::ClaudeTokens | Family::ClaudeCost | Family::Gemini => "type",
            Family::Codex => "token_type",
            Family::GenAi => "gen_ai.token.type",
        }
    }

    fn tool(self, attrs: &Attrs<'_>) -> Tool {
        match self {
            Family::ClaudeTokens | Family::ClaudeCost => Tool::ClaudeCode,
            Family::Gemini => Tool::GeminiCli,
            Family::Codex => Tool::Codex,
            Family::GenAi => genai::tool(attrs),
        }
    }
}

/// The points of one moment of one series, by token type.
struct Moment<'a> {
    tool: Tool,
    /// The series' identity: family, resource and attributes without the token type.
    series: Series,
    attrs: Attrs<'a>,
    time_ns: u64,
    start_ns: u64,
    cumulative: bool,
    /// Token counts by the tool's own type names; `cost` for cost points.
    values: BTreeMap<String, Value>,
}

/// One data point of a metric reckon reads; `value` is why not, when it has none.
struct Point<'a> {
    attrs: &'a [KeyValue],
    start_ns: u64,
    time_ns: u64,
    cumulative: bool,
    value: Result<Option<f64>, String>,
}

enum Value {
    Count(u64),
    Cost(Usd),
}

/// Moments by series, time and temporality.
type Moments<'a> = BTreeMap<([u8; 32], u64, bool), Moment<'a>>;

/// What a resource's points share: whether it is over the per-item caps, and the start of its
/// series' keys per family (hashed once).
struct Resource {
    over_caps: Option<String>,
    series: BTreeMap<Family, SeriesStart>,
}

pub(crate) fn map(request: &ExportMetricsServiceRequest, limits: &WorkLimits) -> Mapped {
    let mut mapped = Mapped::default();
    let resources: Vec<ResourceAttrs<'_>> = request
        .resource_metrics
        .iter()
        .map(|r| ResourceAttrs::new(r.resource.as_ref().map_or(&[][..], |r| &r.attributes[..])))
        .collect();
    let mut moments: Moments<'_> = BTreeMap::new();
    for (resource_metrics, attrs) in request.resource_metrics.iter().zip(&resources) {
        let mut resource = Resource {
            over_caps: over_caps(attrs.list, "the resource of a metric", limits),
            series: BTreeMap::new(),
        };
        for scope in &resource_metrics.scope_metrics {
            for metric in &scope.metrics {
                let Some(data) = &metric.data else {
                    if Family::of(&metric.name, &Attrs::new(&[], attrs)).is_some() {
                        mapped.reject(format!("metric {} has no data", metric.name));
                    }
                    continue;
                };
                collect(
                    &metric.name,
                    data,
                    attrs,
                    &mut resource,
                    &mut moments,
                    &mut mapped,
                    limits,
                );
            }
        }
    }
    for moment in moments.into_values() {
        match record(moment) {
            Ok(Some(usage)) => mapped.records.push(usage),
            Ok(None) => {}
            Err(reason) => mapped.reject(reason),
        }
    }
    mapped
}

fn collect<'a>(
    name: &str,
    data: &'a Data,
    attrs_of_resource: &'a ResourceAttrs<'a>,
    resource: &mut Resource,
    moments: &mut Moments<'a>,
    mapped: &mut Mapped,
    limits: &WorkLimits,
) {
    let cumulative = |t: i32| t == AggregationTemporality::Cumulative as i32;
    let points: Vec<Point<'a>> = match data {
        Data::Sum(sum) => sum
            .data_points
            .iter()
            .filter(|p| p.flags & 1 == 0)
            .map(|p| {
                let value = match p.value {
                    Some(number_data_point::Value::AsDouble(d)) => Ok(Some(d)),
                    Some(number_data_point::Value::AsInt(i)) => Ok(Some(i as f64)),
                    None => Err(format!("a {name} data point has no value")),
                };
                Point {
                    attrs: &p.attributes,
                    start_ns: p.start_time_unix_nano,
                    time_ns: p.time_unix_nano,
                    cumulative: cumulative(sum.aggregation_temporality),
                    value,
                }
            })
            .collect(),
        Data::Histogram(histogram) => histogram
            .data_points
            .iter()
            .filter(|p| p.flags & 1 == 0)
            .map(|p| {
                let value = p
                    .sum
                    .ok_or_else(|| format!("a {name} data point has no sum"));
                Point {
                    attrs: &p.attributes,
                    start_ns: p.start_time_unix_nano,
                    time_ns: p.time_unix_nano,
                    cumulative: cumulative(histogram.aggregation_temporality),
                    value: value.map(Some),
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    for Point {
        attrs: own,
        start_ns,
        time_ns,
        cumulative: is_cumulative,
        value,
    } in points
    {
        let attrs = Attrs::new(own, attrs_of_resource);
        let Some(family) = Family::of(name, &attrs) else {
            return;
        };
        if let Some(reason) = resource
            .over_caps
            .clone()
            .or_else(|| over_caps(own, &format!("a {name} data point"), limits))
        {
            mapped.reject(reason);
            continue;
        }
        let value = match value.and_then(|v| {
            checked_time(time_ns.max(start_ns), &format!("a {name} data point"))?;
            Ok(v)
        }) {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(reason) => {
                mapped.reject(reason);
                continue;
            }
        };
        let kind = match family {
            Family::ClaudeCost => "cost".to_owned(),
            _ => attrs.text(family.type_key()).unwrap_or_default(),
        };
        let parsed = if family == Family::ClaudeCost {
            checked_cost(&format!("{value}"), name).map(Value::Cost)
        } else {
            whole(value)
                .map(Value::Count)
                .ok_or_else(|| format!("a {name} point of {value} is not a token count"))
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(reason) => {
                mapped.reject(reason);
                continue;
            }
        };
        let series = resource
            .series
            .entry(family)
            .or_insert_with(|| {
                SeriesStart::new(
                    &format!("{family:?}"),
                    attrs_of_resource.list,
                    family.type_key(),
                )
            })
            .point(own, family.type_key());
        let moment_key = (series.digest(), time_ns, is_cumulative);
        let moment = moments.entry(moment_key).or_insert_with(|| Moment {
            tool: family.tool(&attrs),
            series,
            attrs,
            time_ns,
            start_ns,
            cumulative: is_cumulative,
            values: BTreeMap::new(),
        });
        moment.start_ns = moment.start_ns.min(start_ns);
        moment.values.insert(kind, parsed);
    }
}

/// A point's value as a whole, non-negative count.
#[allow(
    clippy::float_arithmetic,
    reason = "checking integrality of a count, not money"
)]
fn whole(value: f64) -> Option<u64> {
    (value.is_finite()
        && value >= 0.0
        && value.fract() == 0.0
        && value <= crate::attrs::MAX_COUNT as f64)
        .then(|| format!("{value}").parse().ok())
        .flatten()
}

fn count(values: &BTreeMap<String, Value>, kind: &str) -> u64 {
    match values.get(kind) {
        Some(Value::Count(n)) => *n,
        _ => 0,
    }
}

fn record(moment: Moment<'_>) -> Result<Option<UsageRecord>, String> {
    let v = &moment.values;
    let attrs = &moment.attrs;
    let model = attrs
        .text("model")
        .or_else(|| genai::model(attrs))
        .unwrap_or_else(|| "unknown".to_owned());
    let session = attrs.text("session.id");
    let (tokens, cost, provider, scope) = match moment.tool {
        Tool::ClaudeCode => {
            let (cache_write_5m, cache_write_1h) =
                claude_code::cache_writes(count(v, "cacheCreation"), 0, 0)?;
            let tokens = TokenCounts {
                input: count(v, "input"),
                cache_read: count(v, "cacheRead"),
                cache_write_5m,
                cache_write_1h,
                output: count(v, "output"),
                reasoning: 0,
            };
            // Claude Code states the cost of all its usage (in its cost metric, a series of its
            // own), so its token points are `reported` too, with no dollars of their own.
            let cost = match v.get("cost") {
                Some(Value::Cost(usd)) => Some(*usd),
                _ => Some(Usd::ZERO),
            };
            let scope = session
                .as_deref()
                .map(claude_code::session_scope)
                .unwrap_or_default();
            (tokens, cost, claude_code::provider(attrs), scope)
        }
        Tool::GeminiCli => {
            let tokens = gemini_cli::normalise(
                count(v, "input"),
                count(v, "cache"),
                count(v, "output"),
                count(v, "thought"),
                count(v, "tool"),
            )
            .map_err(|e| format!("gemini_cli.token.usage: {e}"))?;
            let scope = session
                .as_deref()
                .map(gemini_cli::session_scope)
                .unwrap_or_default();
            (tokens, None, gemini_cli::provider(attrs), scope)
        }
        Tool::Codex => {
            let (cached, cache_write) = (count(v, "cached_input"), count(v, "cache_write_input"));
            let input = count(v, "input")
                .checked_sub(cached)
                .and_then(|rest| rest.checked_sub(cache_write))
                .ok_or("codex.turn.token_usage: cached input exceeds input")?;
            let tokens = TokenCounts {
                input,
                cache_read: cached,
                cache_write_5m: cache_write,
                cache_write_1h: 0,
                output: count(v, "output"),
                reasoning: count(v, "reasoning_output"),
            };
            (
                tokens,
                None,
                Provider::OpenAi,
                codex::day_scope(&model, moment.time_ns),
            )
        }
        Tool::Cursor | Tool::Other => {
            // GenAI histograms give input (cache included, not split) and output.
            let tokens = TokenCounts {
                input: count(v, "input"),
                output: count(v, "output"),
                ..TokenCounts::default()
            };
            (
                tokens,
                None,
                genai::provider(attrs, moment.tool),
                genai::day_scope(attrs, &model, moment.time_ns),
            )
        }
    };
    if tokens == TokenCounts::default() && cost.is_none() && !moment.cumulative {
        return Ok(None);
    }
    let series = &moment.series;
    let kind = if moment.cumulative {
        RecordKind::CumulativeFallback {
            scope,
            series: series.id(),
            start_time_ns: moment.start_ns,
        }
    } else {
        RecordKind::Fallback { scope }
    };
    Ok(Some(UsageRecord {
        idempotency_key: series.key(moment.start_ns, moment.time_ns),
        kind,
        tool: moment.tool,
        provider,
        model,
        occurred_at_ns: moment.time_ns,
        session_id: session,
        identity: identity(attrs),
        tokens,
        reported_cost: cost,
    }))
}
