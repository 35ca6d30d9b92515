//! Sync runs of usage providers: claimed so that each runs once (also across several reckon
//! processes on one PostgreSQL), recorded with their progress, and ended with their lines in
//! one transaction.

use super::billing_lines::upsert_lines;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::{StorageError, now_ms};

/// A sync run: what it covered and how it ended.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct SyncRun {
    pub id: i64,
    pub integration_id: i64,
    /// `test`, `sync` or `backfill`.
    pub kind: String,
    pub range_from: String,
    pub range_to: String,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub requests: i64,
    pub lines: i64,
    /// How far a running backfill has come.
    pub progress_through: Option<String>,
    /// `running`, `succeeded` or `failed`.
    pub outcome: String,
    pub message: Option<String>,
}

/// How a run ended, to record with its lines in one transaction.
#[derive(Debug)]
pub struct RunEnd<'a> {
    pub requests: i64,
    /// `Ok(lines)` to store, or the provider's message.
    pub result: Result<&'a [billing::BillingLine], String>,
    /// On success: the last final day now stored.
    pub complete_through: Option<String>,
    pub next_sync_at_ms: Option<i64>,
}

const RUN_COLUMNS: &str = "id, integration_id, kind, range_from, range_to, started_at_ms, \
    finished_at_ms, requests, lines, progress_through, outcome, message";

fn run(row: &impl Columns) -> Result<SyncRun, sqlx::Error> {
    Ok(SyncRun {
        id: row.int("id")?,
        integration_id: row.int("integration_id")?,
        kind: row.text("kind")?,
        range_from: row.text("range_from")?,
        range_to: row.text("range_to")?,
        started_at_ms: row.int("started_at_ms")?,
        finished_at_ms: row.opt_int("finished_at_ms")?,
        requests: row.int("requests")?,
        lines: row.int("lines")?,
        progress_through: row.opt_text("progress_through")?,
        outcome: row.text("outcome")?,
        message: row.opt_text("message")?,
    })
}

/// `UPDATE` of the integration after a run, and the run itself.
const FINISH_SUCCESS: &str = "UPDATE integrations SET status = 'active', status_message = NULL, \
    claimed_until_ms = NULL, \
    last_success_at_ms = $1, complete_through = COALESCE($2, complete_through), \
    next_sync_at_ms = $3 WHERE id = $4 AND org_id = $5 AND status <> 'removed'";
const FINISH_FAILURE: &str = "UPDATE integrations SET status = 'error', status_message = $1, \
    next_sync_at_ms = $2, claimed_until_ms = NULL WHERE id = $3 AND org_id = $4 AND status <> 'removed'";
const END_RUN: &str = "UPDATE sync_runs SET finished_at_ms = $1, requests = $2, lines = $3, \
    outcome = $4, message = $5 WHERE id = $6";

#[async_trait::async_trait]
pub trait SyncRunStore {
    /// Claims the integration for a run until `until_ms`, unless another run holds it; whether
    /// it was claimed. The claim ends with `finish_run` (or lapses, if the process died).
    async fn claim_integration(
        &self,
        org_id: i64,
        integration_id: i64,
        until_ms: i64,
    ) -> Result<bool, StorageError>;

    /// Claims every integration whose scheduled sync is due and that no run holds: (org, id).
    async fn claim_due_integrations(&self, until_ms: i64) -> Result<Vec<(i64, i64)>, StorageError>;

    /// Records a run starting (the integration shows `syncing`); its id.
    async fn start_run(
        &self,
        org_id: i64,
        integration_id: i64,
        kind: &str,
        range: (&str, &str),
    ) -> Result<i64, StorageError>;

    /// How far a running run has come.
    async fn record_progress(
        &self,
        run_id: i64,
        through: &str,
        requests: i64,
        lines: i64,
    ) -> Result<(), StorageError>;

    /// Ends a run: on success its lines are upserted and the integration is `active`; on
    /// failure nothing of earlier runs changes and the integration shows `error` with the
    /// message. One transaction.
    async fn finish_run(
        &self,
        org_id: i64,
        integration_id: i64,
        run_id: i64,
        end: RunEnd<'_>,
    ) -> Result<(), StorageError>;

    /// The integration's runs, newest first.
    async fn runs(&self, org_id: i64, integration_id: i64) -> Result<Vec<SyncRun>, StorageError>;

    /// The organisation's runs still going, newest first.
    async fn running_runs(&self, org_id: i64) -> Result<Vec<SyncRun>, StorageError>;
}

