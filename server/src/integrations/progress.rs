//! A running sync's progress, written to its run record at most once a second, so that the
//! admin sees how far a long backfill has come.

use std::sync::Arc;
use std::time::Duration;

use billing::{Progress, UtcDay};
use tokio::sync::watch;

use crate::storage::Storage;

/// How often progress is written at most.
const EVERY: Duration = Duration::from_secs(1);

type Report = Option<(UtcDay, u32, usize)>;

/// Receives the puller's reports and writes the latest one now and then.
pub(super) struct RunProgress {
    latest: watch::Sender<Report>,
    writer: tokio::task::JoinHandle<()>,
}

impl RunProgress {
    pub(super) fn start(storage: Arc<dyn Storage>, run_id: i64) -> RunProgress {
        let (latest, mut reports) = watch::channel::<Report>(None);
        let writer = tokio::spawn(async move {
            while reports.changed().await.is_ok() {
                let report = *reports.borrow_and_update();
                if let Some((through, requests, lines)) = report {
                    let written = storage
                        .record_progress(
                            run_id,
                            &through.to_string(),
                            i64::from(requests),
                            i64::try_from(lines).unwrap_or(i64::MAX),
                        )
                        .await;
                    if let Err(error) = written {
                        // Progress is a display hint; the run's end is recorded regardless.
                        tracing::warn!(%error, run_id, "could not record sync progress");
                    }
                }
                tokio::time::sleep(EVERY).await;
            }
        });
        RunProgress { latest, writer }
    }

    /// Stops writing; the run's end is recorded by its caller.
    pub(super) async fn stop(self) {
        drop(self.latest);
        self.writer.abort();
        let _ = self.writer.await;
    }
}

impl Progress for RunProgress {
    fn advanced(&self, through: UtcDay, requests: u32, lines: usize) {
        self.latest.send_replace(Some((through, requests, lines)));
    }
}
