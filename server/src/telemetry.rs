//! The OTLP receiver wired to storage: telemetry keys authenticate exports, and exports are
//! stored by one writer that commits whatever exports are waiting in one transaction (group
//! commit), answering each only after that commit.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use otlp_receiver::{ReceiverError, StoreOutcome, Tenant, UsageRecord, UsageSink};
use tokio::sync::{mpsc, oneshot};

use crate::accounts::{authenticate_telemetry_key, record_telemetry_key_use};
use crate::storage::{SUM_OVERFLOW, Storage, StorageError, SumRow, UsageBatch};

/// Exports waiting for the writer; the receiver's in-flight limit keeps it from filling.
const QUEUE: usize = 128;
/// Records committed together at most.
const MAX_GROUP_RECORDS: usize = 5_000;

struct Job {
    tenant: Tenant,
    records: Vec<UsageRecord>,
    done: oneshot::Sender<Result<StoreOutcome, String>>,
}

#[derive(Debug)]
pub(crate) struct StorageSink {
    storage: Arc<dyn Storage>,
    writer: mpsc::Sender<Job>,
    /// When each key's use was last recorded. A write per export would contend with the writer
    /// for SQLite's write lock; the stored "last used" is kept to the minute.
    last_recorded: Mutex<HashMap<i64, Instant>>,
}

/// How often a key's use is written to the database.
const RECORD_USE_EVERY: Duration = Duration::from_secs(60);

impl StorageSink {
    /// The sink and its writer (which ends once the sink is dropped and its queue is empty).
    ///
    /// The writer has a thread of its own. A transaction is a dozen round trips to the
    /// database's thread, and on the shared runtime each of them waited for whatever export a
    /// worker was decoding to finish before the writer could go on; the commits, which every
    /// acknowledgement waits for, set the pace of the whole receiver.
    pub fn start(storage: Arc<dyn Storage>) -> std::io::Result<StorageSink> {
        let (writer, queue) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let writer_storage = storage.clone();
        std::thread::Builder::new()
            .name("usage-writer".into())
            .spawn(move || runtime.block_on(write(writer_storage, queue)))?;
        Ok(StorageSink {
            storage,
            writer,
            last_recorded: Mutex::default(),
        })
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("records", &self.records.len())
            .finish_non_exhaustive()
    }
}

async fn write(storage: Arc<dyn Storage>, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut records = first.records.len();
        let mut jobs = vec![first];
        while records < MAX_GROUP_RECORDS {
            let Ok(job) = queue.try_recv() else { break };
            records += job.records.len();
            jobs.push(job);
        }
        let batches: Vec<UsageBatch<'_>> = jobs.iter().map(batch).collect();
        let started = Instant::now();
        let stored = storage.store_usage(&batches).await;
        let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::debug!(exports = jobs.len(), records, elapsed_us, "group committed");
        match stored {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.done.send(Ok(outcome));
                }
            }
            // One export's failure must not fail the others it was grouped with: alone, each
            // succeeds or fails on its own.
            Err(error) if jobs.len() > 1 || matches!(error, StorageError::SumOverflow(_)) => {
                tracing::warn!(%error, exports = jobs.len(), "group commit failed; storing the exports one by one");
                let alone_failed = jobs.len() == 1;
                for job in jobs {
                    let result = store_alone(storage.as_ref(), &job, alone_failed)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = job.done.send(result);
                }
            }
            Err(error) => {
                for job in jobs {
                    let _ = job.done.send(Err(error.to_string()));
                }
            }
        }
    }
}

/// Stores one export on its own; `failed_whole` says it has just failed whole with an overflow,
/// so it is not tried whole again. A failure other than an overflow fails the export, which the
/// exporter retries (what was committed by then is recognised as stored).
async fn store_alone(
    storage: &dyn Storage,
    job: &Job,
    failed_whole: bool,
) -> Result<StoreOutcome, StorageError> {
    if !failed_whole {
        match storage.store_usage(&[batch(job)]).await {
            Ok(mut done) => return Ok(done.pop().unwrap_or_default()),
            Err(StorageError::SumOverflow(_)) => {}
            Err(error) => return Err(error),
        }
    }
    store_around_full_rows(storage, job).await
}

const SUM_ROWS: [SumRow; 3] = [SumRow::PersonDay, SumRow::ModelDay, SumRow::PersonMonth];

