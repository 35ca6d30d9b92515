//! Usage providers as the admin manages them: connect (test first, save only on success),
//! test, sync, remove; the runs they leave; the vault that keeps their credentials.

pub mod kinds;
mod progress;
pub mod proxy;
mod sources;

use std::sync::Arc;

use billing::{DayRange, NoProgress, Pulled, UtcDay};

use crate::Error;
use crate::accounts::Acting;
use crate::config::ProviderSettings;
use crate::storage::{Integration, NewIntegration, RunEnd, Storage, StorageError, SyncRun, now_ms};
use crate::vault::{Binding, Vault};
pub use kinds::{CredentialFields, ProviderKind, check_credentials};
use progress::RunProgress;
pub use sources::bill_source;

/// The usage-provider operations of a server (or of one CLI command).
#[derive(Clone, Debug)]
pub struct Integrations {
    storage: Arc<dyn Storage>,
    vault: Vault,
    settings: ProviderSettings,
    /// Where the Demo provider's telemetry is stored: the process's one usage writer.
    usage_sink: Arc<crate::telemetry::StorageSink>,
}

/// Today as a UTC day.
pub fn today() -> UtcDay {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    #[allow(
        clippy::expect_used,
        reason = "any clock reading is a day UtcDay can hold"
    )]
    UtcDay::from_unix_nanos(now).expect("the clock reads a representable day")
}

/// The day `days` before `day` (or the earliest representable day).
fn day_before(day: UtcDay, days: u32) -> UtcDay {
    (0..days).fold(day, |day, _| day.previous().unwrap_or(day))
}

/// How long a run holds its integration at most; a process that dies mid-run lets go after it.
const RUN_LEASE_MS: i64 = 6 * 60 * 60 * 1000;

/// Test = the last 24 hours: yesterday and today (UTC).
fn test_range(today: UtcDay) -> DayRange {
    DayRange {
        from: day_before(today, 1),
        to: today,
    }
}

impl Integrations {
    pub(crate) fn new(
        storage: Arc<dyn Storage>,
        vault: Vault,
        settings: ProviderSettings,
        usage_sink: Arc<crate::telemetry::StorageSink>,
    ) -> Integrations {
        Integrations {
            storage,
            vault,
            settings,
            usage_sink,
        }
    }

    pub async fn list(&self, org_id: i64) -> Result<Vec<Integration>, Error> {
        Ok(self.storage.integrations(org_id).await?)
    }

