//! Browser sessions: created at sign-in, looked up by the hash of their id, ended at sign-out.

use super::audit::audit_insert;
use super::records::{AuditEntry, NewSession, SessionRecord};
use super::rows::{Columns, role};
use super::store::{SqlStore, with_pool};
use super::{StorageError, User};

fn session(row: &impl Columns) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        user: User {
            id: row.int("user_id")?,
            org_id: row.int("org_id")?,
            email: row.text("email")?,
            role: role(row, "role")?,
            created_at_ms: row.int("user_created_at_ms")?,
            disabled_at_ms: None,
        },
        created_at_ms: row.int("created_at_ms")?,
        last_seen_at_ms: row.int("last_seen_at_ms")?,
        expires_at_ms: row.int("expires_at_ms")?,
    })
}

#[async_trait::async_trait]
pub trait SessionStore {
    async fn create_session(
        &self,
        new: &NewSession,
        audit: &AuditEntry,
    ) -> Result<(), StorageError>;

    /// The session and its user, if the user is still active. Expiry is the caller's decision.
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StorageError>;

    /// Records activity, at most once per `granularity_ms` (a write per request would be waste).
    async fn touch_session(
        &self,
        id_hash: &str,
        now_ms: i64,
        granularity_ms: i64,
    ) -> Result<(), StorageError>;

    /// Ends a session; with an audit entry when a person signed out (not when it expired).
    async fn delete_session(
        &self,
        id_hash: &str,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StorageError>;
}

#[async_trait::async_trait]
impl SessionStore for SqlStore {
    async fn create_session(
        &self,
        new: &NewSession,
        audit: &AuditEntry,
    ) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO sessions (id_hash, org_id, user_id, created_at_ms, last_seen_at_ms, \
                 expires_at_ms, client_addr) VALUES ($1, $2, $3, $4, $4, $5, $6)",
            )
            .bind(&new.id_hash)
            .bind(new.org_id)
            .bind(new.user_id)
            .bind(new.created_at_ms)
            .bind(new.expires_at_ms)
            .bind(&new.client_addr)
            .execute(&mut *tx)
            .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await
        })?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StorageError> {
        let select = "SELECT s.user_id, s.org_id, u.email, u.role, u.created_at_ms AS user_created_at_ms, \
                      s.created_at_ms, s.last_seen_at_ms, s.expires_at_ms \
                      FROM sessions s JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id \
                      WHERE s.id_hash = $1 AND u.disabled_at_ms IS NULL";
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(select).bind(id_hash).fetch_optional(p).await?;
            row.as_ref().map(session).transpose()
        })?;
        Ok(found)
    }

    async fn touch_session(
        &self,
        id_hash: &str,
        now_ms: i64,
        granularity_ms: i64,
    ) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| {
            sqlx::query(
                "UPDATE sessions SET last_seen_at_ms = $2 WHERE id_hash = $1 AND last_seen_at_ms <= $3",
            )
            .bind(id_hash)
            .bind(now_ms)
            .bind(now_ms - granularity_ms)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    async fn delete_session(
        &self,
        id_hash: &str,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
            if let Some(audit) = audit {
                audit_insert!(audit).execute(&mut *tx).await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }
}
