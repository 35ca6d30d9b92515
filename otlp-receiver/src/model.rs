//! What the mapping produces: usage records, and the data points it could not use.

use reconciler::{Provider, TokenCounts, Tool, Usd};

/// Who a unit of usage belongs to, as far as the telemetry says. Only attribution fields; no
/// prompt, file or command content is ever kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub email: Option<String>,
    pub account_uuid: Option<String>,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    pub installation_id: Option<String>,
    pub organization_id: Option<String>,
    pub team: Option<String>,
    pub department: Option<String>,
}

impl Identity {
    /// The person the usage is attributed to: email first, then the tool's account ids; empty
    /// when unattributed.
    pub fn person(&self) -> &str {
        [
            &self.email,
            &self.account_uuid,
            &self.account_id,
            &self.user_id,
        ]
        .into_iter()
        .find_map(|id| id.as_deref().filter(|v| !v.is_empty()))
        .unwrap_or_default()
    }

    /// The team tag: `team.id`, else `department`; empty when none.
    pub fn team_tag(&self) -> &str {
        [&self.team, &self.department]
            .into_iter()
            .find_map(|id| id.as_deref().filter(|v| !v.is_empty()))
            .unwrap_or_default()
    }
}

/// How a record counts.
///
/// Tools report the same usage twice: per request (events) and as metrics. Events are the
/// authoritative observation; a metric point counts only where no event reports the same usage.
/// Which usage that is, is named by a *scope*: usually the tool's session id; for metrics that
/// carry none (Codex), the tool, model and UTC day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A per-request event (Claude Code `api_request`, Codex `response.completed`, Gemini
    /// `api_response`, a GenAI span), covering the scopes whose metrics it makes redundant.
    Event { covers: Vec<String> },
    /// A delta metric point, counted only while no event covers its scope.
    Fallback { scope: String },
    /// A cumulative metric point: `tokens` and `reported_cost` are running totals of `series`
    /// since `start_time_ns`; the sink turns them into increments with the state it keeps.
    CumulativeFallback {
        scope: String,
        series: String,
        start_time_ns: u64,
    },
}

/// One unit of observed usage.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRecord {
    /// Stable across re-sent exports: the same usage always gets the same key.
    pub idempotency_key: String,
    pub kind: RecordKind,
    pub tool: Tool,
    pub provider: Provider,
    pub model: String,
    /// When the usage happened (Unix nanoseconds, UTC).
    pub occurred_at_ns: u64,
    pub session_id: Option<String>,
    pub identity: Identity,
    pub tokens: TokenCounts,
    /// The tool's own cost figure (label `reported`), if it sent one.
    pub reported_cost: Option<Usd>,
}

/// A record or data point that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
}

/// The outcome of mapping one export.
#[derive(Clone, Debug, Default)]
pub struct Mapped {
    pub records: Vec<UsageRecord>,
    pub rejected: Vec<Rejection>,
}

impl Mapped {
    pub fn reject(&mut self, reason: impl Into<String>) {
        self.rejected.push(Rejection {
            reason: reason.into(),
        });
    }
}
