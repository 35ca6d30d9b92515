//! Billing lines: upserted by (integration, natural key) when a run succeeds, and read back
//! grouped for the billing API.

use reconciler::{TokenCounts, Usd, UtcDay};

use super::StorageError;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::usage_rows::{TOKEN_COLUMNS, unsigned};

pub(super) const LINE_UPSERT: &str = "INSERT INTO billing_lines (org_id, integration_id, \
    natural_key, provider, day, model, workspace, api_key, person, service_tier, description, \
    cost_type, estimate, source, input_tokens, cache_read_tokens, cache_write_5m_tokens, \
    cache_write_1h_tokens, output_tokens, reasoning_tokens, amount_nanos, updated_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
    $19, $20, $21, $22) \
    ON CONFLICT (integration_id, natural_key) DO UPDATE SET provider = excluded.provider, \
    day = excluded.day, model = excluded.model, workspace = excluded.workspace, \
    api_key = excluded.api_key, person = excluded.person, service_tier = excluded.service_tier, \
    description = excluded.description, cost_type = excluded.cost_type, \
    estimate = excluded.estimate, source = excluded.source, \
    input_tokens = excluded.input_tokens, cache_read_tokens = excluded.cache_read_tokens, \
    cache_write_5m_tokens = excluded.cache_write_5m_tokens, \
    cache_write_1h_tokens = excluded.cache_write_1h_tokens, \
    output_tokens = excluded.output_tokens, reasoning_tokens = excluded.reasoning_tokens, \
    amount_nanos = excluded.amount_nanos, updated_at_ms = excluded.updated_at_ms";

/// Upserts `$lines` (`&[billing::BillingLine]`) of one integration inside transaction `$tx`,
/// and recomputes the daily sums of their days.
macro_rules! upsert_lines {
    ($tx:ident, $org_id:expr, $integration_id:expr, $lines:expr, $now:expr) => {
        for line in $lines.iter() {
            let tokens = $crate::storage::usage_rows::signed(&line.tokens)?;
            sqlx::query($crate::storage::billing_lines::LINE_UPSERT)
                .bind($org_id)
                .bind($integration_id)
                .bind(&line.natural_key)
                .bind(line.provider.to_string())
                .bind(line.day.to_string())
                .bind(&line.model)
                .bind(&line.workspace)
                .bind(&line.api_key)
                .bind(&line.person)
                .bind(&line.service_tier)
                .bind(&line.description)
                .bind(line.cost_type.as_str())
                .bind(i64::from(line.estimate))
                .bind(&line.source)
                .bind(tokens[0])
                .bind(tokens[1])
                .bind(tokens[2])
                .bind(tokens[3])
                .bind(tokens[4])
                .bind(tokens[5])
                .bind(line.amount.map(reconciler::Usd::to_nanos))
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        let days = $lines.iter().map(|line| line.day);
        if let (Some(first), Some(last)) = (days.clone().min(), days.max()) {
            $crate::storage::billed::refresh_billed_days!(
                $tx,
                $org_id,
                first.to_string(),
                last.to_string()
            );
        }
    };
}
pub(super) use upsert_lines;

/// What billing lines are grouped by.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BillingGroup {
    Day,
    Provider,
    Model,
    Workspace,
    ApiKey,
    Person,
    CostType,
    Integration,
}

impl BillingGroup {
    pub const ALL: [BillingGroup; 8] = [
        BillingGroup::Day,
        BillingGroup::Provider,
        BillingGroup::Model,
        BillingGroup::Workspace,
        BillingGroup::ApiKey,
        BillingGroup::Person,
        BillingGroup::CostType,
        BillingGroup::Integration,
    ];

    /// The field name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingGroup::Day => "day",
            BillingGroup::Provider => "provider",
            BillingGroup::Model => "model",
            BillingGroup::Workspace => "workspace",
            BillingGroup::ApiKey => "api_key",
            BillingGroup::Person => "person",
            BillingGroup::CostType => "cost_type",
            BillingGroup::Integration => "integration_id",
        }
    }

    fn column(self) -> &'static str {
        match self {
            BillingGroup::Integration => "CAST(integration_id AS TEXT)",
            other => other.as_str(),
        }
    }
}

/// One row of grouped billing lines (estimates excluded: they are never billed).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BillingRow {
    pub groups: Vec<(BillingGroup, String)>,
    pub lines: i64,
    pub tokens: TokenCounts,
    /// The billed dollars; `None` when no line of the group carries an amount.
    pub billed: Option<Usd>,
}

#[async_trait::async_trait]
pub trait BillingStore {
    /// Billed lines of the UTC days `from..=to`, grouped; the provider's estimates are left out.
    async fn billing(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        groups: &[BillingGroup],
    ) -> Result<Vec<BillingRow>, StorageError>;
}

#[async_trait::async_trait]
impl BillingStore for SqlStore {
    async fn billing(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        groups: &[BillingGroup],
    ) -> Result<Vec<BillingRow>, StorageError> {
        let selected: Vec<String> = groups
            .iter()
            .map(|g| format!("{} AS {}", g.column(), g.as_str()))
            .collect();
        let sums: Vec<String> = TOKEN_COLUMNS
            .split(", ")
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect();
        let grouping = if groups.is_empty() {
            String::new()
        } else {
            let columns: Vec<&str> = groups.iter().map(|g| g.column()).collect();
            format!(" GROUP BY {0} ORDER BY {0}", columns.join(", "))
        };
        let select = format!(
            "SELECT {}CAST(COUNT(*) AS BIGINT) AS lines, {}, CAST(SUM(amount_nanos) AS BIGINT) AS amount_nanos, \
             CAST(COUNT(amount_nanos) AS BIGINT) AS priced FROM billing_lines \
             WHERE org_id = $1 AND day >= $2 AND day <= $3 AND estimate = 0{grouping}",
            selected
                .iter()
                .map(|s| format!("{s}, "))
                .collect::<String>(),
            sums.join(", ")
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
                    let lines = row.int("lines")?;
                    let mut tokens = [0i64; 6];
                    for (slot, column) in tokens.iter_mut().zip(TOKEN_COLUMNS.split(", ")) {
                        *slot = row.opt_int(column)?.unwrap_or(0);
                    }
                    let groups = groups
                        .iter()
                        .map(|g| Ok((*g, row.text(g.as_str())?)))
                        .collect::<Result<Vec<_>, sqlx::Error>>()?;
                    let billed = (row.int("priced")? > 0)
                        .then(|| row.opt_int("amount_nanos"))
                        .transpose()?
                        .flatten()
                        .map(Usd::from_nanos);
                    Ok::<_, sqlx::Error>((lines, groups, tokens, billed))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(rows
            .into_iter()
            // No lines at all in the range: an ungrouped query still returns one empty row.
            .filter(|(lines, ..)| *lines > 0)
            .map(|(lines, groups, tokens, billed)| BillingRow {
                groups,
                lines,
                tokens: unsigned(tokens),
                billed,
            })
            .collect())
    }
}
