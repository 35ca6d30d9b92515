//! The pieces of the usage write path: what a usage row adds to its rollup, the summed changes
//! of a transaction, and the SQL and binds of the usage tables.

use otlp_receiver::UsageRecord;
use otlp_receiver::cumulative::SeriesState;
use reconciler::{TokenCounts, Usd, UtcDay};

use super::StorageError;
use super::rows::Columns;

pub(super) const TOKEN_COLUMNS: &str = "input_tokens, cache_read_tokens, cache_write_5m_tokens, \
    cache_write_1h_tokens, output_tokens, reasoning_tokens";

/// What a usage row adds to (or, taken back, subtracts from) its rollup.
#[derive(Clone, Debug)]
pub(super) struct Contribution {
    pub(super) day: String,
    pub(super) provider: String,
    pub(super) tool: String,
    pub(super) model: String,
    pub(super) person: String,
    pub(super) team: String,
    pub(super) tokens: [i64; 6],
    pub(super) cost_nanos: Option<i64>,
}

impl Contribution {
    pub(super) fn label(&self) -> &'static str {
        if self.cost_nanos.is_some() {
            "reported"
        } else {
            "estimated"
        }
    }

    /// The same contribution with every amount negated, to take it back out of its rollup.
    pub(super) fn negated(mut self) -> Contribution {
        self.tokens = self.tokens.map(|n| -n);
        self.cost_nanos = self.cost_nanos.map(|n| -n);
        self
    }
}

/// A rollup row's change: records, the six token kinds, nano-dollars.
pub(super) type RollupSums = (i64, [i64; 6], i64);

/// The rollup changes of one transaction, summed per rollup row and applied once at its end
/// (an export of 50 events of one session changes one rollup row once, not 50 times).
///
/// A row is keyed by its org and its seven key fields (day, provider, tool, model, person, team,
/// label) encoded into one byte string, each field length-prefixed so no value can run into the
/// next; a reused buffer makes looking up an existing row allocation-free. The map is ordered,
/// so concurrent writers take rollup rows in the same order.
#[derive(Default)]
pub(super) struct RollupChanges {
    rows: std::collections::BTreeMap<Vec<u8>, RollupSums>,
    buffer: Vec<u8>,
}

impl RollupChanges {
    pub(super) fn add(&mut self, org_id: i64, c: &Contribution, records: i64) {
        self.buffer.clear();
        self.buffer.extend_from_slice(&org_id.to_be_bytes());
        for field in [
            c.day.as_str(),
            &c.provider,
            &c.tool,
            &c.model,
            &c.person,
            &c.team,
            c.label(),
        ] {
            let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
            self.buffer.extend_from_slice(&len.to_be_bytes());
            self.buffer.extend_from_slice(field.as_bytes());
        }
        let entry = match self.rows.get_mut(self.buffer.as_slice()) {
            Some(entry) => entry,
            None => self
                .rows
                .entry(self.buffer.clone())
                .or_insert((0, [0; 6], 0)),
        };
        // Counts are capped at a trillion and costs at a million dollars per record when they are
        // read, so a transaction's sums stay far inside i64; saturating keeps a bug from panicking
        // the writer all the same.
        entry.0 = entry.0.saturating_add(records);
        for (sum, n) in entry.1.iter_mut().zip(c.tokens) {
            *sum = sum.saturating_add(n);
        }
        entry.2 = entry.2.saturating_add(c.cost_nanos.unwrap_or(0));
    }

    /// Each changed rollup row: org, the seven key fields, and its summed change.
    pub(super) fn rows(&self) -> impl Iterator<Item = (i64, [&str; 7], &RollupSums)> {
        self.rows.iter().map(|(key, sums)| {
            let (org, mut rest) = key.split_at(8);
            let org_id = i64::from_be_bytes(org.try_into().unwrap_or_default());
            let fields = std::array::from_fn(|_| {
                let (len, tail) = rest.split_at(4);
                let len = u32::from_be_bytes(len.try_into().unwrap_or_default()) as usize;
                let (field, tail) = tail.split_at(len);
                rest = tail;
                // Written from `&str` fields above, so always UTF-8.
                std::str::from_utf8(field).unwrap_or_default()
            });
            (org_id, fields, sums)
        })
    }
}

pub(super) fn signed(tokens: &TokenCounts) -> Result<[i64; 6], StorageError> {
    let mut out = [0i64; 6];
    for (slot, kind) in out.iter_mut().zip(reconciler::TokenKind::ALL) {
        *slot = i64::try_from(tokens.get(kind)).map_err(|_| {
            StorageError::Conflict(format!("a {kind} token count is too large to store"))
        })?;
    }
    Ok(out)
}

pub(super) fn unsigned(tokens: [i64; 6]) -> TokenCounts {
    reconciler::TokenKind::ALL
        .into_iter()
        .zip(tokens)
        .fold(TokenCounts::default(), |acc, (kind, n)| {
            acc.with(kind, u64::try_from(n).unwrap_or_default())
        })
}

pub(super) fn contribution(
    record: &UsageRecord,
    tokens: &TokenCounts,
    cost: Option<Usd>,
) -> Result<Contribution, StorageError> {
    let day = UtcDay::from_unix_nanos(i128::from(record.occurred_at_ns))
        .map_err(|e| StorageError::Conflict(e.to_string()))?;
    Ok(Contribution {
        day: day.to_string(),
        provider: record.provider.to_string(),
        tool: record.tool.to_string(),
        model: record.model.clone(),
        person: record.identity.person().to_owned(),
        team: record.identity.team_tag().to_owned(),
        tokens: signed(tokens)?,
        cost_nanos: cost.map(Usd::to_nanos),
    })
}

