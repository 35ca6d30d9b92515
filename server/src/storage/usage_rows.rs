//! The pieces of the usage write path: what a usage row adds to its rollup, the summed changes
//! of a transaction, and the SQL and binds of the usage tables.

use otlp_receiver::UsageRecord;
use otlp_receiver::cumulative::SeriesState;
use reconciler::{TokenCounts, Usd, UtcDay};

use super::rows::Columns;
use super::{Backend, StorageError};

pub(super) const TOKEN_COLUMNS: &str = "input_tokens, cache_read_tokens, cache_write_5m_tokens, \
    cache_write_1h_tokens, output_tokens, reasoning_tokens";

pub(super) const ROLLUP_UPSERT: &str = "INSERT INTO usage_rollups (org_id, day, provider, tool, model, person, \
    team, label, records, input_tokens, cache_read_tokens, cache_write_5m_tokens, \
    cache_write_1h_tokens, output_tokens, reasoning_tokens, reported_cost_nanos) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
    ON CONFLICT (org_id, day, provider, tool, model, person, team, label) DO UPDATE SET \
    records = usage_rollups.records + excluded.records, \
    input_tokens = usage_rollups.input_tokens + excluded.input_tokens, \
    cache_read_tokens = usage_rollups.cache_read_tokens + excluded.cache_read_tokens, \
    cache_write_5m_tokens = usage_rollups.cache_write_5m_tokens + excluded.cache_write_5m_tokens, \
    cache_write_1h_tokens = usage_rollups.cache_write_1h_tokens + excluded.cache_write_1h_tokens, \
    output_tokens = usage_rollups.output_tokens + excluded.output_tokens, \
    reasoning_tokens = usage_rollups.reasoning_tokens + excluded.reasoning_tokens, \
    reported_cost_nanos = usage_rollups.reported_cost_nanos + excluded.reported_cost_nanos";

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

/// A rollup row's key: day, provider, tool, model, person, team, label.
pub(super) type RollupKey = [String; 7];
/// A rollup row's change: records, the six token kinds, nano-dollars.
pub(super) type RollupSums = (i64, [i64; 6], i64);

/// The rollup changes of one transaction, summed per rollup row and applied once at its end
/// (an export of 50 events of one session changes one rollup row once, not 50 times).
#[derive(Default)]
pub(super) struct RollupChanges {
    pub(super) rows: std::collections::BTreeMap<(i64, RollupKey), RollupSums>,
}

impl RollupChanges {
    pub(super) fn add(&mut self, org_id: i64, c: &Contribution, records: i64) {
        let key = [
            c.day.clone(),
            c.provider.clone(),
            c.tool.clone(),
            c.model.clone(),
            c.person.clone(),
            c.team.clone(),
            c.label().to_owned(),
        ];
        let entry = self.rows.entry((org_id, key)).or_insert((0, [0; 6], 0));
        // Counts are capped at a trillion and costs at a million dollars per record when they are
        // read, so a transaction's sums stay far inside i64; saturating keeps a bug from panicking
        // the writer all the same.
        entry.0 = entry.0.saturating_add(records);
        for (sum, n) in entry.1.iter_mut().zip(c.tokens) {
            *sum = sum.saturating_add(n);
        }
        entry.2 = entry.2.saturating_add(c.cost_nanos.unwrap_or(0));
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

/// The rollup upsert adding one summed change.
macro_rules! rollup {
    ($org:expr, $key:expr, $sums:expr) => {
        sqlx::query($crate::storage::usage_rows::ROLLUP_UPSERT)
            .bind($org)
            .bind(&$key[0])
            .bind(&$key[1])
            .bind(&$key[2])
            .bind(&$key[3])
            .bind(&$key[4])
            .bind(&$key[5])
            .bind(&$key[6])
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

pub(super) const EVENT_COLUMNS: &str = "org_id, idempotency_key, kind, scope, counted, occurred_at_ns, day, \
    tool, provider, model, person, team, session_id, user_email, account_uuid, account_id, user_id, \
    installation_id, tool_organization_id, department, input_tokens, cache_read_tokens, \
    cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, \
    reported_cost_nanos, telemetry_key_id, received_at_ms";
pub(super) const EVENT_PARAMS: usize = 29;
/// Rows per multi-row insert (29 parameters each, within SQLite's and PostgreSQL's limits).
pub(super) const ROWS_PER_INSERT: usize = 200;

/// `INSERT INTO usage_events … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING org_id, idempotency_key`
/// for `rows` rows: the keys returned are the rows that were new. SQLite gets anonymous `?`
/// placeholders: the driver resolves each `$N` by name, which costs time proportional to the
/// number of parameters for every one of them — quadratic in a multi-row insert.
pub(super) fn event_insert_sql(rows: usize, backend: Backend) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let params: Vec<String> = (1..=EVENT_PARAMS)
                .map(|i| match backend {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${}", row * EVENT_PARAMS + i),
                })
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO usage_events ({EVENT_COLUMNS}) VALUES {} \
         ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING org_id, idempotency_key",
        values.join(", ")
    )
}

/// One usage row to insert.
pub(super) struct EventRow<'a> {
    pub(super) org_id: i64,
    pub(super) key_id: i64,
    pub(super) record: &'a UsageRecord,
    pub(super) kind: &'static str,
    pub(super) scope: &'a str,
    pub(super) counted: bool,
    pub(super) occurred: i64,
    pub(super) c: Contribution,
}

/// Binds one `EventRow` onto a query, in `EVENT_COLUMNS` order.
macro_rules! bind_event {
    ($query:expr, $row:expr) => {
        $query
            .bind($row.org_id)
            .bind(&$row.record.idempotency_key)
            .bind($row.kind)
            .bind($row.scope)
            .bind(i64::from($row.counted))
            .bind($row.occurred)
            .bind(&$row.c.day)
            .bind(&$row.c.tool)
            .bind(&$row.c.provider)
            .bind(&$row.c.model)
            .bind(&$row.c.person)
            .bind(&$row.c.team)
            .bind(&$row.record.session_id)
            .bind(&$row.record.identity.email)
            .bind(&$row.record.identity.account_uuid)
            .bind(&$row.record.identity.account_id)
            .bind(&$row.record.identity.user_id)
            .bind(&$row.record.identity.installation_id)
            .bind(&$row.record.identity.organization_id)
            .bind(&$row.record.identity.department)
            .bind($row.c.tokens[0])
            .bind($row.c.tokens[1])
            .bind($row.c.tokens[2])
            .bind($row.c.tokens[3])
            .bind($row.c.tokens[4])
            .bind($row.c.tokens[5])
            .bind($row.c.cost_nanos)
            .bind($row.key_id)
            .bind($crate::storage::now_ms())
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

pub(super) use {bind_event, rollup};
