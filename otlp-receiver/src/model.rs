//! What the mapping produces: usage records, and the data points it could not use.

use reconciler::{Provider, TokenCounts, Tool, Usd};
use sha2::{Digest, Sha256};

/// Names one unit of usage: the same usage, re-sent, always gets the same key.
///
/// 24 bytes: when the usage happened (Unix nanoseconds, big-endian) and the first 128 bits of
/// a SHA-256 over the parts that identify it. The time comes first so that usage arriving in
/// time order lands at the end of the unique index instead of on random pages of it; the time
/// is itself read from the record, so it adds nothing a re-sent record could change.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey([u8; 24]);

impl IdempotencyKey {
    pub fn new(occurred_at_ns: u64, parts: &[&str]) -> IdempotencyKey {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update([0x1f]);
        }
        IdempotencyKey::from_hash(occurred_at_ns, hasher)
    }

    /// The key of a hash that has been fed the parts (each followed by `0x1f`) already.
    pub(crate) fn from_hash(occurred_at_ns: u64, hasher: Sha256) -> IdempotencyKey {
        let digest = hasher.finalize();
        let mut key = [0u8; 24];
        key[..8].copy_from_slice(&occurred_at_ns.to_be_bytes());
        key[8..].copy_from_slice(&digest[..16]);
        IdempotencyKey(key)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key stored as `bytes`, if they are one.
    pub fn from_bytes(bytes: &[u8]) -> Option<IdempotencyKey> {
        bytes.try_into().ok().map(IdempotencyKey)
    }
}

impl std::fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

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
    pub idempotency_key: IdempotencyKey,
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

/// The earliest usage reckon accepts: no AI coding tool exported usage before 2020.
pub const EARLIEST_NS: u64 = 1_577_836_800_000_000_000;
/// How far ahead of reckon's clock a usage time may be (clocks drift; a day is generous).
pub const AHEAD_NS: u64 = 24 * 60 * 60 * 1_000_000_000;
/// The longest stored text (model, session id, email, team, account ids), in bytes.
pub const MAX_TEXT_BYTES: usize = 256;

impl UsageRecord {
    /// Why this record can never be stored, if so: a time before 2020 or more than a day
    /// after `now_ns`, or a text with a NUL byte (PostgreSQL refuses it) or longer than
    /// [`MAX_TEXT_BYTES`]. Such a record is rejected on its own, permanently: a retryable
    /// answer would make the exporter send it again forever.
    pub fn unstorable(&self, now_ns: u64) -> Option<String> {
        if self.occurred_at_ns < EARLIEST_NS {
            return Some(format!(
                "a usage record is dated before 2020 ({} ns)",
                self.occurred_at_ns
            ));
        }
        if self.occurred_at_ns > now_ns.saturating_add(AHEAD_NS) {
            return Some(format!(
                "a usage record is dated more than a day ahead ({} ns)",
                self.occurred_at_ns
            ));
        }
        let identity = &self.identity;
        let texts = [
            ("model", Some(&self.model)),
            ("session id", self.session_id.as_ref()),
            ("email", identity.email.as_ref()),
            ("account uuid", identity.account_uuid.as_ref()),
            ("account id", identity.account_id.as_ref()),
            ("user id", identity.user_id.as_ref()),
            ("installation id", identity.installation_id.as_ref()),
            ("organization id", identity.organization_id.as_ref()),
            ("team", identity.team.as_ref()),
            ("department", identity.department.as_ref()),
        ];
        for (what, text) in texts {
            let Some(text) = text else { continue };
            if text.contains('\0') {
                return Some(format!("the {what} of a usage record contains a NUL byte"));
            }
            if text.len() > MAX_TEXT_BYTES {
                return Some(format!(
                    "the {what} of a usage record is {} bytes, more than {MAX_TEXT_BYTES}",
                    text.len()
                ));
            }
        }
        let keys: Vec<&String> = match &self.kind {
            RecordKind::Event { covers } => covers.iter().collect(),
            RecordKind::Fallback { scope } => vec![scope],
            RecordKind::CumulativeFallback { scope, series, .. } => vec![scope, series],
        };
        keys.iter()
            .any(|key| key.contains('\0'))
            .then(|| "a usage record's scope contains a NUL byte".to_owned())
    }
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
            reason: capped(reason.into()),
        });
    }
}

/// The longest rejection reason kept, in characters: a reason quotes what was wrong (a metric
/// name, an attribute's value), and what a client sent is never echoed or logged whole.
pub const MAX_REASON_CHARS: usize = 140;

/// `reason`, cut to [`MAX_REASON_CHARS`] (on a character boundary) with `…` when longer.
pub fn capped(reason: String) -> String {
    match reason.char_indices().nth(MAX_REASON_CHARS) {
        None => reason,
        Some((end, _)) => format!("{}…", &reason[..end]),
    }
}
