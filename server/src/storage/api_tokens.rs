//! API tokens: stored as hashes, listed by prefix, revoked by id within one organisation.

use super::audit::audit_insert;
use super::records::{ApiToken, AuditEntry, NewApiToken};
use super::rows::{Columns, role};
use super::store::{SqlStore, with_pool};
use super::{StorageError, User, now_ms};

const COLUMNS: &str = "t.id, t.org_id, t.user_id, u.email AS user_email, t.name, t.prefix, \
                       t.created_at_ms, t.last_used_at_ms, t.revoked_at_ms";
const FROM: &str = "api_tokens t JOIN users u ON u.id = t.user_id";

fn api_token(row: &impl Columns) -> Result<ApiToken, sqlx::Error> {
    Ok(ApiToken {
        id: row.int("id")?,
        org_id: row.int("org_id")?,
        user_id: row.int("user_id")?,
        user_email: row.text("user_email")?,
        name: row.text("name")?,
        prefix: row.text("prefix")?,
        created_at_ms: row.int("created_at_ms")?,
        last_used_at_ms: row.opt_int("last_used_at_ms")?,
        revoked_at_ms: row.opt_int("revoked_at_ms")?,
    })
}

#[async_trait::async_trait]
pub trait ApiTokenStore {
    async fn create_api_token(
        &self,
        new: &NewApiToken,
        audit: &AuditEntry,
    ) -> Result<ApiToken, StorageError>;

    /// The unrevoked token with this hash and its active user.
    async fn api_token_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ApiToken, User)>, StorageError>;

    /// Records a use, at most once per `granularity_ms`.
    async fn touch_api_token(
        &self,
        id: i64,
        now_ms: i64,
        granularity_ms: i64,
    ) -> Result<(), StorageError>;

    /// One token of the organisation (only if it is `user_id`'s, when given).
    async fn api_token(
        &self,
        org_id: i64,
        id: i64,
        user_id: Option<i64>,
    ) -> Result<Option<ApiToken>, StorageError>;

    /// The organisation's tokens (only `user_id`'s when given), newest first, revoked included.
    async fn api_tokens(
        &self,
        org_id: i64,
        user_id: Option<i64>,
    ) -> Result<Vec<ApiToken>, StorageError>;

    /// Revokes a token of the organisation (only if it is `user_id`'s, when given); `None` when
    /// there is no such token. Revoking a revoked token changes nothing and returns it.
    async fn revoke_api_token(
        &self,
        org_id: i64,
        id: i64,
        user_id: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<Option<ApiToken>, StorageError>;
}

#[async_trait::async_trait]
impl ApiTokenStore for SqlStore {
    async fn create_api_token(
        &self,
        new: &NewApiToken,
        audit: &AuditEntry,
    ) -> Result<ApiToken, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1");
        let created = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (org_id, user_id, name, prefix, token_hash, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(new.org_id)
            .bind(new.user_id)
            .bind(&new.name)
            .bind(&new.prefix)
            .bind(&new.token_hash)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            let row = sqlx::query(&select).bind(id).fetch_one(&mut *tx).await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            api_token(&row)
        })?;
        Ok(created)
    }

    async fn api_token_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ApiToken, User)>, StorageError> {
        let select = format!(
            "SELECT {COLUMNS}, u.id AS u_id, u.role, u.created_at_ms AS u_created_at_ms FROM {FROM} \
             WHERE t.token_hash = $1 AND t.revoked_at_ms IS NULL AND u.disabled_at_ms IS NULL \
             AND u.org_id = t.org_id"
        );
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select)
                .bind(token_hash)
                .fetch_optional(p)
                .await?;
            row.map(|row| {
                let token = api_token(&row)?;
                let owner = User {
                    id: row.int("u_id")?,
                    org_id: token.org_id,
                    email: token.user_email.clone(),
                    role: role(&row, "role")?,
                    created_at_ms: row.int("u_created_at_ms")?,
                    disabled_at_ms: None,
                };
                Ok::<_, sqlx::Error>((token, owner))
            })
            .transpose()
        })?;
        Ok(found)
    }

    async fn touch_api_token(
        &self,
        id: i64,
        now_ms: i64,
        granularity_ms: i64,
    ) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| {
            sqlx::query(
                "UPDATE api_tokens SET last_used_at_ms = $2 \
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

    async fn api_token(
        &self,
        org_id: i64,
        id: i64,
        user_id: Option<i64>,
    ) -> Result<Option<ApiToken>, StorageError> {
        let select = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1 AND t.org_id = $2 \
             AND ($3 IS NULL OR t.user_id = $3)"
        );
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select)
                .bind(id)
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(api_token).transpose()
        })?;
        Ok(found)
    }

    async fn api_tokens(
        &self,
        org_id: i64,
        user_id: Option<i64>,
    ) -> Result<Vec<ApiToken>, StorageError> {
        let select = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE t.org_id = $1 AND ($2 IS NULL OR t.user_id = $2) \
             ORDER BY t.id DESC"
        );
        let all = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select)
                .bind(org_id)
                .bind(user_id)
                .fetch_all(p)
                .await?;
            rows.iter().map(api_token).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(all)
    }

    async fn revoke_api_token(
        &self,
        org_id: i64,
        id: i64,
        user_id: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<Option<ApiToken>, StorageError> {
        let select = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1 AND t.org_id = $2 \
             AND ($3 IS NULL OR t.user_id = $3)"
        );
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at_ms = $4 WHERE id = $1 AND org_id = $2 \
                 AND ($3 IS NULL OR user_id = $3) AND revoked_at_ms IS NULL",
            )
            .bind(id)
            .bind(org_id)
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query(&select)
                .bind(id)
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(None) };
            if revoked.rows_affected() == 1 {
                audit_insert!(audit).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Some(api_token(&row)?))
        })
    }
}
