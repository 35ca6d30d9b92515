//! The OTLP receiver wired to storage: telemetry keys authenticate exports, usage records are
//! stored (and acknowledged) in one transaction per export.

use std::sync::Arc;

use otlp_receiver::{ReceiverError, StoreOutcome, Tenant, UsageRecord, UsageSink};

use crate::accounts::authenticate_telemetry_key;
use crate::storage::Storage;

#[derive(Debug)]
pub(crate) struct StorageSink {
    pub storage: Arc<dyn Storage>,
}

#[async_trait::async_trait]
impl UsageSink for StorageSink {
    async fn authenticate(&self, key: &str) -> Result<Option<Tenant>, ReceiverError> {
        let found = authenticate_telemetry_key(self.storage.as_ref(), key)
            .await
            .map_err(|e| ReceiverError::Storage(e.to_string()))?;
        Ok(found.map(|key| Tenant {
            org_id: key.org_id,
            key_id: key.id,
        }))
    }

    async fn store(
        &self,
        tenant: &Tenant,
        records: Vec<UsageRecord>,
    ) -> Result<StoreOutcome, ReceiverError> {
        self.storage
            .store_usage(tenant.org_id, tenant.key_id, &records)
            .await
            .map_err(|e| ReceiverError::Storage(e.to_string()))
    }
}
