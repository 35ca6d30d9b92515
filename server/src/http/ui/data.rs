//! The server's side of the web UI: the viewer of a request and the page data ([`WebData`]),
//! read through the same services as the REST API.

use reconciler::Month;
use reconciler::reconcile::Row;
use web::{
    CredentialField, DayCell, ProviderKindOption, ProviderRow, ReconciliationRow, RunningSync,
    Viewer, WebData,
};

use crate::Error;
use crate::auth::{Actor, Permission};
use crate::http::AppState;
use crate::integrations::ProviderKind;
use crate::storage::{Integration, SyncRun};

/// The page data of one signed-in request.
pub(crate) struct PageData<'a> {
    pub state: &'a AppState,
    pub actor: &'a Actor,
}

pub(crate) async fn viewer(state: &AppState, actor: &Actor) -> Result<Viewer, Error> {
    let organization = state
        .storage
        .organization(actor.org_id)
        .await?
        .map_or_else(String::new, |org| org.name);
    let demo = state.storage.has_demo_data(actor.org_id).await?;
    Ok(Viewer {
        organization,
        email: actor.email.clone(),
        role: actor.role.as_str().to_owned(),
        can_write_off: actor.can(Permission::SpendWriteOff),
        can_export: actor.can(Permission::SpendExport),
        can_manage_providers: actor.can(Permission::SettingsIntegrationsUpdate),
        can_manage_keys: actor.can(Permission::TelemetryKeysManage),
        can_manage_users: actor.can(Permission::UsersManage),
        can_read_audit: actor.can(Permission::AuditRead),
        demo_notice: demo.then(|| crate::demo::DEMO_NOTICE.to_owned()),
    })
}

fn money(usd: Option<reconciler::Usd>) -> Option<String> {
    usd.map(|u| u.to_string())
}

fn row_view(row: Row) -> ReconciliationRow {
    ReconciliationRow {
        provider: row.provider.to_string(),
        billed_usd: money(row.billed),
        observed_reported_usd: row.observed_reported.to_string(),
        observed_estimated_usd: row.observed_estimated.to_string(),
        unpriced_tokens: row.unpriced_tokens,
        variance_usd: money(row.variance),
        variance_pct: row.variance_pct.map(|p| p.to_string()),
        variance_note: row.variance_note.map(str::to_owned),
        status: row.status.as_str().to_owned(),
        reasons: row.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
        written_off_usd: money(row.written_off),
        changed_after_write_off: row.changed_after_write_off,
        days: row
            .days
            .into_iter()
            .map(|(day, model, cell)| DayCell {
                day: day.to_string(),
                model,
                billed_usd: money(cell.billed),
                observed_usd: cell
                    .observed_reported
                    .checked_add(cell.observed_estimated)
                    .unwrap_or(cell.observed_reported)
                    .to_string(),
                unpriced_tokens: cell.unpriced_tokens,
            })
            .collect(),
    }
}

/// A time in Unix milliseconds as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn utc(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

pub(crate) fn provider_row(integration: &Integration) -> ProviderRow {
    ProviderRow {
        id: integration.id,
        kind: integration.kind.clone(),
        name: integration.name.clone(),
        status: integration.status.clone(),
        status_message: integration.status_message.clone(),
        last_sync: integration.last_success_at_ms.map(utc),
        complete_through: integration.complete_through.clone(),
        next_sync: integration.next_sync_at_ms.map(utc),
        demo: integration.kind == ProviderKind::Demo.as_str(),
        running: None,
    }
}

fn running_sync(run: &SyncRun) -> RunningSync {
    RunningSync {
        kind: run.kind.clone(),
        from: run.range_from.clone(),
        to: run.range_to.clone(),
        through: run.progress_through.clone(),
        requests: run.requests,
        lines: run.lines,
        started: utc(run.started_at_ms),
    }
}

impl WebData for PageData<'_> {
    async fn reconciliation(&self, month: &str) -> Result<Vec<ReconciliationRow>, String> {
        let month = Month::parse(month).map_err(|e| e.to_string())?;
        let rows = crate::spend::reconciliation(
            self.state.storage.as_ref(),
            &self.state.catalogue,
            self.actor.org_id,
            &[month],
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok(rows.into_iter().map(row_view).collect())
    }

    async fn providers(&self) -> Result<Vec<ProviderRow>, String> {
        let list = self
            .state
            .integrations
            .list(self.actor.org_id)
            .await
            .map_err(|e| e.to_string())?;
        let running = self
            .state
            .storage
            .running_runs(self.actor.org_id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(list
            .iter()
            .map(|integration| {
                let mut row = provider_row(integration);
                // The newest unfinished run: one whose process died stays unfinished, but its
                // integration is not syncing any more and the page shows no progress for it.
                row.running = running
                    .iter()
                    .find(|run| run.integration_id == integration.id)
                    .map(running_sync);
                row
            })
            .collect())
    }
}

/// The kinds the Add Provider form offers, with where to get each credential.
pub(crate) fn provider_kinds() -> Vec<ProviderKindOption> {
    let field = |name: &str, label: &str, help: &str, secret: bool| CredentialField {
        name: name.into(),
        label: label.into(),
        help: help.into(),
        secret,
    };
    ProviderKind::ALL
        .into_iter()
        .map(|kind| {
            let (label, fields) = match kind {
                ProviderKind::Anthropic => ("Anthropic", vec![field(
                    "admin_api_key",
                    "Admin API key",
                    "An Admin key, starting with sk-ant-admin (Claude Console → Settings → Admin keys). A regular sk-ant-api key cannot read billing.",
                    true,
                )]),
                ProviderKind::OpenAi => ("OpenAI", vec![field(
                    "admin_api_key",
                    "Admin API key",
                    "An organization Admin key, starting with sk-admin- (platform.openai.com → Settings → Admin keys).",
                    true,
                )]),
                ProviderKind::Cursor => ("Cursor", vec![field(
                    "api_key",
                    "Admin API key",
                    "An Enterprise team Admin API key (cursor.com → Dashboard → Settings → Admin API keys).",
                    true,
                )]),
                ProviderKind::GithubCopilot => ("GitHub Copilot", vec![
                    field(
                        "token",
                        "Token",
                        "A token with the manage_billing:copilot and read:org scopes, of an organization owner or billing manager.",
                        true,
                    ),
                    field("organization", "Organization", "The GitHub organization's login, e.g. acme-corp.", false),
                ]),
                ProviderKind::Gemini => ("Gemini (telemetry only)", vec![]),
                ProviderKind::Windsurf => ("Windsurf (telemetry only)", vec![]),
                ProviderKind::Demo => ("Demo (synthetic data, not for production)", vec![]),
            };
            ProviderKindOption {
                kind: kind.as_str().into(),
                label: label.into(),
                fields,
            }
        })
        .collect()
}
