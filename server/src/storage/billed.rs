//! Billed lines as the reconciliation reads them: summed per day, provider, model and tier
//! (optionally person), estimates left out, each line counted once when a provider was
//! reconnected; and the first day each integration's syncs covered.

use reconciler::reconcile::BilledLine;
use reconciler::{Provider, Tier, Usd, UtcDay};

use super::StorageError;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::usage_rows::{TOKEN_COLUMNS, unsigned};

#[async_trait::async_trait]
pub trait BilledStore {
    /// Billed lines of the days `from..=to`, summed per (day, provider, model, tier).
    async fn billed_lines(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
    ) -> Result<Vec<BilledLine>, StorageError>;

    /// The same, of one provider, per person as well ("" where the line names nobody).
    async fn billed_lines_by_person(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        provider: &str,
    ) -> Result<Vec<(String, BilledLine)>, StorageError>;

    /// Per integration, the first day a successful run of it covered.
    async fn coverage_starts(&self, org_id: i64) -> Result<Vec<(i64, String)>, StorageError>;
}

/// A reconnected provider is a second integration whose backfill re-reads days the first one
/// stored: a line with the same natural key under both is one line seen twice, and only the
/// newer integration's copy (the latest restatement) counts. Lines with other keys are another
/// account's and add up.
const COUNTED_ONCE: &str = " AND NOT EXISTS (SELECT 1 FROM billing_lines newer \
    WHERE newer.org_id = billing_lines.org_id AND newer.provider = billing_lines.provider \
    AND newer.natural_key = billing_lines.natural_key \
    AND newer.integration_id > billing_lines.integration_id)";

type SummedRow = (
    String,
    String,
    String,
    String,
    String,
    [i64; 6],
    Option<i64>,
);

/// Finds a provider kind connected more than once: only then can lines overlap.
pub(super) const RECONNECTED: &str =
    "SELECT kind FROM integrations WHERE org_id = $1 GROUP BY kind HAVING COUNT(*) > 1";

/// The statements that recompute `billing_daily` for org `$1`, days `$2..=$3`, from the lines.
pub(super) fn refresh_statements(reconnected: bool) -> [String; 2] {
    let sums: Vec<String> = TOKEN_COLUMNS
        .split(", ")
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect();
    let once = if reconnected { COUNTED_ONCE } else { "" };
    [
        "DELETE FROM billing_daily WHERE org_id = $1 AND day >= $2 AND day <= $3".to_owned(),
        format!(
            "INSERT INTO billing_daily (org_id, day, provider, model, service_tier, {TOKEN_COLUMNS}, \
             amount_nanos) SELECT org_id, day, provider, model, service_tier, {}, \
             CAST(SUM(amount_nanos) AS BIGINT) FROM billing_lines \
             WHERE org_id = $1 AND day >= $2 AND day <= $3 AND estimate = 0{once} \
             GROUP BY org_id, day, provider, model, service_tier",
            sums.join(", ")
        ),
    ]
}

