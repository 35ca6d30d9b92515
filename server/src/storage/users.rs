//! Users and the first-owner setup: accounts, roles, disabling, and their audit entries.

use super::audit::audit_insert;
use super::records::{AuditEntry, Credentials, NewUser, User};
use super::rows::{Columns, role};
use super::store::{SqlStore, with_pool};
use super::{StorageError, now_ms};
use crate::auth::Role;

const COLUMNS: &str = "id, org_id, email, role, created_at_ms, disabled_at_ms";

pub(super) fn user(row: &impl Columns) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.int("id")?,
        org_id: row.int("org_id")?,
        email: row.text("email")?,
        role: role(row, "role")?,
        created_at_ms: row.int("created_at_ms")?,
        disabled_at_ms: row.opt_int("disabled_at_ms")?,
    })
}

fn email_taken(error: sqlx::Error, email: &str) -> StorageError {
    if StorageError::is_unique_violation(&error) {
        StorageError::Conflict(format!("a user with the email {email} already exists"))
    } else {
        error.into()
    }
}

/// Users of all organisations, each query scoped to one organisation where it can be.
#[async_trait::async_trait]
pub trait UserStore {
    /// How many users exist in all organisations (zero before the first owner is set up).
    async fn count_users(&self) -> Result<i64, StorageError>;

    /// A new user; [`StorageError::Conflict`] when the email is taken.
    async fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<User, StorageError>;

    /// An active user and their password hash, for sign-in.
    async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StorageError>;

    /// Any user (active or disabled) by email, across organisations: for the command line.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError>;

    async fn user(&self, org_id: i64, user_id: i64) -> Result<Option<User>, StorageError>;

    /// The organisation's users, oldest first.
    async fn users(&self, org_id: i64) -> Result<Vec<User>, StorageError>;

    /// Changes a user's role; `None` when no such user is in the organisation. Refuses to leave
    /// the organisation without an active owner.
    async fn set_role(
        &self,
        org_id: i64,
        user_id: i64,
        role: Role,
        audit: &AuditEntry,
    ) -> Result<Option<User>, StorageError>;

    /// Disables a user: they can no longer sign in, their sessions end and their API tokens are
    /// revoked. Refuses to disable the organisation's last active owner.
    async fn disable_user(
        &self,
        org_id: i64,
        user_id: i64,
        audit: &AuditEntry,
    ) -> Result<Option<User>, StorageError>;

    /// Replaces any earlier setup token with a new one (stored as its hash).
    async fn replace_setup_token(
        &self,
        org_id: i64,
        token_hash: &str,
        expires_at_ms: i64,
    ) -> Result<(), StorageError>;

    /// Whether a setup token is unused and unexpired and no user exists yet (the cheap check
    /// before any password is hashed).
    async fn setup_token_is_valid(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError>;

    /// Creates the first owner with a setup token, once: the token must be unused and unexpired
    /// and no user may exist yet.
    async fn complete_setup(
        &self,
        token_hash: &str,
        owner: &NewUser,
        audit: &AuditEntry,
    ) -> Result<User, StorageError>;
}

/// Locks the organisation's row for the rest of the transaction (a write, so that SQLite takes
/// its write lock up front and PostgreSQL serialises concurrent role changes in the org).
const LOCK_ORG: &str = "UPDATE organizations SET name = name WHERE id = $1";
const ACTIVE_OTHER_OWNERS: &str = "SELECT COUNT(*) FROM users \
    WHERE org_id = $1 AND id <> $2 AND role = 'owner' AND disabled_at_ms IS NULL";

fn last_owner() -> StorageError {
    StorageError::Conflict(
        "this is the organisation's last active owner; make another user owner first".into(),
    )
}

#[async_trait::async_trait]
impl UserStore for SqlStore {
    async fn count_users(&self) -> Result<i64, StorageError> {
        let count = with_pool!(&self.pool, |p| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
                .fetch_one(p)
                .await
        })?;
        Ok(count)
    }

