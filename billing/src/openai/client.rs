//! The OpenAI source: which requests a pull makes, in what order, within which limits.

use std::sync::Arc;

use reconciler::{Provider, UtcDay};

use super::check_admin_key;
use super::convert::{COMPLETIONS_USAGE, COSTS, cost_line, usage_line};
use super::wire::{CompletionsRow, CostRow, UsagePage};
use crate::days::{months_before, unix_seconds};
use crate::http::{Auth, HttpClient};
use crate::paging::{Endpoint, Session, read_pages};
use crate::query::Query;
use crate::{BillingError, BillingSource, DayRange, HttpSettings, Pacer, Progress, Pulled, Secret};

/// Daily buckets per costs request (the documented maximum).
const MAX_COST_BUCKETS: u32 = 180;
/// Daily buckets per usage request (the documented maximum for `bucket_width=1d`).
const MAX_USAGE_BUCKETS: u32 = 31;
/// No retention limit is documented; a first backfill asks for a year, and days before the
/// organization's data come back as empty buckets.
const BACKFILL_MONTHS: u32 = 12;

/// Request paths are under the base URL, which ends in `/v1`.
const COSTS_ENDPOINT: Endpoint = Endpoint {
    path: "/organization/costs",
    name: COSTS,
};
const COMPLETIONS_ENDPOINT: Endpoint = Endpoint {
    path: "/organization/usage/completions",
    name: COMPLETIONS_USAGE,
};

/// Reads an OpenAI organization's costs and usage with an Admin key.
#[derive(Debug)]
pub struct OpenAiSource {
    http: HttpClient,
}

impl OpenAiSource {
    /// Refuses a key that is not an Admin key before any request (see [`check_admin_key`]).
    pub fn new(admin_key: Secret, settings: HttpSettings) -> Result<OpenAiSource, BillingError> {
        check_admin_key(admin_key.expose())
            .map_err(|message| BillingError::Credentials { status: 0, message })?;
        let http = HttpClient::new(settings, admin_key, Auth::Bearer, &[])?;
        Ok(OpenAiSource { http })
    }

    /// Paces every request through `pacer` (share one per credential). None by default: OpenAI
    /// documents no admin-endpoint limit; 429s are retried with `Retry-After`.
    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> OpenAiSource {
        self.http.set_pacer(pacer);
        self
    }

    /// Whole UTC days: `start_time` at the first day's midnight (a later start would make the
    /// first bucket partial), `end_time` (exclusive) at the midnight after the last day.
    fn bucket_query(chunk: DayRange) -> Query {
        let end = chunk.to.next().unwrap_or(chunk.to);
        Query::default()
            .with("start_time", unix_seconds(chunk.from))
            .with("end_time", unix_seconds(end))
            .with("bucket_width", "1d")
    }

    async fn read_costs(
        &self,
        chunk: DayRange,
        session: &mut Session<'_>,
    ) -> Result<(), BillingError> {
        let query = Self::bucket_query(chunk)
            .with("group_by[]", "project_id")
            .with("group_by[]", "line_item")
            .with("limit", chunk.len());
        read_pages::<UsagePage<CostRow>>(
            &self.http,
            session,
            COSTS_ENDPOINT,
            &query,
            chunk,
            cost_line,
        )
        .await
    }

    async fn read_usage(
        &self,
        chunk: DayRange,
        session: &mut Session<'_>,
    ) -> Result<(), BillingError> {
        let query = Self::bucket_query(chunk)
            .with("group_by[]", "model")
            .with("group_by[]", "project_id")
            .with("group_by[]", "api_key_id")
            .with("group_by[]", "batch")
            .with("group_by[]", "service_tier")
            .with("limit", chunk.len());
        read_pages::<UsagePage<CompletionsRow>>(
            &self.http,
            session,
            COMPLETIONS_ENDPOINT,
            &query,
            chunk,
            usage_line,
        )
        .await
    }
}

#[async_trait::async_trait]
impl BillingSource for OpenAiSource {
    fn provider(&self) -> Provider {
        Provider::OpenAi
    }

    fn earliest_day(&self, today: UtcDay) -> UtcDay {
        months_before(today, BACKFILL_MONTHS)
    }

    /// Costs in chunks of at most 180 days, then completions usage in chunks of 31.
    async fn pull(&self, range: DayRange, progress: &dyn Progress) -> Result<Pulled, BillingError> {
        let mut session = Session::new(progress);
        for chunk in range.chunks(MAX_COST_BUCKETS) {
            self.read_costs(chunk, &mut session).await?;
        }
        for chunk in range.chunks(MAX_USAGE_BUCKETS) {
            self.read_usage(chunk, &mut session).await?;
        }
        Ok(Pulled {
            requests: session.requests,
            lines: session.lines.into_vec(),
        })
    }
}
