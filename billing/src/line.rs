//! One line of a provider's bill or usage report in reckon's units, and the key it is stored by.

use std::fmt;
use std::str::FromStr;

use reconciler::{Provider, TokenCounts, Usd, UtcDay};

/// What a billing line is for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CostType {
    /// Model tokens (input, cache, output).
    Tokens,
    /// Web search tool calls.
    WebSearch,
    /// Code execution / code interpreter containers.
    CodeExecution,
    /// A per-seat licence fee.
    Seat,
    /// A flat subscription fee.
    Subscription,
    /// Prepaid or included credits.
    Credits,
    /// Anything else the provider bills (e.g. Anthropic `session_usage`), kept, never dropped.
    Other,
}

impl CostType {
    pub const ALL: [CostType; 7] = [
        CostType::Tokens,
        CostType::WebSearch,
        CostType::CodeExecution,
        CostType::Seat,
        CostType::Subscription,
        CostType::Credits,
        CostType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CostType::Tokens => "tokens",
            CostType::WebSearch => "web_search",
            CostType::CodeExecution => "code_execution",
            CostType::Seat => "seat",
            CostType::Subscription => "subscription",
            CostType::Credits => "credits",
            CostType::Other => "other",
        }
    }
}

impl fmt::Display for CostType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CostType {
    type Err = reconciler::Error;

    fn from_str(text: &str) -> Result<CostType, reconciler::Error> {
        CostType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| reconciler::Error::UnknownName {
                what: "cost type",
                input: text.chars().take(64).collect(),
                expected: CostType::ALL.map(CostType::as_str).join(", "),
            })
    }
}

/// One line of a provider's bill or usage report, in reckon's units.
///
/// Strings are `""` when the provider gives no value. Null group-by values are interpreted
/// relative to the grouping reckon requested, which always includes the dimension it fills:
///
/// - `workspace`: Anthropic `workspace_id`; `""` is the organization's **default workspace**,
///   which has no id (reckon always groups by workspace, so null cannot mean "not grouped").
///   OpenAI `project_id`; `""` is usage/cost not attributed to a project.
/// - `api_key`: Anthropic `api_key_id`; `""` on a usage line is Console/Workbench usage made
///   without a key. OpenAI `api_key_id`; `""` when the provider names none.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BillingLine {
    /// UTC day of the provider's bucket.
    pub day: UtcDay,
    pub provider: Provider,
    /// Model id normalised through [`crate::models`]; `""` when the line names none.
    pub model: String,
    pub workspace: String,
    pub api_key: String,
    /// E-mail address or user id where the provider gives one.
    pub person: String,
    pub service_tier: String,
    /// The provider's own description (Anthropic cost `description`, OpenAI `line_item`).
    pub description: String,
    pub cost_type: CostType,
    /// Token counts; zero when the line carries none (cost lines).
    pub tokens: TokenCounts,
    /// Billed dollars, exact; `None` for usage-only lines (token counts without a price).
    pub amount: Option<Usd>,
    /// The provider's own estimate (Anthropic Claude Code analytics): `amount` is not billed
    /// and must never be added to billed totals.
    pub estimate: bool,
    /// The documented endpoint path the line came from, e.g. `/v1/organizations/cost_report`.
    pub source: String,
    /// Stable across re-reads of the same day: source, day and every group-by value. Upserting
    /// by it replaces a restated line instead of duplicating it.
    pub natural_key: String,
}

impl BillingLine {
    /// Whether the line counts towards billed spend.
    pub fn is_billed(&self) -> bool {
        self.amount.is_some() && !self.estimate
    }
}

/// Builds a natural key `source|day|name=value|…`. Values are escaped so that no provider text
/// (a description with `|` in it) can make two different rows collide.
#[derive(Debug)]
pub(crate) struct NaturalKey(String);

impl NaturalKey {
    pub(crate) fn new(source: &str, day: UtcDay) -> NaturalKey {
        NaturalKey(format!("{source}|{day}"))
    }

    /// Appends `name=value`; a missing value is written as nothing after `=`.
    pub(crate) fn part(mut self, name: &str, value: Option<&str>) -> NaturalKey {
        self.0.push('|');
        self.0.push_str(name);
        self.0.push('=');
        for c in value.unwrap_or("").chars() {
            if matches!(c, '|' | '\\' | '=') {
                self.0.push('\\');
            }
            self.0.push(c);
        }
        self
    }

    pub(crate) fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_types_round_trip() {
        for kind in CostType::ALL {
            assert_eq!(kind.as_str().parse::<CostType>().unwrap(), kind);
        }
        assert!("tokens ".parse::<CostType>().is_err());
    }

    #[test]
    fn natural_keys_escape_provider_text() {
        let day = UtcDay::parse("2026-11-22").unwrap();
        let a = NaturalKey::new("/x", day)
            .part("d", Some("a|b=c"))
            .part("e", None)
            .finish();
        assert_eq!(a, "/x|2026-11-22|d=a\\|b\\=c|e=");
        let b = NaturalKey::new("/x", day)
            .part("d", Some("a"))
            .part("b=c|e", None)
            .finish();
        assert_ne!(a, b);
    }
}