    pub async fn get(&self, org_id: i64, id: i64) -> Result<Integration, Error> {
        self.storage
            .integration(org_id, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no usage provider {id}")))
    }

    /// Connects a provider: checks the credentials, runs the 24-hour test against the provider,
    /// and saves the integration (credentials sealed) only if the test succeeds.
    pub async fn create(
        &self,
        acting: &Acting,
        org_id: i64,
        kind: &str,
        name: &str,
        fields: CredentialFields,
    ) -> Result<Integration, Error> {
        let kind = ProviderKind::parse(kind)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::Invalid(
                "name the provider (1 to 100 characters), e.g. \"Anthropic production\"".into(),
            ));
        }
        let checked = check_credentials(kind, fields)?;
        let demo = (kind == ProviderKind::Demo).then(|| crate::demo::DemoSource::new(today()));
        let source: Option<Box<dyn billing::BillingSource>> = match &demo {
            Some(demo) => Some(Box::new(demo.clone())),
            None => bill_source(kind, &checked.fields, &self.settings)?,
        };
        // The demo is whole at once: its first run reads its whole history.
        let range = match &demo {
            Some(demo) => DayRange {
                from: demo.demo().first_day(),
                to: today(),
            },
            None => test_range(today()),
        };
        let pulled = match &source {
            Some(source) => source
                .pull(range, &NoProgress)
                .await
                .map_err(|e| Error::ProviderTestFailed(e.to_string()))?,
            None => Pulled::default(),
        };
        let plaintext = serde_json::to_vec(&checked.fields)
            .map_err(|e| Error::Invalid(format!("credentials: {e}")))?;
        let vault = self.vault.clone();
        let seal = move |integration_id| {
            vault
                .seal(
                    &plaintext,
                    Binding {
                        org_id,
                        integration_id,
                    },
                )
                .map_err(|e| StorageError::Conflict(e.to_string()))
        };
        let new = NewIntegration {
            org_id,
            kind: kind.as_str().to_owned(),
            name: name.to_owned(),
            account: checked.account,
            credential_hint: checked.hint,
            created_by_user_id: acting.user_id,
            // The first scheduled sync (the backfill) is due at once; the demo's first run has
            // read its whole history, so its next sync waits the usual interval.
            next_sync_at_ms: source.is_some().then(|| match demo {
                Some(_) => now_ms().saturating_add(
                    i64::try_from(self.settings.sync_interval.as_millis()).unwrap_or(i64::MAX),
                ),
                None => now_ms(),
            }),
        };
        let audit = acting.entry(
            org_id,
            "integration.create",
            String::new(),
            serde_json::json!({ "kind": kind.as_str(), "name": name }),
        );
        let (from, to) = (range.from.to_string(), range.to.to_string());
        let test = RunEnd {
            requests: i64::from(pulled.requests),
            result: Ok(&pulled.lines),
            complete_through: None,
            next_sync_at_ms: None,
        };
        let created = self
            .storage
            .create_integration(&new, &seal, (&from, &to, test), &audit)
            .await?;
        let Some(demo) = demo else {
            return Ok(created);
        };
        // Then its telemetry and write-off.
        crate::demo::seed(
            &self.storage,
            self.usage_sink.clone(),
            acting,
            &created,
            demo.demo(),
        )
        .await?;
        self.get(org_id, created.id).await
    }

    /// Test: a sync of the last 24 hours; the run says how it went.
    pub async fn test(&self, org_id: i64, id: i64) -> Result<SyncRun, Error> {
        let integration = self.get(org_id, id).await?;
        let source = self.source_of(&integration).await?;
        self.run(&integration, source, "test", test_range(today()))
            .await
    }

    /// Sync now: the first sync backfills as far as the provider serves; later ones re-read
    /// the trailing window before the last complete day.
    pub async fn sync(&self, org_id: i64, id: i64) -> Result<SyncRun, Error> {
        let integration = self.get(org_id, id).await?;
        let source = self.source_of(&integration).await?;
        let (kind, range) = self.sync_range(&integration, source.as_deref());
        self.run(&integration, source, kind, range).await
    }

    /// Runs every scheduled sync that is due, each in this process only if it claims it first.
    pub async fn run_due(&self) -> Result<usize, Error> {
        let due = self
            .storage
            .claim_due_integrations(now_ms().saturating_add(RUN_LEASE_MS))
            .await?;
        for (org_id, id) in &due {
            let outcome = async {
                let integration = self.get(*org_id, *id).await?;
                let source = self.source_of(&integration).await?;
                let (kind_of_run, range) = self.sync_range(&integration, source.as_deref());
                self.run_claimed(&integration, source, kind_of_run, range)
                    .await
            }
            .await;
            match outcome {
                Ok(run) => tracing::info!(
                    integration = id,
                    outcome = %run.outcome,
                    lines = run.lines,
                    message = run.message.as_deref().unwrap_or(""),
                    "scheduled sync ended"
                ),
                Err(error) => {
                    tracing::warn!(integration = id, %error, "scheduled sync could not run")
                }
            }
        }
        Ok(due.len())
    }

    /// What the next sync of an integration reads: a backfill from as far as the provider
    /// serves, or the trailing window before the last complete day.
    fn sync_range(
        &self,
        integration: &Integration,
        source: Option<&dyn billing::BillingSource>,
    ) -> (&'static str, DayRange) {
        let today = today();
        let (kind, from) = match integration
            .complete_through
            .as_deref()
            .and_then(|day| day.parse::<UtcDay>().ok())
        {
            Some(done) => (
                "sync",
                // The trailing window ends with the last complete day.
                day_before(done, self.settings.sync_trailing_days.saturating_sub(1)).min(today),
            ),
            None => (
                "backfill",
                source.map_or(today, |source| source.earliest_day(today)),
            ),
        };
        (kind, DayRange { from, to: today })
    }

    /// Removes a provider: its credentials are destroyed and its history kept — or, for the
    /// Demo provider when `purge` is asked, every row it made is deleted.
    pub async fn remove(
        &self,
        acting: &Acting,
        org_id: i64,
        id: i64,
        purge: bool,
    ) -> Result<Integration, Error> {
        if purge {
            let integration = self.get(org_id, id).await?;
            if integration.kind != ProviderKind::Demo.as_str() {
                return Err(Error::Invalid(
                    "only the Demo provider's data can be purged: a real provider's bills are \
                     history, kept after removal"
                        .into(),
                ));
            }
            crate::demo::purge(self.storage.as_ref(), acting, &integration).await?;
            // Gone with its data: answered as it was just before.
            return Ok(integration);
        }
        let audit = acting.entry(
            org_id,
            "integration.remove",
            format!("integration:{id}"),
            serde_json::json!({}),
        );
        self.storage
            .remove_integration(org_id, id, &audit)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no usage provider {id}")))
    }

    pub async fn runs(&self, org_id: i64, id: i64) -> Result<Vec<SyncRun>, Error> {
        self.get(org_id, id).await?;
        Ok(self.storage.runs(org_id, id).await?)
    }

    /// The integration's bill source, its credentials opened from the vault.
    async fn source_of(
        &self,
        integration: &Integration,
    ) -> Result<Option<Box<dyn billing::BillingSource>>, Error> {
        let kind = ProviderKind::parse(&integration.kind)?;
        if kind == ProviderKind::Demo {
            if integration.status == "removed" {
                return Err(Error::Invalid(format!(
                    "usage provider {} has been removed; add the Demo provider again for new demo data",
                    integration.id
                )));
            }
            let generated_on = crate::demo::generated_on(integration)?;
            return Ok(Some(Box::new(crate::demo::DemoSource::new(generated_on))));
        }
        if kind.credential_fields().is_empty() {
            return bill_source(kind, &CredentialFields::default(), &self.settings);
        }
        let sealed = self
            .storage
            .integration_credentials(integration.org_id, integration.id)
            .await?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "usage provider {} has been removed; connect it again to pull its bills",
                    integration.id
                ))
            })?;
        let binding = Binding {
            org_id: integration.org_id,
            integration_id: integration.id,
        };
        let opened = self.vault.open(&sealed, binding)?;
        let fields: CredentialFields = serde_json::from_slice(&opened)
            .map_err(|e| Error::Invalid(format!("stored credentials: {e}")))?;
        bill_source(kind, &fields, &self.settings)
    }

    async fn run(
        &self,
        integration: &Integration,
        source: Option<Box<dyn billing::BillingSource>>,
        kind_of_run: &str,
        range: DayRange,
    ) -> Result<SyncRun, Error> {
        let (org_id, id) = (integration.org_id, integration.id);
        let claimed = self
            .storage
            .claim_integration(org_id, id, now_ms().saturating_add(RUN_LEASE_MS))
            .await?;
        if !claimed {
            return Err(Error::Storage(StorageError::Conflict(format!(
                "usage provider {id} is being synced already; wait for that run to end"
            ))));
        }
        self.run_claimed(integration, source, kind_of_run, range)
            .await
    }

    /// Runs a sync whose integration this process has claimed (by `run` or the scheduler).
    async fn run_claimed(
        &self,
        integration: &Integration,
        source: Option<Box<dyn billing::BillingSource>>,
        kind_of_run: &str,
        range: DayRange,
    ) -> Result<SyncRun, Error> {
        let (org_id, id) = (integration.org_id, integration.id);
        let run_id = self
            .storage
            .start_run(
                org_id,
                id,
                kind_of_run,
                (&range.from.to_string(), &range.to.to_string()),
            )
            .await?;
        let progress = RunProgress::start(self.storage.clone(), run_id);
        let pulled = match &source {
            Some(source) => source.pull(range, &progress).await,
            None => Ok(Pulled::default()),
        };
        progress.stop().await;
        let next_sync_at_ms = source.is_some().then(|| {
            now_ms().saturating_add(
                i64::try_from(self.settings.sync_interval.as_millis()).unwrap_or(i64::MAX),
            )
        });
        // Today is provisional: a run reaching today completes the days before it.
        let complete_through =
            (range.to >= day_before(today(), 1)).then(|| day_before(today(), 1).to_string());
        let end = match &pulled {
            Ok(pulled) => RunEnd {
                requests: i64::from(pulled.requests),
                result: Ok(&pulled.lines),
                complete_through: if kind_of_run == "test" {
                    None
                } else {
                    complete_through
                },
                next_sync_at_ms,
            },
            Err(error) => RunEnd {
                requests: 0,
                result: Err(error.to_string()),
                complete_through: None,
                next_sync_at_ms,
            },
        };
        self.storage.finish_run(org_id, id, run_id, end).await?;
        let runs = self.storage.runs(org_id, id).await?;
        runs.into_iter()
            .find(|run| run.id == run_id)
            .ok_or_else(|| Error::NotFound(format!("sync run {run_id}")))
    }
}
