//! What the Demo provider marks as its own beyond its integration (its telemetry key and its
//! write-off), and the purge that deletes every demo row and nothing else.

use super::audit::audit_insert;
use super::billed::refresh_billed_days;
use super::records::AuditEntry;
use super::rollups::{rebuild_statements, rebuild_sums_statements, writer_exclusion};
use super::store::{SqlStore, with_pool};
use super::usage_sums::{BUMP_USAGE_VERSION, RELINK_STATEMENTS};
use super::{Storage, StorageError};

/// What a purge deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub usage_events: u64,
    pub billing_lines: u64,
    pub sync_runs: u64,
    pub write_offs: u64,
    pub telemetry_keys: u64,
    pub usage_scopes: u64,
}

#[async_trait::async_trait]
pub trait DemoStore {
    /// Marks a telemetry key as the demo integration's (its usage is demo telemetry).
    async fn mark_demo_key(
        &self,
        org_id: i64,
        key_id: i64,
        integration_id: i64,
    ) -> Result<(), StorageError>;

    /// Whether the organisation holds data of a Demo integration (not purged).
    async fn has_demo_data(&self, org_id: i64) -> Result<bool, StorageError>;

    /// Marks the write-off of (provider, month) as the demo integration's.
    async fn mark_demo_write_off(
        &self,
        org_id: i64,
        provider: &str,
        month: &str,
        integration_id: i64,
    ) -> Result<(), StorageError>;

    /// Deletes every row the demo integration made — its billing lines and runs, its
    /// telemetry keys and their usage events, its write-offs, and `scopes` (the session
    /// markers its events left) and the integration itself — and rebuilds the rollups of the
    /// days its usage touched; one transaction, with its audit entry.
    async fn purge_demo(
        &self,
        org_id: i64,
        integration_id: i64,
        scopes: &[String],
        audit: &AuditEntry,
    ) -> Result<Purged, StorageError>;
}

#[async_trait::async_trait]
impl DemoStore for SqlStore {
    async fn mark_demo_key(
        &self,
        org_id: i64,
        key_id: i64,
        integration_id: i64,
    ) -> Result<(), StorageError> {
        let update =
            "UPDATE telemetry_keys SET demo_integration_id = $1 WHERE org_id = $2 AND id = $3";
        with_pool!(&self.pool, |p| {
            sqlx::query(update)
                .bind(integration_id)
                .bind(org_id)
                .bind(key_id)
                .execute(p)
                .await
                .map(drop)
        })?;
        Ok(())
    }

    async fn has_demo_data(&self, org_id: i64) -> Result<bool, StorageError> {
        // From the (few) Demo integrations to their lines by the (integration, key) index:
        // never a scan of the organisation's lines.
        let select = "SELECT 1 FROM telemetry_keys WHERE org_id = $1 AND demo_integration_id IS NOT NULL \
                      UNION ALL SELECT 1 FROM integrations i WHERE i.org_id = $1 AND i.kind = 'demo' \
                      AND EXISTS (SELECT 1 FROM billing_lines b WHERE b.integration_id = i.id) LIMIT 1";
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(select).bind(org_id).fetch_optional(p).await?;
            Ok::<_, sqlx::Error>(row.is_some())
        })?;
        Ok(found)
    }

    async fn mark_demo_write_off(
        &self,
        org_id: i64,
        provider: &str,
        month: &str,
        integration_id: i64,
    ) -> Result<(), StorageError> {
        let update = "UPDATE write_offs SET demo_integration_id = $1 \
                      WHERE org_id = $2 AND provider = $3 AND month = $4";
        with_pool!(&self.pool, |p| {
            sqlx::query(update)
                .bind(integration_id)
                .bind(org_id)
                .bind(provider)
                .bind(month)
                .execute(p)
                .await
                .map(drop)
        })?;
        Ok(())
    }

    async fn purge_demo(
        &self,
        org_id: i64,
        integration_id: i64,
        scopes: &[String],
        audit: &AuditEntry,
    ) -> Result<Purged, StorageError> {
        let (begin, lock) = writer_exclusion(self.backend());
        let (rebuild_delete, rebuild_insert) = rebuild_statements();
        const DEMO_KEYS: &str =
            "SELECT id FROM telemetry_keys WHERE org_id = $1 AND demo_integration_id = $2";
        let days = format!(
            "SELECT MIN(day) AS first_day, MAX(day) AS last_day FROM usage_events \
             WHERE org_id = $1 AND telemetry_key_id IN ({DEMO_KEYS})"
        );
        let events = format!(
            "DELETE FROM usage_events WHERE org_id = $1 AND telemetry_key_id IN ({DEMO_KEYS})"
        );
        let purged = with_pool!(&self.pool, |p| {
            let mut tx = p.begin_with(begin).await?;
            if let Some(lock) = lock {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let range: (Option<String>, Option<String>) = sqlx::query_as(&days)
                .bind(org_id)
                .bind(integration_id)
                .fetch_one(&mut *tx)
                .await?;
            let billed: (Option<String>, Option<String>) = sqlx::query_as(
                "SELECT MIN(day), MAX(day) FROM billing_lines WHERE org_id = $1 AND integration_id = $2",
            )
            .bind(org_id)
            .bind(integration_id)
            .fetch_one(&mut *tx)
            .await?;
            let mut purged = Purged::default();
            let mut delete = async |sql: &str| {
                sqlx::query(sql)
                    .bind(org_id)
                    .bind(integration_id)
                    .execute(&mut *tx)
                    .await
                    .map(|done| done.rows_affected())
            };
            purged.usage_events = delete(&events).await?;
            purged.telemetry_keys =
                delete("DELETE FROM telemetry_keys WHERE org_id = $1 AND demo_integration_id = $2")
                    .await?;
            purged.billing_lines =
                delete("DELETE FROM billing_lines WHERE org_id = $1 AND integration_id = $2")
                    .await?;
            purged.sync_runs =
                delete("DELETE FROM sync_runs WHERE org_id = $1 AND integration_id = $2").await?;
            purged.write_offs =
                delete("DELETE FROM write_offs WHERE org_id = $1 AND demo_integration_id = $2")
                    .await?;
            for scope in scopes {
                purged.usage_scopes +=
                    sqlx::query("DELETE FROM usage_scopes WHERE org_id = $1 AND scope = $2")
                        .bind(org_id)
                        .bind(scope)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
            }
            if let (Some(first), Some(last)) = range {
                for sql in [rebuild_delete, rebuild_insert]
                    .iter()
                    .chain(&rebuild_sums_statements())
                {
                    sqlx::query(sql)
                        .bind(org_id)
                        .bind(&first)
                        .bind(&last)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for sql in RELINK_STATEMENTS.iter().chain([&BUMP_USAGE_VERSION]) {
                sqlx::query(sql).bind(org_id).execute(&mut *tx).await?;
            }
            if let (Some(first), Some(last)) = billed {
                refresh_billed_days!(tx, org_id, first, last);
            }
            sqlx::query("DELETE FROM integrations WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(integration_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(purged)
        })?;
        // The Demo's telemetry key is gone: refused from the next export on.
        self.telemetry_keys.clear();
        Ok(purged)
    }
}
