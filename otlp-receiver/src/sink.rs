//! The storage side, which the server implements, and the receiver's shared state.

use std::sync::Arc;

use crate::limits::ReceiverLimits;
use crate::{ReceiverError, UsageRecord};

/// The organisation a telemetry key belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub org_id: i64,
    pub key_id: i64,
}

/// What storing a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    /// Records stored for the first time.
    pub stored: usize,
    /// Records already stored by an earlier (re-sent) export: changed nothing.
    pub duplicates: usize,
    /// Records the sink refused for good (answered in `partial_success`, never retried), and why.
    pub rejected: usize,
    pub rejected_reason: Option<&'static str>,
}

/// Where usage records go. `store` returns only once the records are durably committed.
#[async_trait::async_trait]
pub trait UsageSink: Send + Sync + 'static {
    /// The tenant of a telemetry key, or `None` when the key is unknown or revoked.
    async fn authenticate(&self, key: &str) -> Result<Option<Tenant>, ReceiverError>;

    /// Stores the records in one transaction, each at most once (by idempotency key).
    async fn store(
        &self,
        tenant: &Tenant,
        records: Vec<UsageRecord>,
    ) -> Result<StoreOutcome, ReceiverError>;
}

/// The receiver's state, shared by the HTTP and gRPC front ends.
#[derive(Clone)]
pub struct Receiver {
    pub(crate) sink: Arc<dyn UsageSink>,
    pub(crate) limits: ReceiverLimits,
    /// Exports under way at once, and each organisation's and client's share of them; beyond
    /// it clients are told to retry later.
    pub(crate) admission: Arc<crate::admission::Admission>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    pub fn new(sink: Arc<dyn UsageSink>, limits: ReceiverLimits) -> Receiver {
        Receiver {
            sink,
            admission: crate::admission::Admission::new(
                limits.max_in_flight,
                limits.max_in_flight_share,
            ),
            limits,
        }
    }
}