#[async_trait::async_trait]
impl SyncRunStore for SqlStore {
    async fn claim_integration(
        &self,
        org_id: i64,
        integration_id: i64,
        until_ms: i64,
    ) -> Result<bool, StorageError> {
        let claimed = with_pool!(&self.pool, |p| {
            sqlx::query(
                "UPDATE integrations SET claimed_until_ms = $1 WHERE org_id = $2 AND id = $3 \
                 AND status <> 'removed' AND (claimed_until_ms IS NULL OR claimed_until_ms < $4)",
            )
            .bind(until_ms)
            .bind(org_id)
            .bind(integration_id)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(claimed == 1)
    }

    async fn claim_due_integrations(&self, until_ms: i64) -> Result<Vec<(i64, i64)>, StorageError> {
        let now = now_ms();
        let claimed = with_pool!(&self.pool, |p| {
            sqlx::query_as::<_, (i64, i64)>(
                "UPDATE integrations SET claimed_until_ms = $1 WHERE status <> 'removed' \
                 AND next_sync_at_ms IS NOT NULL AND next_sync_at_ms <= $2 \
                 AND (claimed_until_ms IS NULL OR claimed_until_ms < $2) RETURNING org_id, id",
            )
            .bind(until_ms)
            .bind(now)
            .fetch_all(p)
            .await
        })?;
        Ok(claimed)
    }

    async fn start_run(
        &self,
        org_id: i64,
        integration_id: i64,
        kind: &str,
        (from, to): (&str, &str),
    ) -> Result<i64, StorageError> {
        let id = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sync_runs (org_id, integration_id, kind, range_from, range_to, \
                 started_at_ms, requests, lines, outcome) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 'running') RETURNING id",
            )
            .bind(org_id)
            .bind(integration_id)
            .bind(kind)
            .bind(from)
            .bind(to)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE integrations SET status = 'syncing' \
                 WHERE id = $1 AND org_id = $2 AND status <> 'removed'",
            )
            .bind(integration_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, StorageError>(id)
        })?;
        Ok(id)
    }

    async fn record_progress(
        &self,
        run_id: i64,
        through: &str,
        requests: i64,
        lines: i64,
    ) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| {
            sqlx::query(
                "UPDATE sync_runs SET progress_through = $1, requests = $2, lines = $3 \
                 WHERE id = $4 AND outcome = 'running'",
            )
            .bind(through)
            .bind(requests)
            .bind(lines)
            .bind(run_id)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    async fn finish_run(
        &self,
        org_id: i64,
        integration_id: i64,
        run_id: i64,
        end: RunEnd<'_>,
    ) -> Result<(), StorageError> {
        let now = now_ms();
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            match &end.result {
                Ok(lines) => {
                    upsert_lines!(tx, org_id, integration_id, lines, now);
                    sqlx::query(FINISH_SUCCESS)
                        .bind(now)
                        .bind(&end.complete_through)
                        .bind(end.next_sync_at_ms)
                        .bind(integration_id)
                        .bind(org_id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(END_RUN)
                        .bind(now)
                        .bind(end.requests)
                        .bind(i64::try_from(lines.len()).unwrap_or(i64::MAX))
                        .bind("succeeded")
                        .bind(None::<String>)
                        .bind(run_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Err(message) => {
                    sqlx::query(FINISH_FAILURE)
                        .bind(message)
                        .bind(end.next_sync_at_ms)
                        .bind(integration_id)
                        .bind(org_id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(END_RUN)
                        .bind(now)
                        .bind(end.requests)
                        .bind(0i64)
                        .bind("failed")
                        .bind(message)
                        .bind(run_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok::<_, StorageError>(())
        })?;
        Ok(())
    }

    async fn runs(&self, org_id: i64, integration_id: i64) -> Result<Vec<SyncRun>, StorageError> {
        let select = format!(
            "SELECT {RUN_COLUMNS} FROM sync_runs WHERE org_id = $1 AND integration_id = $2 \
             ORDER BY id DESC"
        );
        let found = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select)
                .bind(org_id)
                .bind(integration_id)
                .fetch_all(p)
                .await?;
            rows.iter().map(run).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(found)
    }

    async fn running_runs(&self, org_id: i64) -> Result<Vec<SyncRun>, StorageError> {
        let select = format!(
            "SELECT {RUN_COLUMNS} FROM sync_runs WHERE org_id = $1 AND finished_at_ms IS NULL \
             ORDER BY id DESC"
        );
        let found = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).bind(org_id).fetch_all(p).await?;
            rows.iter().map(run).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(found)
    }
}