/// Recomputes `billing_daily` of org `$org_id`, days `$first..=$last` (text), in `$tx`: after
/// any change to billing lines, in the transaction that made it.
macro_rules! refresh_billed_days {
    ($tx:ident, $org_id:expr, $first:expr, $last:expr) => {{
        let (first, last): (String, String) = ($first, $last);
        let reconnected = sqlx::query($crate::storage::billed::RECONNECTED)
            .bind($org_id)
            .fetch_optional(&mut *$tx)
            .await?
            .is_some();
        for sql in $crate::storage::billed::refresh_statements(reconnected) {
            sqlx::query(&sql)
                .bind($org_id)
                .bind(&first)
                .bind(&last)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(super) use refresh_billed_days;

impl SqlStore {
    /// Whether any provider kind was connected more than once: only then can lines overlap.
    async fn has_reconnections(&self, org_id: i64) -> Result<bool, StorageError> {
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(RECONNECTED)
                .bind(org_id)
                .fetch_optional(p)
                .await?;
            Ok::<_, sqlx::Error>(row.is_some())
        })?;
        Ok(found)
    }

    async fn summed_lines(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        provider: Option<&str>,
    ) -> Result<Vec<SummedRow>, StorageError> {
        let sums: Vec<String> = TOKEN_COLUMNS
            .split(", ")
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect();
        let person = if provider.is_some() { "person" } else { "''" };
        let group = if provider.is_some() { ", person" } else { "" };
        let only = if provider.is_some() {
            " AND provider = $4"
        } else {
            ""
        };
        // Without persons, the sums are kept ready in `billing_daily`.
        let (table, estimates, once) = match provider {
            Some(_) if self.has_reconnections(org_id).await? => {
                ("billing_lines", " AND estimate = 0", COUNTED_ONCE)
            }
            Some(_) => ("billing_lines", " AND estimate = 0", ""),
            None => ("billing_daily", "", ""),
        };
        let select = format!(
            "SELECT day, provider, model, service_tier, {person} AS who, {}, \
             CAST(SUM(amount_nanos) AS BIGINT) AS amount_nanos, \
             CAST(COUNT(amount_nanos) AS BIGINT) AS priced \
             FROM {table} WHERE org_id = $1 AND day >= $2 AND day <= $3{estimates}\
             {only}{once} GROUP BY day, provider, model, service_tier{group} \
             ORDER BY day, provider, model, service_tier{group}",
            sums.join(", ")
        );
        let rows = with_pool!(&self.pool, |p| {
            let mut query = sqlx::query(&select)
                .bind(org_id)
                .bind(from.to_string())
                .bind(to.to_string());
            if let Some(provider) = provider {
                query = query.bind(provider);
            }
            let rows = query.fetch_all(p).await?;
            rows.iter()
                .map(|row| {
                    let mut tokens = [0i64; 6];
                    for (slot, column) in tokens.iter_mut().zip(TOKEN_COLUMNS.split(", ")) {
                        *slot = row.opt_int(column)?.unwrap_or(0);
                    }
                    let amount = (row.int("priced")? > 0)
                        .then(|| row.opt_int("amount_nanos"))
                        .transpose()?
                        .flatten();
                    Ok::<_, sqlx::Error>((
                        row.text("day")?,
                        row.text("provider")?,
                        row.text("model")?,
                        row.text("service_tier")?,
                        row.text("who")?,
                        tokens,
                        amount,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(rows)
    }
}

fn billed_line(row: SummedRow) -> Result<(String, BilledLine), StorageError> {
    let (day, provider, model, tier, person, tokens, amount) = row;
    let bad = |e: reconciler::Error| StorageError::Conflict(format!("a stored billing line: {e}"));
    Ok((
        person,
        BilledLine {
            day: UtcDay::parse(&day).map_err(bad)?,
            provider: Provider::parse(&provider).map_err(bad)?,
            model,
            // Batch and priority lines price differently; anything else is standard.
            tier: Tier::parse(&tier).unwrap_or(if tier.starts_with("priority") {
                Tier::Priority
            } else {
                Tier::Standard
            }),
            tokens: unsigned(tokens),
            amount: amount.map(Usd::from_nanos),
        },
    ))
}

#[async_trait::async_trait]
impl BilledStore for SqlStore {
    async fn billed_lines(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
    ) -> Result<Vec<BilledLine>, StorageError> {
        self.summed_lines(org_id, from, to, None)
            .await?
            .into_iter()
            .map(|row| Ok(billed_line(row)?.1))
            .collect()
    }

    async fn billed_lines_by_person(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
        provider: &str,
    ) -> Result<Vec<(String, BilledLine)>, StorageError> {
        self.summed_lines(org_id, from, to, Some(provider))
            .await?
            .into_iter()
            .map(billed_line)
            .collect()
    }

    async fn coverage_starts(&self, org_id: i64) -> Result<Vec<(i64, String)>, StorageError> {
        let select = "SELECT integration_id, MIN(range_from) AS first_day FROM sync_runs \
                      WHERE org_id = $1 AND outcome = 'succeeded' GROUP BY integration_id \
                      ORDER BY integration_id";
        let found = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(select).bind(org_id).fetch_all(p).await?;
            rows.iter()
                .map(|row| {
                    Ok::<_, sqlx::Error>((row.int("integration_id")?, row.text("first_day")?))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(found)
    }
}
