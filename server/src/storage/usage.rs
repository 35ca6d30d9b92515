//! Observed usage: storing OTLP usage records exactly once, keeping the daily rollups in the same
//! transaction, and reading the rollups back grouped.
//!
//! Events count; a metric record (fallback) counts only while no event covers its scope. When
//! the first event of a scope arrives, the fallbacks already counted there are taken back out of
//! the rollups, so the same usage is never counted twice whatever order exports arrive in.

use otlp_receiver::cumulative::{Advance, SeriesState, advance};
use otlp_receiver::{RecordKind, StoreOutcome, UsageRecord};
use reconciler::{TokenCounts, Usd, UtcDay};

use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::{StorageError, now_ms};

/// What usage rows are grouped by (any of them; the label always).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UsageGroup {
    Day,
    Provider,
    Tool,
    Model,
    Person,
    Team,
}

impl UsageGroup {
    pub const ALL: [UsageGroup; 6] = [
        UsageGroup::Day,
        UsageGroup::Provider,
        UsageGroup::Tool,
        UsageGroup::Model,
        UsageGroup::Person,
        UsageGroup::Team,
    ];

    /// The field name in the API, which is also the rollup column.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageGroup::Day => "day",
            UsageGroup::Provider => "provider",
            UsageGroup::Tool => "tool",
            UsageGroup::Model => "model",
            UsageGroup::Person => "person",
            UsageGroup::Team => "team",
        }
    }
}

/// One row of grouped usage.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UsageRow {
    /// The group-by values, in the order asked for.
    pub groups: Vec<(UsageGroup, String)>,
    /// `reported` (the tool stated a cost) or `estimated` (tokens to be priced).
    pub label: String,
    pub records: i64,
    pub tokens: TokenCounts,
    /// The tools' own cost, for `reported` rows.
    pub reported_cost: Option<Usd>,
}

#[async_trait::async_trait]
pub trait UsageStore {
    /// Stores an export's records in one transaction, each at most once.
    async fn store_usage(
        &self,
        org_id: i64,
        telemetry_key_id: i64,
        records: &[UsageRecord],
    ) -> Result<StoreOutcome, StorageError>;

    /// Usage of the UTC days `from..=to`, grouped.
    async fn usage(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        groups: &[UsageGroup],
    ) -> Result<Vec<UsageRow>, StorageError>;
}

const TOKEN_COLUMNS: &str = "input_tokens, cache_read_tokens, cache_write_5m_tokens, \
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

/// The rollup changes of one transaction, summed per rollup row and applied once at its end
/// (an export of 50 events of one session changes one rollup row once, not 50 times).
#[derive(Default)]
struct RollupChanges {
    rows: std::collections::BTreeMap<[String; 7], (i64, [i64; 6], i64)>,
}

