//! The reconciliation engine's inputs and report: billed lines and observed usage in, one row
//! per (month, provider) out, with its per-(day, model) cells, variance, status and reasons.
//! Pure: no IO, no clock (what is final comes in with the coverage).

mod cells;
mod engine;
mod people;

use rust_decimal::Decimal;

use crate::{Month, Provider, Tier, TokenCounts, Usd, UtcDay};

pub use engine::reconcile;
pub use people::{PersonRow, people};

/// A line of a provider's bill or usage report (estimates excluded by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BilledLine {
    pub day: UtcDay,
    pub provider: Provider,
    pub model: String,
    pub tier: Tier,
    pub tokens: TokenCounts,
    /// Billed dollars; `None` for usage lines (tokens without an amount).
    pub amount: Option<Usd>,
}

/// Observed usage (a rollup row): tokens, and the tool's own cost where it reported one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedLine {
    pub day: UtcDay,
    pub provider: Provider,
    pub model: String,
    pub tokens: TokenCounts,
    /// `Some`: label `reported`; `None`: priced from the catalogue (`estimated`) or `unpriced`.
    pub reported: Option<Usd>,
}

/// What bill source covers a provider, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub provider: Provider,
    /// `false` for configuration-free providers (their spend comes from telemetry only).
    pub bill_source: bool,
    /// The first day the source covers.
    pub from: UtcDay,
    /// The day the source was removed: it covers no day from then on.
    pub removed: Option<UtcDay>,
    /// The last day whose bill is final; later days are provisional.
    pub final_through: Option<UtcDay>,
}

impl Coverage {
    fn covers(&self, day: UtcDay) -> bool {
        self.from <= day && self.removed.is_none_or(|removed| day < removed)
    }
}

/// A residual already written off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOff {
    pub provider: Provider,
    pub month: Month,
    /// The variance written off.
    pub variance: Usd,
}

/// How far billed and observed may differ and still match: the larger of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tolerance {
    pub absolute: Usd,
    /// Percent of the billed amount.
    pub percent: Decimal,
}

impl Default for Tolerance {
    /// 1 % or 1 USD, whichever is larger.
    fn default() -> Tolerance {
        Tolerance {
            absolute: Usd::from_nanos(1_000_000_000),
            percent: Decimal::ONE,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Matched,
    /// Billed more than observed, beyond tolerance.
    Over,
    /// Billed less than observed, beyond tolerance.
    Under,
    NoBill,
    NoTelemetry,
    WrittenOff,
    /// Beyond tolerance, but days of the month are not final yet.
    Provisional,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Matched => "matched",
            Status::Over => "over",
            Status::Under => "under",
            Status::NoBill => "no_bill",
            Status::NoTelemetry => "no_telemetry",
            Status::WrittenOff => "written_off",
            Status::Provisional => "provisional",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Billed tokens no telemetry reports.
    UntrackedUsage,
    /// Telemetry of days or models with no bill.
    TelemetryWithoutBill,
    /// The same tokens billed at another amount than the catalogue's.
    PriceDifference,
    /// Observed tokens of a model with no price: their dollars are unknown.
    UnpricedModel,
    /// Priority-tier usage: billed outside the cost report.
    PriorityTier,
    /// Days of the month whose bill is not final.
    NotYetFinal,
    /// Days after the bill source was removed: observed spend with nothing to match.
    ProviderRemoved,
    /// A configuration-free provider: no bill to reconcile against.
    NoBillSource,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UntrackedUsage => "untracked_usage",
            Reason::TelemetryWithoutBill => "telemetry_without_bill",
            Reason::PriceDifference => "price_difference",
            Reason::UnpricedModel => "unpriced_model",
            Reason::PriorityTier => "priority_tier",
            Reason::NotYetFinal => "not_yet_final",
            Reason::ProviderRemoved => "provider_removed",
            Reason::NoBillSource => "no_bill_source",
        }
    }
}

/// Both sides of one (day, model).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    pub billed: Option<Usd>,
    pub billed_tokens: TokenCounts,
    /// Priority-tier tokens among `billed_tokens` (their dollars are not in the bill).
    pub priority_tokens: u64,
    pub observed_tokens: TokenCounts,
    pub observed_reported: Usd,
    pub observed_estimated: Usd,
    /// Tokens whose dollars are unknown (no catalogue price).
    pub unpriced_tokens: u64,
}

/// One (month, provider) of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub month: Month,
    pub provider: Provider,
    /// `None`: no bill source covers the month.
    pub billed: Option<Usd>,
    pub observed_reported: Usd,
    pub observed_estimated: Usd,
    pub unpriced_tokens: u64,
    /// Billed − observed; `None` with `variance_note` when it cannot be stated.
    pub variance: Option<Usd>,
    /// Variance as a percentage of billed.
    pub variance_pct: Option<Decimal>,
    pub variance_note: Option<&'static str>,
    /// Of the variance: tokens differ (billed tokens − observed tokens, at catalogue prices).
    pub quantity_variance: Option<Usd>,
    /// Of the variance: same tokens, another amount (billed − billed tokens at catalogue prices).
    pub price_variance: Option<Usd>,
    pub status: Status,
    pub reasons: Vec<Reason>,
    /// The variance written off, if the month was.
    pub written_off: Option<Usd>,
    /// Written off, and the variance has changed since.
    pub changed_after_write_off: bool,
    /// The cells, by day then model.
    pub days: Vec<(UtcDay, String, Cell)>,
}

/// Everything the engine reads.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    pub billed: &'a [BilledLine],
    pub observed: &'a [ObservedLine],
    pub catalogue: &'a crate::Catalogue,
    pub coverage: &'a [Coverage],
    pub write_offs: &'a [WriteOff],
    pub tolerance: Tolerance,
    /// The months to report (every provider seen in them, or covered).
    pub months: &'a [Month],
}
