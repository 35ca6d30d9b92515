//! Re-sealing every stored credential under a new master key, in one transaction.

use sqlx::Row;

use super::StorageError;
use super::store::{SqlStore, with_pool};
use crate::vault::{Binding, Sealed};

#[async_trait::async_trait]
pub trait CredentialStore {
    /// Replaces every live integration's sealed credentials by `reseal`'s result; all or none.
    /// The number re-sealed.
    async fn reseal_credentials(
        &self,
        reseal: &(
             dyn for<'s> Fn(Binding, &'s Sealed) -> Result<Sealed, StorageError> + Send + Sync
         ),
    ) -> Result<usize, StorageError>;
}

#[async_trait::async_trait]
impl CredentialStore for SqlStore {
    async fn reseal_credentials(
        &self,
        reseal: &(
             dyn for<'s> Fn(Binding, &'s Sealed) -> Result<Sealed, StorageError> + Send + Sync
         ),
    ) -> Result<usize, StorageError> {
        let count = with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let rows = sqlx::query(
                "SELECT id, org_id, credential_key_id, credential_nonce, credential_ciphertext \
                 FROM integrations WHERE credential_key_id IS NOT NULL ORDER BY id",
            )
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let binding = Binding {
                    org_id: row.try_get("org_id")?,
                    integration_id: row.try_get("id")?,
                };
                let sealed = Sealed {
                    key_id: row.try_get("credential_key_id")?,
                    nonce: row.try_get("credential_nonce")?,
                    ciphertext: row.try_get("credential_ciphertext")?,
                };
                let resealed = reseal(binding, &sealed)?;
                sqlx::query(
                    "UPDATE integrations SET credential_key_id = $1, credential_nonce = $2, \
                     credential_ciphertext = $3 WHERE id = $4",
                )
                .bind(&resealed.key_id)
                .bind(&resealed.nonce)
                .bind(&resealed.ciphertext)
                .bind(binding.integration_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, StorageError>(rows.len())
        })?;
        Ok(count)
    }
}
