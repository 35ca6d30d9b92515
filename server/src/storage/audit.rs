//! The audit log: written in the same transaction as the mutation it records, read newest first.

use super::StorageError;
use super::records::{AuditEntry, AuditEvent};
use super::rows::Columns;
use super::store::{SqlStore, with_pool};

/// The statement that records one audit entry; see [`audit_insert!`].
pub(super) const AUDIT_INSERT: &str = "INSERT INTO audit_events \
    (org_id, actor_user_id, actor, action, target, details, client_addr, created_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The query recording `$entry`, to execute inside the mutation's own transaction.
macro_rules! audit_insert {
    ($entry:expr) => {
        sqlx::query($crate::storage::audit::AUDIT_INSERT)
            .bind($entry.org_id)
            .bind($entry.actor_user_id)
            .bind(&$entry.actor)
            .bind($entry.action)
            .bind(&$entry.target)
            .bind($entry.details.to_string())
            .bind(&$entry.client_addr)
            .bind($crate::storage::now_ms())
    };
}
pub(super) use audit_insert;

fn event(row: &impl Columns) -> Result<AuditEvent, sqlx::Error> {
    let details = row.text("details")?;
    Ok(AuditEvent {
        id: row.int("id")?,
        actor_user_id: row.opt_int("actor_user_id")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        target: row.text("target")?,
        details: serde_json::from_str(&details).map_err(|e| sqlx::Error::Decode(e.into()))?,
        client_addr: row.opt_text("client_addr")?,
        created_at_ms: row.int("created_at_ms")?,
    })
}

/// Reading and writing the audit log.
#[async_trait::async_trait]
pub trait AuditStore {
    /// Records an action that changes no other row (sign-in, sign-out).
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StorageError>;

    /// The organisation's events, newest first: at most `limit`, all older than `before_id`.
    async fn audit_events(
        &self,
        org_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StorageError>;
}

#[async_trait::async_trait]
impl AuditStore for SqlStore {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| audit_insert!(entry)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn audit_events(
        &self,
        org_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StorageError> {
        let select = "SELECT id, actor_user_id, actor, action, target, details, client_addr, \
                      created_at_ms FROM audit_events WHERE org_id = $1 AND id < $2 \
                      ORDER BY id DESC LIMIT $3";
        let events = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(select)
                .bind(org_id)
                .bind(before_id.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter().map(event).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(events)
    }
}
