//! The one model alias table: provider labels → reckon's canonical model ids.
//!
//! Billing lines and telemetry must name a model the same way to be matched per
//! (provider, day, model). Anthropic's and OpenAI's reports already use API model ids
//! (`claude-sonnet-4-20250514`, `gpt-4o-2024-08-06`): those are canonical and pass through. The
//! table below maps only labels known to stand for exactly one of them (a documented alias
//! such as `claude-sonnet-4-0`, a cloud's wrapped id, Cursor's own `claude-4-opus`, GitHub's
//! display name `GPT-5`). Lookups are exact: an unknown label passes through unchanged and is
//! never fuzzy-matched, so a new model shows up under its own name instead of being silently
//! priced as another.
//!
//! Floating aliases (`…-latest`) are deliberately absent: they pointed at different models over
//! time, so no single canonical id is right for every day.

use reconciler::Provider;

/// `(provider, label, canonical id)`. Add a row when a provider reports a label that stands
/// for exactly one canonical id; keep labels exact (trimmed, case as the provider sends).
const ALIASES: &[(ProviderName, &str, &str)] = &[
    // Anthropic's documented fixed aliases for dated snapshots.
    (ANTHROPIC, "claude-opus-4-0", "claude-opus-4-20250514"),
    (ANTHROPIC, "claude-sonnet-4-0", "claude-sonnet-4-20250514"),
    (ANTHROPIC, "claude-opus-4-1", "claude-opus-4-1-20250805"),
    // Anthropic models billed through Amazon Bedrock carry a wrapped id.
    (
        AWS_BEDROCK,
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-sonnet-4-20250514",
    ),
    (
        AWS_BEDROCK,
        "anthropic.claude-opus-4-20250514-v1:0",
        "claude-opus-4-20250514",
    ),
    // Cursor's own labels. `-thinking` is a request mode of the same model (reasoning tokens
    // are billed as output), so both labels name one model; the natural keys keep the label.
    (CURSOR, "claude-4-opus", "claude-opus-4-20250514"),
    (CURSOR, "claude-4-opus-thinking", "claude-opus-4-20250514"),
    (CURSOR, "claude-4-sonnet", "claude-sonnet-4-20250514"),
    (
        CURSOR,
        "claude-4-sonnet-thinking",
        "claude-sonnet-4-20250514",
    ),
    (CURSOR, "claude-4.1-opus", "claude-opus-4-1-20250805"),
    (
        CURSOR,
        "claude-4.1-opus-thinking",
        "claude-opus-4-1-20250805",
    ),
    (CURSOR, "claude-4.5-sonnet", "claude-sonnet-4-5-20250929"),
    (
        CURSOR,
        "claude-4.5-sonnet-thinking",
        "claude-sonnet-4-5-20250929",
    ),
    (CURSOR, "claude-3.7-sonnet", "claude-3-7-sonnet-20250219"),
    (
        CURSOR,
        "claude-3.7-sonnet-thinking",
        "claude-3-7-sonnet-20250219",
    ),
    // GitHub Copilot's billing reports name models by display name.
    (GITHUB_COPILOT, "Claude Opus 4", "claude-opus-4-20250514"),
    (
        GITHUB_COPILOT,
        "Claude Sonnet 4",
        "claude-sonnet-4-20250514",
    ),
    (
        GITHUB_COPILOT,
        "Claude Opus 4.1",
        "claude-opus-4-1-20250805",
    ),
    (
        GITHUB_COPILOT,
        "Claude Sonnet 4.5",
        "claude-sonnet-4-5-20250929",
    ),
    (
        GITHUB_COPILOT,
        "Claude Haiku 4.5",
        "claude-haiku-4-5-20251001",
    ),
    (GITHUB_COPILOT, "GPT-5", "gpt-5-2025-08-07"),
    (GITHUB_COPILOT, "GPT-5 mini", "gpt-5-mini-2025-08-07"),
    (GITHUB_COPILOT, "GPT-4.1", "gpt-4.1-2025-04-14"),
];

/// Providers by their stable name, so the table can be a `const` (`Provider` owns a `String`).
type ProviderName = &'static str;
const ANTHROPIC: ProviderName = "anthropic";
const AWS_BEDROCK: ProviderName = "aws_bedrock";
const CURSOR: ProviderName = "cursor";
const GITHUB_COPILOT: ProviderName = "github_copilot";

/// The canonical id for a model label reported by `provider`: the table's entry when there is
/// one, otherwise the label itself (trimmed). An absent model is `""`.
pub fn canonical_model(provider: &Provider, label: &str) -> String {
    let label = label.trim();
    ALIASES
        .iter()
        .find(|(name, alias, _)| *name == provider.as_str() && *alias == label)
        .map_or(label, |(_, _, canonical)| canonical)
        .to_owned()
}

/// [`canonical_model`] of an optional label (`None` → `""`).
pub(crate) fn canonical_or_empty(provider: &Provider, label: Option<&str>) -> String {
    label.map_or_else(String::new, |label| canonical_model(provider, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_exactly_and_unknowns_pass_through() {
        let anthropic = Provider::Anthropic;
        assert_eq!(
            canonical_model(&anthropic, "claude-sonnet-4-0"),
            "claude-sonnet-4-20250514"
        );
        assert_eq!(
            canonical_model(&anthropic, "claude-sonnet-4-20250514"),
            "claude-sonnet-4-20250514"
        );
        // No fuzzy matching: a near miss stays itself.
        assert_eq!(
            canonical_model(&anthropic, "Claude-Sonnet-4-0"),
            "Claude-Sonnet-4-0"
        );
        assert_eq!(
            canonical_model(&anthropic, "brand-new-model"),
            "brand-new-model"
        );
        // Aliases belong to their provider.
        assert_eq!(
            canonical_model(&Provider::OpenAi, "claude-sonnet-4-0"),
            "claude-sonnet-4-0"
        );
        assert_eq!(
            canonical_model(
                &Provider::AwsBedrock,
                "anthropic.claude-sonnet-4-20250514-v1:0"
            ),
            "claude-sonnet-4-20250514"
        );
        assert_eq!(
            canonical_model(&Provider::Cursor, "claude-4-sonnet-thinking"),
            "claude-sonnet-4-20250514"
        );
        assert_eq!(
            canonical_model(&Provider::GithubCopilot, "GPT-5"),
            "gpt-5-2025-08-07"
        );
        assert_eq!(canonical_or_empty(&anthropic, None), "");
    }

    #[test]
    fn every_alias_is_unique_and_not_itself_canonical() {
        for (i, (provider, alias, canonical)) in ALIASES.iter().enumerate() {
            assert_ne!(alias, canonical);
            assert!(
                ALIASES[i + 1..]
                    .iter()
                    .all(|(p, a, _)| (p, a) != (provider, alias)),
                "{alias} listed twice"
            );
            assert!(
                ALIASES
                    .iter()
                    .all(|(p, a, _)| (p, a) != (provider, canonical)),
                "{canonical} is both canonical and an alias"
            );
        }
    }
}