    async fn create_user(&self, new: &NewUser, audit: &AuditEntry) -> Result<User, StorageError> {
        let insert = format!(
            "INSERT INTO users (org_id, email, password_hash, role, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        );
        // An inner block, so that `?` keeps the driver's error for `email_taken` to read.
        let created = with_pool!(&self.pool, |p| async {
            let mut tx = p.begin().await?;
            let row = sqlx::query(&insert)
                .bind(new.org_id)
                .bind(&new.email)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            user(&row)
        }
        .await);
        created.map_err(|e| email_taken(e, &new.email))
    }

    async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StorageError> {
        let select = format!(
            "SELECT {COLUMNS}, password_hash FROM users WHERE email = $1 AND disabled_at_ms IS NULL"
        );
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select).bind(email).fetch_optional(p).await?;
            row.map(|row| {
                Ok::<_, sqlx::Error>(Credentials {
                    user: user(&row)?,
                    password_hash: row.text("password_hash")?,
                })
            })
            .transpose()
        })?;
        Ok(found)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select).bind(email).fetch_optional(p).await?;
            row.as_ref().map(user).transpose()
        })?;
        Ok(found)
    }

    async fn user(&self, org_id: i64, user_id: i64) -> Result<Option<User>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select)
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(user).transpose()
        })?;
        Ok(found)
    }

    async fn users(&self, org_id: i64) -> Result<Vec<User>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM users WHERE org_id = $1 ORDER BY id");
        let all = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).bind(org_id).fetch_all(p).await?;
            rows.iter().map(user).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(all)
    }

    async fn set_role(
        &self,
        org_id: i64,
        user_id: i64,
        role: Role,
        audit: &AuditEntry,
    ) -> Result<Option<User>, StorageError> {
        let update =
            format!("UPDATE users SET role = $3 WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}");
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(LOCK_ORG).bind(org_id).execute(&mut *tx).await?;
            if role != Role::Owner {
                let others: i64 = sqlx::query_scalar(ACTIVE_OTHER_OWNERS)
                    .bind(org_id)
                    .bind(user_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let current: Option<String> =
                    sqlx::query_scalar("SELECT role FROM users WHERE org_id = $1 AND id = $2")
                        .bind(org_id)
                        .bind(user_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if others == 0 && current.as_deref() == Some(Role::Owner.as_str()) {
                    return Err(last_owner());
                }
            }
            let row = sqlx::query(&update)
                .bind(org_id)
                .bind(user_id)
                .bind(role.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(None) };
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(user(&row)?))
        })
    }

    async fn disable_user(
        &self,
        org_id: i64,
        user_id: i64,
        audit: &AuditEntry,
    ) -> Result<Option<User>, StorageError> {
        let update = format!(
            "UPDATE users SET disabled_at_ms = $3 \
             WHERE org_id = $1 AND id = $2 AND disabled_at_ms IS NULL RETURNING {COLUMNS}"
        );
        let now = now_ms();
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(LOCK_ORG).bind(org_id).execute(&mut *tx).await?;
            let others: i64 = sqlx::query_scalar(ACTIVE_OTHER_OWNERS)
                .bind(org_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            let row = sqlx::query(&update)
                .bind(org_id)
                .bind(user_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let disabled = user(&row)?;
            if disabled.role == Role::Owner && others == 0 {
                return Err(last_owner());
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE api_tokens SET revoked_at_ms = $2 WHERE user_id = $1 AND revoked_at_ms IS NULL",
            )
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(disabled))
        })
    }

    async fn replace_setup_token(
        &self,
        org_id: i64,
        token_hash: &str,
        expires_at_ms: i64,
    ) -> Result<(), StorageError> {
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM setup_tokens")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO setup_tokens (token_hash, org_id, created_at_ms, expires_at_ms) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(org_id)
            .bind(now_ms())
            .bind(expires_at_ms)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    async fn setup_token_is_valid(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        let valid: i64 = with_pool!(&self.pool, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND used_at_ms IS NULL \
                 AND expires_at_ms > $2 AND NOT EXISTS (SELECT 1 FROM users)",
            )
            .bind(token_hash)
            .bind(now_ms)
            .fetch_one(p)
            .await
        })?;
        Ok(valid > 0)
    }

    async fn complete_setup(
        &self,
        token_hash: &str,
        owner: &NewUser,
        audit: &AuditEntry,
    ) -> Result<User, StorageError> {
        let insert = format!(
            "INSERT INTO users (org_id, email, password_hash, role, created_at_ms) \
             VALUES ($1, $2, $3, 'owner', $4) RETURNING {COLUMNS}"
        );
        let now = now_ms();
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            // Consuming the token first is the write that serialises concurrent attempts.
            let consumed = sqlx::query(
                "UPDATE setup_tokens SET used_at_ms = $2 \
                 WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2",
            )
            .bind(token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if consumed.rows_affected() != 1 {
                return Err(StorageError::SetupToken);
            }
            let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(&mut *tx)
                .await?;
            if existing > 0 {
                return Err(StorageError::SetupToken);
            }
            let row = sqlx::query(&insert)
                .bind(owner.org_id)
                .bind(&owner.email)
                .bind(&owner.password_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(user(&row)?)
        })
    }
}
