//! What the pages show, as the server hands it over: view models with money already formatted
//! as exact decimal strings, and the trait through which pages ask for them (no SQL here).

/// Who is looking, and what they may do: fills the header and decides which controls show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    pub organization: String,
    pub email: String,
    pub role: String,
    pub can_write_off: bool,
    pub can_export: bool,
    pub can_manage_providers: bool,
    pub can_manage_keys: bool,
    pub can_manage_users: bool,
    pub can_read_audit: bool,
    /// Set while the organisation holds Demo provider data.
    pub demo_notice: Option<String>,
}

/// A message shown after an action (a toast, without scripts: part of the page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Success(String),
    Error(String),
}

/// One (day, model) cell of a reconciliation row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayCell {
    pub day: String,
    pub model: String,
    pub billed_usd: Option<String>,
    pub observed_usd: String,
    pub unpriced_tokens: u64,
}

/// One (month, provider) of the reconciliation, as finance reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconciliationRow {
    pub provider: String,
    pub billed_usd: Option<String>,
    pub observed_reported_usd: String,
    pub observed_estimated_usd: String,
    pub unpriced_tokens: u64,
    pub variance_usd: Option<String>,
    pub variance_pct: Option<String>,
    pub variance_note: Option<String>,
    pub status: String,
    pub reasons: Vec<String>,
    pub written_off_usd: Option<String>,
    pub changed_after_write_off: bool,
    pub days: Vec<DayCell>,
}

/// A usage provider as Settings → AI → Usage Providers lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    /// `active`, `syncing`, `error` or `removed`.
    pub status: String,
    pub status_message: Option<String>,
    pub last_sync: Option<String>,
    pub complete_through: Option<String>,
    pub next_sync: Option<String>,
    pub demo: bool,
    /// The run going on now, while the provider is syncing.
    pub running: Option<RunningSync>,
}

/// How far a running sync (a backfill, say) has come.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunningSync {
    /// `sync`, `backfill` or `test`.
    pub kind: String,
    /// The UTC days the run reads.
    pub from: String,
    pub to: String,
    /// The last UTC day read so far, once the first page came back.
    pub through: Option<String>,
    pub requests: i64,
    pub lines: i64,
    /// When it started, with its zone (`2026-11-22 11:20 UTC`).
    pub started: String,
}

/// A field a provider's credentials need, with help on where to get it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialField {
    pub name: String,
    pub label: String,
    pub help: String,
    pub secret: bool,
}

/// A kind of provider the Add Provider form offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderKindOption {
    pub kind: String,
    pub label: String,
    pub fields: Vec<CredentialField>,
}

/// What the Add Provider form keeps after a failed save (never a secret).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddProviderForm {
    pub kind: String,
    pub name: String,
    /// Non-secret fields as typed.
    pub fields: Vec<(String, String)>,
}

/// Where pages get their data; the server implements it over its storage and services.
pub trait WebData {
    /// The reconciliation of `month` (YYYY-MM), one row per provider.
    fn reconciliation(
        &self,
        month: &str,
    ) -> impl Future<Output = Result<Vec<ReconciliationRow>, String>> + Send;

    /// The organisation's usage providers.
    fn providers(&self) -> impl Future<Output = Result<Vec<ProviderRow>, String>> + Send;
}
