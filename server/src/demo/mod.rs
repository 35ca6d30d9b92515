//! The Demo provider: a synthetic organisation's bills and telemetry, seeded through reckon's
//! real paths (the OTLP receiver, the billing pullers, the write-off), labelled wherever it
//! shows, and purged on request. Not for production: it fills the reconciliation queue.

mod seed;
mod serve;
mod source;

use reconciler::reconcile::Coverage;
use reconciler::{Provider, UtcDay};

pub use seed::{generated_on, purge, seed};
pub use serve::{DEMO_ORG_SLUG, DEMO_OWNER_EMAIL, DemoLogin, prepare};
pub use source::{DEMO_SEED, DemoSource};

/// What every answer and page carrying demo data says.
pub const DEMO_NOTICE: &str = "This organisation holds synthetic data from the Demo provider: \
    its figures are not real spend. Remove the Demo provider (with purge) before real use.";

/// The providers the demo bills, each a bill source from the demo's first day: Cursor until
/// the demo removed it mid-month, the others until the Demo integration is removed; and
/// Google, whose Gemini CLI spend has no bill source.
pub fn coverage(generated_on: UtcDay, from: UtcDay, removed: Option<UtcDay>) -> Vec<Coverage> {
    let scenario = demo_provider::Scenario::new(generated_on);
    [
        Provider::Anthropic,
        Provider::OpenAi,
        Provider::Cursor,
        Provider::GithubCopilot,
    ]
    .into_iter()
    .map(|provider| {
        let gone = (provider == Provider::Cursor).then_some(scenario.cursor_removed_on);
        Coverage {
            removed: match (removed, gone) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            provider,
            bill_source: true,
            from: from.min(scenario.first_day),
            // The demo's providers serve the last two days only in part: late data.
            final_through: Some(scenario.final_through),
        }
    })
    .chain(std::iter::once(Coverage {
        // Gemini CLI's spend has no bill to pull: telemetry only.
        provider: Provider::Google,
        bill_source: false,
        from: from.min(scenario.first_day),
        removed,
        final_through: None,
    }))
    .collect()
}
