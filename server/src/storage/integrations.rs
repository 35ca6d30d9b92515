//! Usage-provider integrations: created with their sealed credentials and first run, listed,
//! removed (credentials destroyed, lines kept).

use sqlx::Row;

use super::audit::audit_insert;
use super::billing_lines::upsert_lines;
use super::records::AuditEntry;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::sync_runs::RunEnd;
use super::{StorageError, now_ms};
use crate::vault::Sealed;

/// An integration as listed: never its credentials, only their last characters.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Integration {
    pub id: i64,
    pub org_id: i64,
    /// `anthropic`, `openai`, `cursor`, `github_copilot`, `gemini`, `windsurf` or `demo`.
    pub kind: String,
    pub name: String,
    /// `active`, `syncing`, `error` or `removed`.
    pub status: String,
    /// The provider's own message when the last run failed.
    pub status_message: Option<String>,
    /// What the credentials reach beyond the key, e.g. a GitHub organisation; "" when nothing.
    pub account: String,
    /// The last 4 characters of the secret credential, for recognising it.
    pub credential_hint: Option<String>,
    pub created_at_ms: i64,
    pub created_by_user_id: Option<i64>,
    pub removed_at_ms: Option<i64>,
    pub last_success_at_ms: Option<i64>,
    /// The last UTC day whose lines are final and stored.
    pub complete_through: Option<String>,
    pub next_sync_at_ms: Option<i64>,
}

/// An integration to create, with the outcome of the test it passed.
#[derive(Clone, Debug)]
pub struct NewIntegration {
    pub org_id: i64,
    pub kind: String,
    pub name: String,
    pub account: String,
    pub credential_hint: Option<String>,
    pub created_by_user_id: Option<i64>,
    pub next_sync_at_ms: Option<i64>,
}

const COLUMNS: &str = "id, org_id, kind, name, status, status_message, account, credential_hint, \
    created_at_ms, created_by_user_id, removed_at_ms, last_success_at_ms, complete_through, \
    next_sync_at_ms";

fn integration(row: &impl Columns) -> Result<Integration, sqlx::Error> {
    Ok(Integration {
        id: row.int("id")?,
        org_id: row.int("org_id")?,
        kind: row.text("kind")?,
        name: row.text("name")?,
        status: row.text("status")?,
        status_message: row.opt_text("status_message")?,
        account: row.text("account")?,
        credential_hint: row.opt_text("credential_hint")?,
        created_at_ms: row.int("created_at_ms")?,
        created_by_user_id: row.opt_int("created_by_user_id")?,
        removed_at_ms: row.opt_int("removed_at_ms")?,
        last_success_at_ms: row.opt_int("last_success_at_ms")?,
        complete_through: row.opt_text("complete_through")?,
        next_sync_at_ms: row.opt_int("next_sync_at_ms")?,
    })
}

