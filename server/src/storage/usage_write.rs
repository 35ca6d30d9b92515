//! Storing usage records exactly once, with their daily rollups, in one transaction per group
//! of exports.
//!
//! Events count; a metric record (fallback) counts only while no event covers its scope. When
//! the first event of a scope arrives, the fallbacks already counted there are taken back out of
//! the rollups, so the same usage is never counted twice whatever order exports arrive in.
//! Events go in with multi-row inserts whose `RETURNING` names the new ones; rollup changes are
//! summed per rollup row and applied once per transaction.

use std::collections::HashSet;

use otlp_receiver::cumulative::{Advance, SeriesState, advance};
use otlp_receiver::{RecordKind, StoreOutcome, UsageRecord};
use reconciler::{TokenCounts, Usd, UtcDay};

use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::usage::UsageBatch;
use super::{Backend, Storage, StorageError, now_ms};

pub(super) const TOKEN_COLUMNS: &str = "input_tokens, cache_read_tokens, cache_write_5m_tokens, \
    cache_write_1h_tokens, output_tokens, reasoning_tokens";

const ROLLUP_UPSERT: &str = "INSERT INTO usage_rollups (org_id, day, provider, tool, model, person, \
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
struct Contribution {
    day: String,
    provider: String,
    tool: String,
    model: String,
    person: String,
    team: String,
    tokens: [i64; 6],
    cost_nanos: Option<i64>,
}

impl Contribution {
    fn label(&self) -> &'static str {
        if self.cost_nanos.is_some() {
            "reported"
        } else {
            "estimated"
        }
    }

    /// The same contribution with every amount negated, to take it back out of its rollup.
    fn negated(mut self) -> Contribution {
        self.tokens = self.tokens.map(|n| -n);
        self.cost_nanos = self.cost_nanos.map(|n| -n);
        self
    }
}

/// A rollup row's key: day, provider, tool, model, person, team, label.
type RollupKey = [String; 7];
/// A rollup row's change: records, the six token kinds, nano-dollars.
type RollupSums = (i64, [i64; 6], i64);

/// The rollup changes of one transaction, summed per rollup row and applied once at its end
/// (an export of 50 events of one session changes one rollup row once, not 50 times).
#[derive(Default)]
struct RollupChanges {
    rows: std::collections::BTreeMap<(i64, RollupKey), RollupSums>,
}

impl RollupChanges {
    fn add(&mut self, org_id: i64, c: &Contribution, records: i64) {
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
        entry.0 += records;
        for (sum, n) in entry.1.iter_mut().zip(c.tokens) {
            *sum += n;
        }
        entry.2 += c.cost_nanos.unwrap_or(0);
    }
}

fn signed(tokens: &TokenCounts) -> Result<[i64; 6], StorageError> {
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

fn contribution(
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

fn contribution_of_row(row: &impl Columns) -> Result<Contribution, sqlx::Error> {
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
        sqlx::query(ROLLUP_UPSERT)
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

const EVENT_COLUMNS: &str = "org_id, idempotency_key, kind, scope, counted, occurred_at_ns, day, \
    tool, provider, model, person, team, session_id, user_email, account_uuid, account_id, user_id, \
    installation_id, tool_organization_id, department, input_tokens, cache_read_tokens, \
    cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, \
    reported_cost_nanos, telemetry_key_id, received_at_ms";
const EVENT_PARAMS: usize = 29;
/// Rows per multi-row insert (29 parameters each, within SQLite's and PostgreSQL's limits).
const ROWS_PER_INSERT: usize = 200;

/// `INSERT INTO usage_events … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING idempotency_key`
/// for `rows` rows: the keys returned are the rows that were new. SQLite gets anonymous `?`
/// placeholders: the driver resolves each `$N` by name, which costs time proportional to the
/// number of parameters for every one of them — quadratic in a multi-row insert.
fn event_insert_sql(rows: usize, backend: Backend) -> String {
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
         ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING idempotency_key",
        values.join(", ")
    )
}

/// One usage row to insert.
struct EventRow<'a> {
    org_id: i64,
    key_id: i64,
    record: &'a UsageRecord,
    kind: &'static str,
    scope: &'a str,
    counted: bool,
    occurred: i64,
    c: Contribution,
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
            .bind(now_ms())
    };
}

