//! The trait every provider puller implements, and what a pull reports back.

use reconciler::{Provider, UtcDay};

use crate::{BillingError, BillingLine, DayRange};

/// Told after each page or chunk a source reads, so a long backfill can show where it is.
pub trait Progress: Send + Sync {
    /// `through`: the last UTC day covered by the page just read (a display hint, not a
    /// checkpoint: a source that reads several endpoints sweeps each chunk of days once per
    /// endpoint). `requests` and `lines`: totals so far in this pull.
    fn advanced(&self, through: UtcDay, requests: u32, lines: usize);
}

/// A [`Progress`] that ignores every report.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn advanced(&self, _through: UtcDay, _requests: u32, _lines: usize) {}
}

/// Every line of a pulled range and how many HTTP requests it took (retries included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pulled {
    pub lines: Vec<BillingLine>,
    pub requests: u32,
}

/// A provider's bill/usage reports, read over its admin API.
#[async_trait::async_trait]
pub trait BillingSource: Send + Sync {
    fn provider(&self) -> Provider;

    /// The earliest UTC day a first backfill should ask for.
    fn earliest_day(&self, today: UtcDay) -> UtcDay;

    /// Reads every line of the range, paging and chunking within the provider's limits. Either
    /// every line of the range or an error: a failure midway returns no partial result, so the
    /// caller keeps what it stored before.
    async fn pull(&self, range: DayRange, progress: &dyn Progress) -> Result<Pulled, BillingError>;
}