/// Stores an export that failed whole because some of its records would take a stored sum out
/// of bounds (a permanent fault of theirs, which a retry cannot mend). They are found by halving
/// the records that fail, and rejected; the rest are stored. Once one record of a sum's row is
/// refused, the export's other records of that row are refused with it without another attempt:
/// halving an export whose every record lands on a full row would otherwise take twice as many
/// transactions as it has records, while every other export waits for the writer. (A record of a
/// full row that would still have fitted is refused too; the bound is far above any real day.)
async fn store_around_full_rows(
    storage: &dyn Storage,
    job: &Job,
) -> Result<StoreOutcome, StorageError> {
    // Sorted by the sums' rows, so that the records of a full row are halved apart from the rest.
    let mut keyed: Vec<([String; 3], &UsageRecord)> = job
        .records
        .iter()
        .map(|record| (SUM_ROWS.map(|kind| row_of(kind, record)), record))
        .collect();
    keyed.sort_by(|a, b| a.0[0].cmp(&b.0[0]));
    let (rows, records): (Vec<[String; 3]>, Vec<UsageRecord>) = keyed
        .into_iter()
        .map(|(rows, record)| (rows, record.clone()))
        .unzip();
    let mut outcome = StoreOutcome::default();
    let mut full: HashSet<(SumRow, &str)> = HashSet::new();
    let on_full_row = |full: &HashSet<(SumRow, &str)>, rows: &[String; 3]| {
        SUM_ROWS
            .iter()
            .zip(rows)
            .any(|(kind, row)| full.contains(&(*kind, row.as_str())))
    };
    let refuse = |outcome: &mut StoreOutcome, count: usize| {
        outcome.rejected += count;
        outcome.rejected_reason = Some(SUM_OVERFLOW);
    };
    // The whole failed already: start from its halves (or its one record).
    let mut pending = vec![(0, records.len())];
    let mut known_to_fail = true;
    while let Some((start, end)) = pending.pop() {
        if rows[start..end].iter().all(|r| on_full_row(&full, r)) {
            refuse(&mut outcome, end - start);
            continue;
        }
        let tried = match std::mem::take(&mut known_to_fail) {
            true => Err(StorageError::SumOverflow(SumRow::PersonDay)),
            false => {
                let part = UsageBatch {
                    records: &records[start..end],
                    ..batch(job)
                };
                storage.store_usage(&[part]).await
            }
        };
        match tried {
            Ok(mut done) => {
                let done = done.pop().unwrap_or_default();
                outcome.stored += done.stored;
                outcome.duplicates += done.duplicates;
            }
            Err(StorageError::SumOverflow(_)) if end - start > 1 => {
                let middle = start + (end - start) / 2;
                pending.extend([(middle, end), (start, middle)]);
            }
            Err(StorageError::SumOverflow(kind)) => {
                let index = SUM_ROWS.iter().position(|k| *k == kind).unwrap_or(0);
                full.insert((kind, rows[start][index].as_str()));
                refuse(&mut outcome, 1);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(outcome)
}

/// The row of sums of `kind` that `record` adds to (as far as the writer can tell; the label is
/// left out, so a row of either label counts).
fn row_of(kind: SumRow, record: &UsageRecord) -> String {
    let day = i128::from(record.occurred_at_ns);
    let day =
        reconciler::UtcDay::from_unix_nanos(day).map_or_else(|_| String::new(), |d| d.to_string());
    let (provider, tool, model) = (&record.provider, &record.tool, &record.model);
    let (person, team) = (record.identity.person(), record.identity.team_tag());
    match kind {
        SumRow::PersonDay => format!("{day}|{provider:?}|{tool:?}|{model}|{person}|{team}"),
        SumRow::ModelDay => format!("{day}|{provider:?}|{tool:?}|{model}"),
        SumRow::PersonMonth => {
            let month = day.get(..7).unwrap_or_default();
            format!("{month}|{provider:?}|{tool:?}|{model}|{person}|{team}")
        }
    }
}

fn batch(job: &Job) -> UsageBatch<'_> {
    UsageBatch {
        org_id: job.tenant.org_id,
        telemetry_key_id: job.tenant.key_id,
        records: &job.records,
    }
}

#[async_trait::async_trait]
impl UsageSink for StorageSink {
    async fn authenticate(&self, key: &str) -> Result<Option<Tenant>, ReceiverError> {
        let found = authenticate_telemetry_key(self.storage.as_ref(), key)
            .await
            .map_err(|e| ReceiverError::Storage(e.to_string()))?;
        let Some(key) = found else { return Ok(None) };
        let due = {
            let mut last = self.last_recorded.lock().unwrap_or_else(|p| p.into_inner());
            let due = last
                .get(&key.id)
                .is_none_or(|at| at.elapsed() >= RECORD_USE_EVERY);
            if due {
                last.insert(key.id, Instant::now());
            }
            due
        };
        if due {
            record_telemetry_key_use(self.storage.as_ref(), key.id)
                .await
                .map_err(|e| ReceiverError::Storage(e.to_string()))?;
        }
        Ok(Some(Tenant {
            org_id: key.org_id,
            key_id: key.id,
        }))
    }

    async fn store(
        &self,
        tenant: &Tenant,
        records: Vec<UsageRecord>,
    ) -> Result<StoreOutcome, ReceiverError> {
        let (done, outcome) = oneshot::channel();
        let job = Job {
            tenant: tenant.clone(),
            records,
            done,
        };
        let stopped = || ReceiverError::Storage("reckon is shutting down".into());
        self.writer.send(job).await.map_err(|_| stopped())?;
        outcome
            .await
            .map_err(|_| stopped())?
            .map_err(ReceiverError::Storage)
    }
}