fn series_state(row: &impl Columns) -> Result<SeriesState, sqlx::Error> {
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

const SERIES_UPSERT: &str = "INSERT INTO metric_series (org_id, series, start_time_ns, time_ns, \
    input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, \
    reasoning_tokens, reported_cost_nanos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
    ON CONFLICT (org_id, series) DO UPDATE SET start_time_ns = excluded.start_time_ns, \
    time_ns = excluded.time_ns, input_tokens = excluded.input_tokens, \
    cache_read_tokens = excluded.cache_read_tokens, cache_write_5m_tokens = excluded.cache_write_5m_tokens, \
    cache_write_1h_tokens = excluded.cache_write_1h_tokens, output_tokens = excluded.output_tokens, \
    reasoning_tokens = excluded.reasoning_tokens, reported_cost_nanos = excluded.reported_cost_nanos";

fn nanos(value: u64) -> Result<i64, StorageError> {
    i64::try_from(value)
        .map_err(|_| StorageError::Conflict(format!("timestamp {value} is out of range")))
}

impl SqlStore {
    pub(super) async fn write_usage(
        &self,
        batches: &[UsageBatch<'_>],
    ) -> Result<Vec<StoreOutcome>, StorageError> {
        let backend = self.backend();
        let mut outcomes = vec![StoreOutcome::default(); batches.len()];
        let mut changes = RollupChanges::default();
        // Events first (deduplicated by key within the group), then metric fallbacks.
        let mut events: Vec<(usize, EventRow<'_>)> = Vec::new();
        let mut keys = HashSet::new();
        for (index, batch) in batches.iter().enumerate() {
            for record in batch.records {
                if !matches!(record.kind, RecordKind::Event { .. }) {
                    continue;
                }
                if !keys.insert((batch.org_id, record.idempotency_key.as_str())) {
                    outcomes[index].duplicates += 1;
                    continue;
                }
                events.push((
                    index,
                    EventRow {
                        org_id: batch.org_id,
                        key_id: batch.telemetry_key_id,
                        record,
                        kind: "event",
                        scope: "",
                        counted: true,
                        occurred: nanos(record.occurred_at_ns)?,
                        c: contribution(record, &record.tokens, record.reported_cost)?,
                    },
                ));
            }
        }
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let mut new_keys: HashSet<String> = HashSet::new();
            for chunk in events.chunks(ROWS_PER_INSERT) {
                let sql = event_insert_sql(chunk.len(), backend);
                let mut query = sqlx::query_scalar::<_, String>(&sql);
                for (_, row) in chunk {
                    query = bind_event!(query, row);
                }
                new_keys.extend(query.fetch_all(&mut *tx).await?);
            }
            let mut covered_now: HashSet<(i64, &str)> = HashSet::new();
            for (index, row) in &events {
                if !new_keys.contains(&row.record.idempotency_key) {
                    outcomes[*index].duplicates += 1;
                    continue;
                }
                outcomes[*index].stored += 1;
                changes.add(row.org_id, &row.c, 1);
                let RecordKind::Event { covers } = &row.record.kind else {
                    continue;
                };
                for scope in covers {
                    if !covered_now.insert((row.org_id, scope.as_str())) {
                        continue;
                    }
                    let newly = sqlx::query(
                        "INSERT INTO usage_scopes (org_id, scope, covered_at_ms) VALUES ($1, $2, $3) \
                         ON CONFLICT (org_id, scope) DO NOTHING",
                    )
                    .bind(row.org_id)
                    .bind(scope)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                    if newly.rows_affected() == 0 {
                        continue;
                    }
                    // Metrics counted before the first event of this scope: take them back out.
                    let counted = sqlx::query(&format!(
                        "SELECT id, day, provider, tool, model, person, team, {TOKEN_COLUMNS}, reported_cost_nanos \
                         FROM usage_events WHERE org_id = $1 AND scope = $2 AND counted = 1"
                    ))
                    .bind(row.org_id)
                    .bind(scope)
                    .fetch_all(&mut *tx)
                    .await?;
                    for taken in &counted {
                        changes.add(row.org_id, &contribution_of_row(taken)?.negated(), -1);
                        sqlx::query("UPDATE usage_events SET counted = 0 WHERE id = $1")
                            .bind(taken.int("id")?)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            for (index, batch) in batches.iter().enumerate() {
                let org_id = batch.org_id;
                for record in batch.records {
                    let (RecordKind::Fallback { scope }
                    | RecordKind::CumulativeFallback { scope, .. }) = &record.kind
                    else {
                        continue;
                    };
                    let exists: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM usage_events WHERE org_id = $1 AND idempotency_key = $2",
                    )
                    .bind(org_id)
                    .bind(&record.idempotency_key)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if exists.is_some() {
                        outcomes[index].duplicates += 1;
                        continue;
                    }
                    let (tokens, cost, kind) = match &record.kind {
                        RecordKind::CumulativeFallback {
                            series,
                            start_time_ns,
                            ..
                        } => {
                            let previous = sqlx::query(&format!(
                                "SELECT start_time_ns, time_ns, {TOKEN_COLUMNS}, reported_cost_nanos \
                                 FROM metric_series WHERE org_id = $1 AND series = $2"
                            ))
                            .bind(org_id)
                            .bind(series)
                            .fetch_optional(&mut *tx)
                            .await?;
                            let previous = previous.as_ref().map(series_state).transpose()?;
                            let next = SeriesState {
                                start_time_ns: *start_time_ns,
                                time_ns: record.occurred_at_ns,
                                tokens: record.tokens,
                                cost: record.reported_cost,
                            };
                            let Advance::Increment {
                                tokens,
                                cost,
                                state,
                            } = advance(previous, next)
                            else {
                                outcomes[index].duplicates += 1;
                                continue;
                            };
                            let totals = signed(&state.tokens)?;
                            sqlx::query(SERIES_UPSERT)
                                .bind(org_id)
                                .bind(series)
                                .bind(nanos(state.start_time_ns)?)
                                .bind(nanos(state.time_ns)?)
                                .bind(totals[0])
                                .bind(totals[1])
                                .bind(totals[2])
                                .bind(totals[3])
                                .bind(totals[4])
                                .bind(totals[5])
                                .bind(state.cost.map(Usd::to_nanos))
                                .execute(&mut *tx)
                                .await?;
                            // A total that did not move adds nothing to count.
                            if tokens == TokenCounts::default() && cost.is_none_or(Usd::is_zero) {
                                outcomes[index].duplicates += 1;
                                continue;
                            }
                            (tokens, cost, "cumulative")
                        }
                        _ => (record.tokens, record.reported_cost, "fallback"),
                    };
                    let covered: Option<i64> = if scope.is_empty() {
                        None
                    } else {
                        sqlx::query_scalar(
                            "SELECT org_id FROM usage_scopes WHERE org_id = $1 AND scope = $2",
                        )
                        .bind(org_id)
                        .bind(scope)
                        .fetch_optional(&mut *tx)
                        .await?
                    };
                    let row = EventRow {
                        org_id,
                        key_id: batch.telemetry_key_id,
                        record,
                        kind,
                        scope,
                        counted: covered.is_none(),
                        occurred: nanos(record.occurred_at_ns)?,
                        c: contribution(record, &tokens, cost)?,
                    };
                    let sql = event_insert_sql(1, backend);
                    let inserted = bind_event!(sqlx::query_scalar::<_, String>(&sql), row)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if inserted.is_none() {
                        outcomes[index].duplicates += 1;
                        continue;
                    }
                    outcomes[index].stored += 1;
                    if row.counted {
                        changes.add(org_id, &row.c, 1);
                    }
                }
            }
            for ((org_id, key), sums) in &changes.rows {
                rollup!(*org_id, key, sums).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StorageError>(())
        })?;
        Ok(outcomes)
    }
}
