//! Telemetry keys: stored as hashes, listed by prefix, revoked by id within one organisation.

use super::audit::audit_insert;
use super::records::AuditEntry;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::{StorageError, now_ms};

/// A telemetry key as listed; the key itself is never stored.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct TelemetryKey {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    /// The first characters of the key, for recognising it; never enough to use it.
    pub prefix: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// A telemetry key to create; only the hash of the key is stored.
#[derive(Clone, Debug)]
pub struct NewTelemetryKey {
    pub org_id: i64,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
}

const COLUMNS: &str = "id, org_id, name, prefix, created_at_ms, last_used_at_ms, revoked_at_ms";

fn telemetry_key(row: &impl Columns) -> Result<TelemetryKey, sqlx::Error> {
    Ok(TelemetryKey {
        id: row.int("id")?,
        org_id: row.int("org_id")?,
        name: row.text("name")?,
        prefix: row.text("prefix")?,
        created_at_ms: row.int("created_at_ms")?,
        last_used_at_ms: row.opt_int("last_used_at_ms")?,
        revoked_at_ms: row.opt_int("revoked_at_ms")?,
    })
}

#[async_trait::async_trait]
pub trait TelemetryKeyStore {
    async fn create_telemetry_key(
        &self,
        new: &NewTelemetryKey,
        audit: &AuditEntry,
    ) -> Result<TelemetryKey, StorageError>;

    /// The unrevoked key with this hash.
    async fn telemetry_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<TelemetryKey>, StorageError>;

    /// Records a use, at most once per `granularity_ms`.
    async fn touch_telemetry_key(
        &self,
        id: i64,
        now_ms: i64,
        granularity_ms: i64,
    ) -> Result<(), StorageError>;

    /// One key of the organisation, revoked or not.
    async fn telemetry_key(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<TelemetryKey>, StorageError>;

    /// The organisation's keys, newest first, revoked included.
    async fn telemetry_keys(&self, org_id: i64) -> Result<Vec<TelemetryKey>, StorageError>;

    /// Revokes a key of the organisation; `None` when there is no such key. Revoking a revoked
    /// key changes nothing and returns it.
    async fn revoke_telemetry_key(
        &self,
        org_id: i64,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<Option<TelemetryKey>, StorageError>;
}

#[async_trait::async_trait]
impl TelemetryKeyStore for SqlStore {
    async fn create_telemetry_key(
        &self,
        new: &NewTelemetryKey,
        audit: &AuditEntry,
    ) -> Result<TelemetryKey, StorageError> {
        let insert = format!(
            "INSERT INTO telemetry_keys (org_id, name, prefix, key_hash, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        );
        let created = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let row = sqlx::query(&insert)
                .bind(new.org_id)
                .bind(&new.name)
                .bind(&new.prefix)
                .bind(&new.key_hash)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            telemetry_key(&row)
        })?;
        Ok(created)
    }

    async fn telemetry_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<TelemetryKey>, StorageError> {
        if let Some(key) = self.telemetry_keys.get(key_hash) {
            return Ok(Some(key));
        }
        let generation = self.telemetry_keys.generation();
        let select = format!(
            "SELECT {COLUMNS} FROM telemetry_keys WHERE key_hash = $1 AND revoked_at_ms IS NULL"
        );
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select)
                .bind(key_hash)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(telemetry_key).transpose()
        })?;
        if let Some(key) = &found {
            self.telemetry_keys.put(generation, key_hash, key);
        }
        Ok(found)
    }

    async fn touch_telemetry_key(
        &self,
        id: i64,
        now_ms: i64,
        granularity_ms: i64,
    ) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| {
            sqlx::query(
                "UPDATE telemetry_keys SET last_used_at_ms = $2 \
                 WHERE id = $1 AND (last_used_at_ms IS NULL OR last_used_at_ms <= $3)",
            )
            .bind(id)
            .bind(now_ms)
            .bind(now_ms - granularity_ms)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    async fn telemetry_key(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<TelemetryKey>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM telemetry_keys WHERE id = $1 AND org_id = $2");
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select)
                .bind(id)
                .bind(org_id)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(telemetry_key).transpose()
        })?;
        Ok(found)
    }

    async fn telemetry_keys(&self, org_id: i64) -> Result<Vec<TelemetryKey>, StorageError> {
        let select =
            format!("SELECT {COLUMNS} FROM telemetry_keys WHERE org_id = $1 ORDER BY id DESC");
        let all = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).bind(org_id).fetch_all(p).await?;
            rows.iter()
                .map(telemetry_key)
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(all)
    }

    async fn revoke_telemetry_key(
        &self,
        org_id: i64,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<Option<TelemetryKey>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM telemetry_keys WHERE id = $1 AND org_id = $2");
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let revoked = sqlx::query(
                "UPDATE telemetry_keys SET revoked_at_ms = $3 \
                 WHERE id = $1 AND org_id = $2 AND revoked_at_ms IS NULL",
            )
            .bind(id)
            .bind(org_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query(&select)
                .bind(id)
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(None) };
            if revoked.rows_affected() == 1 {
                audit_insert!(audit).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            // Refused from the next export on, in this process.
            self.telemetry_keys.clear();
            Ok(Some(telemetry_key(&row)?))
        })
    }
}
