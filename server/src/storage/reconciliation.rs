//! The write-offs finance recorded against a reconciliation's residual.

use reconciler::reconcile::WriteOff;
use reconciler::{Month, Provider, Usd};

use super::audit::audit_insert;
use super::records::AuditEntry;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::{StorageError, now_ms};

/// A write-off as recorded.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct WriteOffRecord {
    pub id: i64,
    pub provider: String,
    pub month: String,
    /// The variance written off, exact (decimal string in the API).
    #[serde(serialize_with = "super::serialize_usd")]
    pub variance: Usd,
    pub reason: String,
    pub actor: String,
    pub created_at_ms: i64,
}

#[async_trait::async_trait]
pub trait ReconciliationStore {
    async fn write_offs(&self, org_id: i64) -> Result<Vec<WriteOffRecord>, StorageError>;

    /// Records (or replaces) the write-off of one provider and month, with its audit entry.
    async fn write_off(
        &self,
        org_id: i64,
        write_off: &WriteOff,
        reason: &str,
        audit: &AuditEntry,
    ) -> Result<WriteOffRecord, StorageError>;
}

fn write_off_record(row: &impl Columns) -> Result<WriteOffRecord, sqlx::Error> {
    Ok(WriteOffRecord {
        id: row.int("id")?,
        provider: row.text("provider")?,
        month: row.text("month")?,
        variance: Usd::from_nanos(row.int("variance_nanos")?),
        reason: row.text("reason")?,
        actor: row.text("actor")?,
        created_at_ms: row.int("created_at_ms")?,
    })
}

const WRITE_OFF_COLUMNS: &str = "id, provider, month, variance_nanos, reason, actor, created_at_ms";

#[async_trait::async_trait]
impl ReconciliationStore for SqlStore {
    async fn write_offs(&self, org_id: i64) -> Result<Vec<WriteOffRecord>, StorageError> {
        let select = format!(
            "SELECT {WRITE_OFF_COLUMNS} FROM write_offs WHERE org_id = $1 ORDER BY month, provider"
        );
        let found = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).bind(org_id).fetch_all(p).await?;
            rows.iter()
                .map(write_off_record)
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(found)
    }

    async fn write_off(
        &self,
        org_id: i64,
        write_off: &WriteOff,
        reason: &str,
        audit: &AuditEntry,
    ) -> Result<WriteOffRecord, StorageError> {
        let upsert = format!(
            "INSERT INTO write_offs (org_id, provider, month, variance_nanos, reason, \
             created_by_user_id, actor, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (org_id, provider, month) DO UPDATE SET variance_nanos = excluded.variance_nanos, \
             reason = excluded.reason, created_by_user_id = excluded.created_by_user_id, \
             actor = excluded.actor, created_at_ms = excluded.created_at_ms RETURNING {WRITE_OFF_COLUMNS}"
        );
        let recorded = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let row = sqlx::query(&upsert)
                .bind(org_id)
                .bind(write_off.provider.to_string())
                .bind(write_off.month.to_string())
                .bind(write_off.variance.to_nanos())
                .bind(reason)
                .bind(audit.actor_user_id)
                .bind(&audit.actor)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            write_off_record(&row)
        })?;
        Ok(recorded)
    }
}

/// The months of the write-offs, as the engine takes them.
pub fn engine_write_offs(records: &[WriteOffRecord]) -> Vec<WriteOff> {
    records
        .iter()
        .filter_map(|r| {
            Some(WriteOff {
                provider: Provider::parse(&r.provider).ok()?,
                month: Month::parse(&r.month).ok()?,
                variance: r.variance,
            })
        })
        .collect()
}