#[async_trait::async_trait]
pub trait IntegrationStore {
    /// Creates an integration that passed its test: the row, its credentials sealed for its
    /// id by `seal`, the test's run and lines, and the audit entry — all or nothing.
    async fn create_integration(
        &self,
        new: &NewIntegration,
        seal: &(dyn Fn(i64) -> Result<Sealed, StorageError> + Send + Sync),
        test: (&str, &str, RunEnd<'_>),
        audit: &AuditEntry,
    ) -> Result<Integration, StorageError>;

    async fn integration(&self, org_id: i64, id: i64) -> Result<Option<Integration>, StorageError>;

    /// The organisation's integrations, oldest first, removed ones included.
    async fn integrations(&self, org_id: i64) -> Result<Vec<Integration>, StorageError>;

    /// The sealed credentials of a live integration.
    async fn integration_credentials(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<Sealed>, StorageError>;

    /// Marks the integration removed and destroys its credentials; its lines stay. `None`
    /// when there is no such integration; removing a removed one changes nothing.
    async fn remove_integration(
        &self,
        org_id: i64,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<Option<Integration>, StorageError>;
}

#[async_trait::async_trait]
impl IntegrationStore for SqlStore {
    async fn create_integration(
        &self,
        new: &NewIntegration,
        seal: &(dyn Fn(i64) -> Result<Sealed, StorageError> + Send + Sync),
        (range_from, range_to, test): (&str, &str, RunEnd<'_>),
        audit: &AuditEntry,
    ) -> Result<Integration, StorageError> {
        let insert = format!(
            "INSERT INTO integrations (org_id, kind, name, status, account, credential_hint, \
             created_at_ms, created_by_user_id, next_sync_at_ms) \
             VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        );
        let now = now_ms();
        let lines = test.result.as_ref().map_err(|message| {
            StorageError::Conflict(format!(
                "an integration whose test failed is not saved: {message}"
            ))
        })?;
        let created = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let row = sqlx::query(&insert)
                .bind(new.org_id)
                .bind(&new.kind)
                .bind(&new.name)
                .bind(&new.account)
                .bind(&new.credential_hint)
                .bind(now)
                .bind(new.created_by_user_id)
                .bind(new.next_sync_at_ms)
                .fetch_one(&mut *tx)
                .await?;
            let mut created = integration(&row)?;
            let sealed = seal(created.id)?;
            sqlx::query(
                "UPDATE integrations SET credential_key_id = $1, credential_nonce = $2, \
                 credential_ciphertext = $3 WHERE id = $4",
            )
            .bind(&sealed.key_id)
            .bind(&sealed.nonce)
            .bind(&sealed.ciphertext)
            .bind(created.id)
            .execute(&mut *tx)
            .await?;
            upsert_lines!(tx, new.org_id, created.id, lines, now);
            sqlx::query(
                "INSERT INTO sync_runs (org_id, integration_id, kind, range_from, range_to, \
                 started_at_ms, finished_at_ms, requests, lines, outcome) \
                 VALUES ($1, $2, 'test', $3, $4, $5, $5, $6, $7, 'succeeded')",
            )
            .bind(new.org_id)
            .bind(created.id)
            .bind(range_from)
            .bind(range_to)
            .bind(now)
            .bind(test.requests)
            .bind(i64::try_from(lines.len()).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE integrations SET last_success_at_ms = $1 WHERE id = $2")
                .bind(now)
                .bind(created.id)
                .execute(&mut *tx)
                .await?;
            created.last_success_at_ms = Some(now);
            let mut audit = audit.clone();
            audit.target = format!("integration:{}", created.id);
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, StorageError>(created)
        })?;
        Ok(created)
    }

    async fn integration(&self, org_id: i64, id: i64) -> Result<Option<Integration>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM integrations WHERE org_id = $1 AND id = $2");
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select)
                .bind(org_id)
                .bind(id)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(integration).transpose()
        })?;
        Ok(found)
    }

    async fn integrations(&self, org_id: i64) -> Result<Vec<Integration>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM integrations WHERE org_id = $1 ORDER BY id");
        let found = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).bind(org_id).fetch_all(p).await?;
            rows.iter().map(integration).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(found)
    }

    async fn integration_credentials(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<Sealed>, StorageError> {
        let select = "SELECT credential_key_id, credential_nonce, credential_ciphertext \
            FROM integrations WHERE org_id = $1 AND id = $2 AND status <> 'removed' \
            AND credential_key_id IS NOT NULL";
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(select)
                .bind(org_id)
                .bind(id)
                .fetch_optional(p)
                .await?;
            row.map(|row| {
                Ok::<_, sqlx::Error>(Sealed {
                    key_id: row.try_get("credential_key_id")?,
                    nonce: row.try_get("credential_nonce")?,
                    ciphertext: row.try_get("credential_ciphertext")?,
                })
            })
            .transpose()
        })?;
        Ok(found)
    }

    async fn remove_integration(
        &self,
        org_id: i64,
        id: i64,
        audit: &AuditEntry,
    ) -> Result<Option<Integration>, StorageError> {
        let update = format!(
            "UPDATE integrations SET status = 'removed', status_message = NULL, \
             removed_at_ms = $1, next_sync_at_ms = NULL, credential_key_id = NULL, \
             credential_nonce = NULL, credential_ciphertext = NULL \
             WHERE org_id = $2 AND id = $3 AND status <> 'removed' RETURNING {COLUMNS}"
        );
        let removed = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let row = sqlx::query(&update)
                .bind(now_ms())
                .bind(org_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if row.is_some() {
                audit_insert!(audit).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            row.as_ref().map(integration).transpose()
        })?;
        match removed {
            Some(removed) => Ok(Some(removed)),
            None => self.integration(org_id, id).await,
        }
    }
}
