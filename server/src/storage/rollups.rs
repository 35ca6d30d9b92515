//! Rebuilding the daily usage rollups of a range of days from the stored events: the repair
//! for rollups that drifted (a restored backup, a bug fixed later), and what the benchmark times.

use super::store::{SqlStore, with_pool};
use super::usage_rows::{ROLLUP_COLUMNS, TOKEN_COLUMNS};
use super::usage_sums::{BUMP_USAGE_VERSION, DAILY_COLUMNS, MONTHLY_COLUMNS};
use super::{Backend, Storage, StorageError};
use reconciler::UtcDay;

/// What a rebuild did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RebuiltRollups {
    /// Rollup rows of the range before.
    pub removed: u64,
    /// Rollup rows written from the events.
    pub written: u64,
}

#[async_trait::async_trait]
pub trait RollupStore {
    /// Replaces the rollups of the days `from..=to` with sums of the counted events of those
    /// days, in one transaction that holds off the usage writer meanwhile, so no export is
    /// counted twice or lost while it runs.
    async fn rebuild_rollups(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
    ) -> Result<RebuiltRollups, StorageError>;
}

/// The statements of a rebuild (`$1` org, `$2` first day, `$3` last day): delete the days'
/// rollups, then insert the sums of their counted events. Run them in one transaction that
/// holds off the usage writer.
pub(super) fn rebuild_statements() -> (String, String) {
    let sums: Vec<String> = TOKEN_COLUMNS
        .split(", ")
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect();
    let insert = format!(
        "INSERT INTO usage_rollups ({ROLLUP_COLUMNS}) \
         SELECT org_id, day, provider, tool, model, person, team, \
         CASE WHEN reported_cost_nanos IS NULL THEN 'estimated' ELSE 'reported' END AS label, \
         CAST(COUNT(*) AS BIGINT), {}, CAST(COALESCE(SUM(reported_cost_nanos), 0) AS BIGINT) \
         FROM usage_events WHERE org_id = $1 AND day >= $2 AND day <= $3 AND counted = 1 \
         GROUP BY org_id, day, provider, tool, model, person, team, label",
        sums.join(", ")
    );
    let delete = "DELETE FROM usage_rollups WHERE org_id = $1 AND day >= $2 AND day <= $3";
    (delete.to_owned(), insert)
}

/// Then the statements that recompute the sums kept beside the rollups: `usage_daily` of the
/// same days, and `usage_monthly` of every month they touch (whole months, from the rollups).
pub(super) fn rebuild_sums_statements() -> [String; 4] {
    let sums = |columns: &str, keys: usize| {
        columns
            .split(", ")
            .skip(keys)
            .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // `$2` and `$3` are days (`YYYY-MM-DD`); their first seven characters are their months.
    [
        "DELETE FROM usage_daily WHERE org_id = $1 AND day >= $2 AND day <= $3".to_owned(),
        format!(
            "INSERT INTO usage_daily ({DAILY_COLUMNS}) SELECT org_id, day, provider, tool, model, \
             label, {} FROM usage_rollups WHERE org_id = $1 AND day >= $2 AND day <= $3 \
             GROUP BY org_id, day, provider, tool, model, label",
            sums(DAILY_COLUMNS, 6)
        ),
        "DELETE FROM usage_monthly WHERE org_id = $1 AND month >= substr($2, 1, 7) \
         AND month <= substr($3, 1, 7)"
            .to_owned(),
        format!(
            "INSERT INTO usage_monthly ({MONTHLY_COLUMNS}) SELECT org_id, substr(day, 1, 7), \
             provider, tool, model, person, team, label, {} FROM usage_rollups \
             WHERE org_id = $1 AND day >= substr($2, 1, 7) || '-01' \
             AND day <= substr($3, 1, 7) || '-31' \
             GROUP BY org_id, substr(day, 1, 7), provider, tool, model, person, team, label",
            sums(MONTHLY_COLUMNS, 8)
        ),
    ]
}

/// How a rebuild's transaction begins, and the lock it takes first (see `rebuild_rollups`).
pub(super) fn writer_exclusion(backend: Backend) -> (&'static str, Option<&'static str>) {
    match backend {
        // The write lock from the start: the usage writer waits until the rebuild commits.
        Backend::Sqlite => ("BEGIN IMMEDIATE", None),
        // Writers add to rollups in the transaction that stores their events: with the
        // table locked against them, an export either committed before the rebuild read the
        // events, or adds to the rebuilt rollups after it.
        Backend::Postgres => (
            "BEGIN",
            Some("LOCK TABLE usage_rollups IN SHARE ROW EXCLUSIVE MODE"),
        ),
    }
}

#[async_trait::async_trait]
impl RollupStore for SqlStore {
    async fn rebuild_rollups(
        &self,
        org_id: i64,
        from: UtcDay,
        to: UtcDay,
    ) -> Result<RebuiltRollups, StorageError> {
        let backend = self.backend();
        let (begin, lock) = writer_exclusion(backend);
        let (delete, insert) = rebuild_statements();
        let (from, to) = (from.to_string(), to.to_string());
        let rebuilt = with_pool!(&self.pool, |p| {
            let mut tx = p.begin_with(begin).await?;
            if let Some(lock) = lock {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let removed = sqlx::query(&delete)
                .bind(org_id)
                .bind(&from)
                .bind(&to)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let written = sqlx::query(&insert)
                .bind(org_id)
                .bind(&from)
                .bind(&to)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for sql in rebuild_sums_statements() {
                sqlx::query(&sql)
                    .bind(org_id)
                    .bind(&from)
                    .bind(&to)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(BUMP_USAGE_VERSION)
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(RebuiltRollups { removed, written })
        })?;
        Ok(rebuilt)
    }
}