impl RollupChanges {
    fn add(&mut self, c: &Contribution, records: i64) {
        let key = [
            c.day.clone(),
            c.provider.clone(),
            c.tool.clone(),
            c.model.clone(),
            c.person.clone(),
            c.team.clone(),
            c.label().to_owned(),
        ];
        let entry = self.rows.entry(key).or_insert((0, [0; 6], 0));
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

fn unsigned(tokens: [i64; 6]) -> TokenCounts {
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

const EVENT_INSERT: &str = "INSERT INTO usage_events (org_id, idempotency_key, kind, scope, counted, \
    occurred_at_ns, day, tool, provider, model, person, team, session_id, user_email, account_uuid, \
    account_id, user_id, installation_id, tool_organization_id, department, input_tokens, \
    cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, \
    reported_cost_nanos, telemetry_key_id, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
    $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29) \
    ON CONFLICT (org_id, idempotency_key) DO NOTHING";

/// The insert of one usage row (ignored when its key is already stored).
macro_rules! event_insert {
    ($org:expr, $key_id:expr, $record:expr, $kind:expr, $scope:expr, $counted:expr, $c:expr, $occurred:expr) => {
        sqlx::query(EVENT_INSERT)
            .bind($org)
            .bind(&$record.idempotency_key)
            .bind($kind)
            .bind($scope)
            .bind(i64::from($counted))
            .bind($occurred)
            .bind(&$c.day)
            .bind(&$c.tool)
            .bind(&$c.provider)
            .bind(&$c.model)
            .bind(&$c.person)
            .bind(&$c.team)
            .bind(&$record.session_id)
            .bind(&$record.identity.email)
            .bind(&$record.identity.account_uuid)
            .bind(&$record.identity.account_id)
            .bind(&$record.identity.user_id)
            .bind(&$record.identity.installation_id)
            .bind(&$record.identity.organization_id)
            .bind(&$record.identity.department)
            .bind($c.tokens[0])
            .bind($c.tokens[1])
            .bind($c.tokens[2])
            .bind($c.tokens[3])
            .bind($c.tokens[4])
            .bind($c.tokens[5])
            .bind($c.cost_nanos)
            .bind($key_id)
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

#[async_trait::async_trait]
impl UsageStore for SqlStore {
    async fn store_usage(
        &self,
        org_id: i64,
        telemetry_key_id: i64,
        records: &[UsageRecord],
    ) -> Result<StoreOutcome, StorageError> {
        let mut outcome = StoreOutcome::default();
        let mut changes = RollupChanges::default();
        let mut scopes_seen = std::collections::HashSet::new();
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            for record in records {
                let occurred = nanos(record.occurred_at_ns)?;
                match &record.kind {
                    RecordKind::Event { covers } => {
                        let c = contribution(record, &record.tokens, record.reported_cost)?;
                        let inserted = event_insert!(
                            org_id,
                            telemetry_key_id,
                            record,
                            "event",
                            "",
                            true,
                            c,
                            occurred
                        )
                        .execute(&mut *tx)
                        .await?;
                        if inserted.rows_affected() == 0 {
                            outcome.duplicates += 1;
                            continue;
                        }
                        outcome.stored += 1;
                        changes.add(&c, 1);
                        for scope in covers {
                            if !scopes_seen.insert(scope.as_str()) {
                                continue;
                            }
                            let newly = sqlx::query(
                                "INSERT INTO usage_scopes (org_id, scope, covered_at_ms) VALUES ($1, $2, $3) \
                                 ON CONFLICT (org_id, scope) DO NOTHING",
                            )
                            .bind(org_id)
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
                            .bind(org_id)
                            .bind(scope)
                            .fetch_all(&mut *tx)
                            .await?;
                            for row in &counted {
                                changes.add(&contribution_of_row(row)?.negated(), -1);
                                sqlx::query("UPDATE usage_events SET counted = 0 WHERE id = $1")
                                    .bind(row.int("id")?)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                        }
                    }
                    RecordKind::Fallback { scope }
                    | RecordKind::CumulativeFallback { scope, .. } => {
                        let exists: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM usage_events WHERE org_id = $1 AND idempotency_key = $2",
                        )
                        .bind(org_id)
                        .bind(&record.idempotency_key)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if exists.is_some() {
                            outcome.duplicates += 1;
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
                                    outcome.duplicates += 1;
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
                                if tokens == TokenCounts::default() && cost.is_none_or(Usd::is_zero)
                                {
                                    outcome.duplicates += 1;
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
                        let counted = covered.is_none();
                        let c = contribution(record, &tokens, cost)?;
                        event_insert!(
                            org_id,
                            telemetry_key_id,
                            record,
                            kind,
                            scope,
                            counted,
                            c,
                            occurred
                        )
                        .execute(&mut *tx)
                        .await?;
                        outcome.stored += 1;
                        if counted {
                            changes.add(&c, 1);
                        }
                    }
                }
            }
            for (key, sums) in &changes.rows {
                rollup!(org_id, key, sums).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StorageError>(())
        })?;
        Ok(outcome)
    }

    async fn usage(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        groups: &[UsageGroup],
    ) -> Result<Vec<UsageRow>, StorageError> {
        // Column names come from the closed set above, never from the request.
        let columns: Vec<&str> = groups.iter().map(|g| g.as_str()).chain(["label"]).collect();
        let list = columns.join(", ");
        let sums = TOKEN_COLUMNS
            .split(", ")
            .chain(["reported_cost_nanos", "records"])
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!(
            "SELECT {list}, {sums} FROM usage_rollups WHERE org_id = $1 AND day >= $2 AND day <= $3 \
             GROUP BY {list} HAVING SUM(records) <> 0 ORDER BY {list}"
        );
        let rows = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select)
                .bind(org_id)
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|row| {
                    let mut tokens = [0i64; 6];
                    for (slot, column) in tokens.iter_mut().zip(TOKEN_COLUMNS.split(", ")) {
                        *slot = row.int(column)?;
                    }
                    let label = row.text("label")?;
                    let cost = row.int("reported_cost_nanos")?;
                    Ok::<_, sqlx::Error>(UsageRow {
                        groups: groups
                            .iter()
                            .map(|g| Ok((*g, row.text(g.as_str())?)))
                            .collect::<Result<_, sqlx::Error>>()?,
                        reported_cost: (label == "reported").then(|| Usd::from_nanos(cost)),
                        label,
                        records: row.int("records")?,
                        tokens: unsigned(tokens),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(rows)
    }
}
