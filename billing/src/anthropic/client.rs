//! The Anthropic source: which requests a pull makes, in what order, within which limits.

use std::sync::Arc;

use reconciler::{Provider, UtcDay};

use super::check_admin_key;
use super::convert::{
    CLAUDE_CODE, COST_REPORT, MESSAGES_USAGE, claude_code_lines, cost_line, usage_line,
};
use super::wire::{BucketReport, ClaudeCodeReport, CostRow, UsageRow};
use crate::days::{months_before, rfc3339_midnight};
use crate::http::{Auth, HttpClient};
use crate::paging::{Endpoint, Session, read_pages};
use crate::query::Query;
use crate::{BillingError, BillingSource, DayRange, HttpSettings, Pacer, Progress, Pulled, Secret};

/// Daily buckets per request on the cost and messages reports (the documented maximum).
const MAX_DAILY_BUCKETS: u32 = 31;
/// Claude Code analytics records per page (the documented maximum).
const CLAUDE_CODE_PAGE: u32 = 1000;
/// Neither report states a retention limit; a first backfill asks for a year, and days before
/// the organization's data simply come back empty.
const BACKFILL_MONTHS: u32 = 12;

/// Anthropic's request paths are the documented paths (the base URL has no path).
fn endpoint(path: &'static str) -> Endpoint {
    Endpoint { path, name: path }
}

/// Reads an Anthropic organization's bill and usage with an Admin key.
#[derive(Debug)]
pub struct AnthropicSource {
    http: HttpClient,
}

impl AnthropicSource {
    /// Refuses a key that is not an Admin key before any request (see [`check_admin_key`]).
    pub fn new(admin_key: Secret, settings: HttpSettings) -> Result<AnthropicSource, BillingError> {
        check_admin_key(admin_key.expose())
            .map_err(|message| BillingError::Credentials { status: 0, message })?;
        let http = HttpClient::new(
            settings,
            admin_key,
            Auth::Header("x-api-key"),
            &[("anthropic-version", "2023-06-01")],
        )?;
        Ok(AnthropicSource { http })
    }

    /// Paces every request through `pacer` (share one per credential). None by default:
    /// Anthropic documents no hard limit, only "once per minute sustained, bursts are fine".
    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> AnthropicSource {
        self.http.set_pacer(pacer);
        self
    }

    /// Daily buckets from `chunk.from` 00:00 UTC up to (excluding) the day after `chunk.to`.
    fn bucket_query(chunk: DayRange) -> Query {
        let end = chunk.to.next().unwrap_or(chunk.to);
        Query::default()
            .with("starting_at", rfc3339_midnight(chunk.from))
            .with("ending_at", rfc3339_midnight(end))
            .with("bucket_width", "1d")
    }

    async fn read_costs(
        &self,
        chunk: DayRange,
        session: &mut Session<'_>,
    ) -> Result<(), BillingError> {
        let query = Self::bucket_query(chunk)
            .with("group_by[]", "workspace_id")
            .with("group_by[]", "description")
            .with("limit", chunk.len());
        read_pages::<BucketReport<CostRow>>(
            &self.http,
            session,
            endpoint(COST_REPORT),
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
            .with("group_by[]", "workspace_id")
            .with("group_by[]", "api_key_id")
            .with("group_by[]", "service_tier")
            .with("limit", chunk.len());
        read_pages::<BucketReport<UsageRow>>(
            &self.http,
            session,
            endpoint(MESSAGES_USAGE),
            &query,
            chunk,
            usage_line,
        )
        .await
    }

    /// Claude Code analytics serve one UTC day per request.
    async fn read_claude_code(
        &self,
        day: UtcDay,
        session: &mut Session<'_>,
    ) -> Result<(), BillingError> {
        let query = Query::default()
            .with("starting_at", day)
            .with("limit", CLAUDE_CODE_PAGE);
        read_pages::<ClaudeCodeReport>(
            &self.http,
            session,
            endpoint(CLAUDE_CODE),
            &query,
            DayRange::day(day),
            claude_code_lines,
        )
        .await
    }
}

#[async_trait::async_trait]
impl BillingSource for AnthropicSource {
    fn provider(&self) -> Provider {
        Provider::Anthropic
    }

    fn earliest_day(&self, today: UtcDay) -> UtcDay {
        months_before(today, BACKFILL_MONTHS)
    }

    /// Per chunk of at most 31 days: the cost report, the messages usage report, then Claude
    /// Code analytics day by day.
    async fn pull(&self, range: DayRange, progress: &dyn Progress) -> Result<Pulled, BillingError> {
        let mut session = Session::new(progress);
        for chunk in range.chunks(MAX_DAILY_BUCKETS) {
            self.read_costs(chunk, &mut session).await?;
            self.read_usage(chunk, &mut session).await?;
            for day in chunk.days() {
                self.read_claude_code(day, &mut session).await?;
            }
        }
        Ok(Pulled {
            requests: session.requests,
            lines: session.lines.into_vec(),
        })
    }
}
