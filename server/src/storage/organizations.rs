//! Queries on organisations, the tenants.

use super::rows::organization;
use super::store::{SqlStore, with_pool};
use super::{DEFAULT_ORG_SLUG, Organization, StorageError, now_ms};

const COLUMNS: &str = "id, slug, name, created_at_ms";

/// The tenants.
#[async_trait::async_trait]
pub trait OrganizationStore {
    /// The default organisation, created if it does not exist yet (safe to race).
    async fn ensure_default_organization(&self) -> Result<Organization, StorageError>;

    /// A new organisation; [`StorageError::Conflict`] when the slug is taken.
    async fn create_organization(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<Organization, StorageError>;

    async fn organization_by_slug(&self, slug: &str) -> Result<Option<Organization>, StorageError>;

    async fn organization(&self, id: i64) -> Result<Option<Organization>, StorageError>;

    /// All organisations, oldest first.
    async fn organizations(&self) -> Result<Vec<Organization>, StorageError>;
}

#[async_trait::async_trait]
impl OrganizationStore for SqlStore {
    async fn ensure_default_organization(&self) -> Result<Organization, StorageError> {
        let insert = "INSERT INTO organizations (slug, name, created_at_ms) VALUES ($1, $2, $3) \
                      ON CONFLICT (slug) DO NOTHING";
        with_pool!(&self.pool, |p| {
            sqlx::query(insert)
                .bind(DEFAULT_ORG_SLUG)
                .bind("Default organisation")
                .bind(now_ms())
                .execute(p)
                .await
                .map(|_| ())
        })?;
        self.organization_by_slug(DEFAULT_ORG_SLUG)
            .await?
            .ok_or_else(|| StorageError::Conflict("the default organisation vanished".into()))
    }

    async fn create_organization(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<Organization, StorageError> {
        let insert = format!(
            "INSERT INTO organizations (slug, name, created_at_ms) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        );
        let inserted = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&insert)
                .bind(slug)
                .bind(name)
                .bind(now_ms())
                .fetch_one(p)
                .await;
            row.and_then(|row| organization(&row))
        });
        inserted.map_err(|e| {
            if StorageError::is_unique_violation(&e) {
                StorageError::Conflict(format!(
                    "an organisation with the slug `{slug}` already exists"
                ))
            } else {
                e.into()
            }
        })
    }

    async fn organization_by_slug(&self, slug: &str) -> Result<Option<Organization>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM organizations WHERE slug = $1");
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select).bind(slug).fetch_optional(p).await?;
            row.as_ref().map(organization).transpose()
        })?;
        Ok(found)
    }

    async fn organization(&self, id: i64) -> Result<Option<Organization>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM organizations WHERE id = $1");
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select).bind(id).fetch_optional(p).await?;
            row.as_ref().map(organization).transpose()
        })?;
        Ok(found)
    }

    async fn organizations(&self) -> Result<Vec<Organization>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM organizations ORDER BY id");
        let all = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).fetch_all(p).await?;
            rows.iter().map(organization).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(all)
    }
}