pub(super) fn contribution_of_row(row: &impl Columns) -> Result<Contribution, sqlx::Error> {
    let mut tokens = [0i64; 6];
    for (slot, column) in tokens.iter_mut().zip(TOKEN_COLUMNS.split(", ")) {
        *slot = row.int(column)?;
    }
    Ok(Contribution {
        day: row.text("day")?,
        provider: row.text("provider")?,
        tool: row.text("tool")?,
        model: row.text("model")?,
        person: row.text("person")?,
        team: row.text("team")?,
        tokens,
        cost_nanos: row.opt_int("reported_cost_nanos")?,
    })
}

/// Binds one rollup row's summed change onto a query, in `ROLLUP_COLUMNS` order.
macro_rules! bind_rollup {
    ($query:expr, $org:expr, $key:expr, $sums:expr) => {
        $query
            .bind($org)
            .bind($key[0])
            .bind($key[1])
            .bind($key[2])
            .bind($key[3])
            .bind($key[4])
            .bind($key[5])
            .bind($key[6])
            .bind($sums.0)
            .bind($sums.1[0])
            .bind($sums.1[1])
            .bind($sums.1[2])
            .bind($sums.1[3])
            .bind($sums.1[4])
            .bind($sums.1[5])
            .bind($sums.2)
    };
}

pub(super) const ROLLUP_COLUMNS: &str = "org_id, day, provider, tool, model, person, team, label, \
    records, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, \
    output_tokens, reasoning_tokens, reported_cost_nanos";

pub(super) const EVENT_COLUMNS: &str = "org_id, idempotency_key, kind, scope, counted, occurred_at_ns, day, \
    tool, provider, model, person, team, session_id, user_email, account_uuid, account_id, user_id, \
    installation_id, tool_organization_id, department, input_tokens, cache_read_tokens, \
    cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, \
    reported_cost_nanos, telemetry_key_id, received_at_ms";
/// One usage row to insert.
pub(super) struct EventRow<'a> {
    pub(super) org_id: i64,
    pub(super) key_id: i64,
    pub(super) record: &'a UsageRecord,
    pub(super) kind: &'static str,
    pub(super) scope: &'a str,
    pub(super) counted: bool,
    pub(super) occurred: i64,
    pub(super) received_at_ms: i64,
    pub(super) c: Contribution,
}

/// Binds one `EventRow` onto a query, in `EVENT_COLUMNS` order.
macro_rules! bind_event {
    ($query:expr, $row:expr) => {
        $query
            .bind($row.org_id)
            .bind($row.record.idempotency_key.as_bytes())
            .bind($row.kind)
            .bind($row.scope)
            .bind(i64::from($row.counted))
            .bind($row.occurred)
            .bind($row.c.day.as_str())
            .bind($row.c.tool.as_str())
            .bind($row.c.provider.as_str())
            .bind($row.c.model.as_str())
            .bind($row.c.person.as_str())
            .bind($row.c.team.as_str())
            .bind($row.record.session_id.as_deref())
            .bind($row.record.identity.email.as_deref())
            .bind($row.record.identity.account_uuid.as_deref())
            .bind($row.record.identity.account_id.as_deref())
            .bind($row.record.identity.user_id.as_deref())
            .bind($row.record.identity.installation_id.as_deref())
            .bind($row.record.identity.organization_id.as_deref())
            .bind($row.record.identity.department.as_deref())
            .bind($row.c.tokens[0])
            .bind($row.c.tokens[1])
            .bind($row.c.tokens[2])
            .bind($row.c.tokens[3])
            .bind($row.c.tokens[4])
            .bind($row.c.tokens[5])
            .bind($row.c.cost_nanos)
            .bind($row.key_id)
            .bind($row.received_at_ms)
    };
}

pub(super) fn series_state(row: &impl Columns) -> Result<SeriesState, sqlx::Error> {
    let mut tokens = [0i64; 6];
    for (slot, column) in tokens.iter_mut().zip(TOKEN_COLUMNS.split(", ")) {
        *slot = row.int(column)?;
    }
    Ok(SeriesState {
        start_time_ns: u64::try_from(row.int("start_time_ns")?).unwrap_or_default(),
        time_ns: u64::try_from(row.int("time_ns")?).unwrap_or_default(),
        tokens: unsigned(tokens),
        cost: row.opt_int("reported_cost_nanos")?.map(Usd::from_nanos),
    })
}

pub(super) const SERIES_UPSERT: &str = "INSERT INTO metric_series (org_id, series, start_time_ns, time_ns, \
    input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, \
    reasoning_tokens, reported_cost_nanos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
    ON CONFLICT (org_id, series) DO UPDATE SET start_time_ns = excluded.start_time_ns, \
    time_ns = excluded.time_ns, input_tokens = excluded.input_tokens, \
    cache_read_tokens = excluded.cache_read_tokens, cache_write_5m_tokens = excluded.cache_write_5m_tokens, \
    cache_write_1h_tokens = excluded.cache_write_1h_tokens, output_tokens = excluded.output_tokens, \
    reasoning_tokens = excluded.reasoning_tokens, reported_cost_nanos = excluded.reported_cost_nanos";

pub(super) fn nanos(value: u64) -> Result<i64, StorageError> {
    i64::try_from(value)
        .map_err(|_| StorageError::Conflict(format!("timestamp {value} is out of range")))
}

pub(super) use {bind_event, bind_rollup};
