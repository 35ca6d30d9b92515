//! Observed usage: the usage store (writes in `usage_write`), and the rollups read back grouped.

use otlp_receiver::{StoreOutcome, UsageRecord};
use reconciler::{Month, TokenCounts, Usd, UtcDay};

use super::StorageError;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::usage_rows::{TOKEN_COLUMNS, unsigned};

/// What usage rows are grouped by (any of them; the label always).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
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

/// The records of one export, with the organisation and telemetry key it came with.
#[derive(Clone, Copy, Debug)]
pub struct UsageBatch<'a> {
    pub org_id: i64,
    pub telemetry_key_id: i64,
    pub records: &'a [UsageRecord],
}

#[async_trait::async_trait]
pub trait UsageStore {
    /// Stores the records of several exports in one transaction, each record at most once; the
    /// outcomes are in the order of `batches`.
    async fn store_usage(
        &self,
        batches: &[UsageBatch<'_>],
    ) -> Result<Vec<StoreOutcome>, StorageError>;

    /// Usage of the UTC days `from..=to`, grouped.
    async fn usage(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        groups: &[UsageGroup],
    ) -> Result<Vec<UsageRow>, StorageError>;

    /// Usage of the whole UTC months `from..=to` from the monthly sums as stored: one row per
    /// month, provider, tool, model, person, team and label, each carrying only the values of
    /// `groups` (`Day` is left out), so several rows may share them and the caller sums.
    async fn usage_by_month(
        &self,
        org_id: i64,
        from: Month,
        to: Month,
        groups: &[UsageGroup],
    ) -> Result<Vec<(Month, UsageRow)>, StorageError>;

    /// The organisation's usage counter: it moves on with every change to its usage (0 before
    /// the first), so a cached reading is known to be current while it stays the same.
    async fn usage_version(&self, org_id: i64) -> Result<i64, StorageError>;

    /// The tool account ids seen beside an email in the same usage record: (id, email), so
    /// that one person's usage under several ids can be merged under the email.
    async fn identity_links(&self, org_id: i64) -> Result<Vec<(String, String)>, StorageError>;
}

#[async_trait::async_trait]
impl UsageStore for SqlStore {
    async fn store_usage(
        &self,
        batches: &[UsageBatch<'_>],
    ) -> Result<Vec<StoreOutcome>, StorageError> {
        self.write_usage(batches).await
    }

    async fn usage_version(&self, org_id: i64) -> Result<i64, StorageError> {
        let version = with_pool!(&self.pool, |p| {
            sqlx::query_scalar::<_, i64>("SELECT version FROM usage_versions WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(p)
                .await
        })?;
        Ok(version.unwrap_or(0))
    }

    async fn identity_links(&self, org_id: i64) -> Result<Vec<(String, String)>, StorageError> {
        let select = "SELECT account_id, email FROM identity_links WHERE org_id = $1 \
                      ORDER BY account_id, email";
        let links = with_pool!(&self.pool, |p| {
            sqlx::query_as::<_, (String, String)>(select)
                .bind(org_id)
                .fetch_all(p)
                .await
        })?;
        Ok(links)
    }

    async fn usage(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        groups: &[UsageGroup],
    ) -> Result<Vec<UsageRow>, StorageError> {
        // Day, provider, tool and model alone are kept summed in `usage_daily`: far fewer rows.
        let table = if groups.iter().all(|g| {
            matches!(
                g,
                UsageGroup::Day | UsageGroup::Provider | UsageGroup::Tool | UsageGroup::Model
            )
        }) {
            "usage_daily"
        } else {
            "usage_rollups"
        };
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
            "SELECT {list}, {sums} FROM {table} WHERE org_id = $1 AND day >= $2 AND day <= $3 \
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

    async fn usage_by_month(
        &self,
        org_id: i64,
        from: Month,
        to: Month,
        groups: &[UsageGroup],
    ) -> Result<Vec<(Month, UsageRow)>, StorageError> {
        self.monthly_usage(org_id, (from, to), groups).await
    }
}
