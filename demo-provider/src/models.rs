//! The models the demo uses: their tool, who bills them, and each side's name for them.
//!
//! The tool's telemetry, the provider's reports and the price catalogue each name a model their
//! own way; this is the one table of those names.

use reconciler::{Provider, Tool};

/// A model as one tool uses it. Cursor's models are separate variants: Cursor bills them under
/// its own labels, at the underlying provider's list price plus its own token fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Model {
    ClaudeSonnet45,
    ClaudeHaiku45,
    ClaudeOpus45,
    Gpt51Codex,
    Gpt5Codex,
    Gemini25Pro,
    Gemini25Flash,
    /// Deliberately absent from the built-in price catalogue: its usage is `unpriced`.
    Gemini3ProPreview,
    CursorSonnet45,
    CursorSonnet45Thinking,
    CursorGpt5,
}

impl Model {
    pub const ALL: [Model; 11] = [
        Model::ClaudeSonnet45,
        Model::ClaudeHaiku45,
        Model::ClaudeOpus45,
        Model::Gpt51Codex,
        Model::Gpt5Codex,
        Model::Gemini25Pro,
        Model::Gemini25Flash,
        Model::Gemini3ProPreview,
        Model::CursorSonnet45,
        Model::CursorSonnet45Thinking,
        Model::CursorGpt5,
    ];

    pub fn tool(self) -> Tool {
        match self {
            Model::ClaudeSonnet45 | Model::ClaudeHaiku45 | Model::ClaudeOpus45 => Tool::ClaudeCode,
            Model::Gpt51Codex | Model::Gpt5Codex => Tool::Codex,
            Model::Gemini25Pro | Model::Gemini25Flash | Model::Gemini3ProPreview => Tool::GeminiCli,
            Model::CursorSonnet45 | Model::CursorSonnet45Thinking | Model::CursorGpt5 => {
                Tool::Cursor
            }
        }
    }

    /// Who bills the usage (Google: nobody the demo serves; Gemini spend is telemetry-only).
    pub fn provider(self) -> Provider {
        provider_of(self.tool())
    }

    /// The model id the tool's telemetry reports. Cursor's export names the provider's API id
    /// (`gen_ai.response.model`), the same id reckon's alias table turns Cursor's label into,
    /// so both sides meet on one (day, model) cell.
    pub fn telemetry_name(self) -> &'static str {
        match self {
            Model::ClaudeSonnet45 | Model::CursorSonnet45 | Model::CursorSonnet45Thinking => {
                "claude-sonnet-4-5-20250929"
            }
            Model::ClaudeHaiku45 => "claude-haiku-4-5-20251001",
            Model::ClaudeOpus45 => "claude-opus-4-5-20251101",
            Model::Gpt51Codex => "gpt-5.1-codex",
            Model::Gpt5Codex => "gpt-5-codex",
            Model::Gemini25Pro => "gemini-2.5-pro",
            Model::Gemini25Flash => "gemini-2.5-flash",
            Model::Gemini3ProPreview => "gemini-3-pro-preview",
            Model::CursorGpt5 => "gpt-5",
        }
    }

    /// The name the provider's own reports use (Cursor: its labels).
    pub fn billing_label(self) -> &'static str {
        match self {
            Model::CursorSonnet45 => "claude-4.5-sonnet",
            Model::CursorSonnet45Thinking => "claude-4.5-sonnet-thinking",
            other => other.telemetry_name(),
        }
    }

    /// The catalogue entry the usage costs at list price: (provider, model). Cursor passes the
    /// underlying provider's API price through. `None`: no catalogue price (deliberately).
    pub(crate) fn list_price_key(self) -> Option<(Provider, &'static str)> {
        match self {
            Model::Gemini3ProPreview => None,
            Model::CursorSonnet45 | Model::CursorSonnet45Thinking => {
                Some((Provider::Anthropic, self.telemetry_name()))
            }
            Model::CursorGpt5 => Some((Provider::OpenAi, self.telemetry_name())),
            other => Some((other.provider(), other.telemetry_name())),
        }
    }

    /// How Anthropic's cost report describes the model (`Claude Sonnet 4.5 Usage - …`).
    pub(crate) fn display_name(self) -> &'static str {
        match self {
            Model::ClaudeSonnet45 | Model::CursorSonnet45 | Model::CursorSonnet45Thinking => {
                "Claude Sonnet 4.5"
            }
            Model::ClaudeHaiku45 => "Claude Haiku 4.5",
            Model::ClaudeOpus45 => "Claude Opus 4.5",
            Model::Gpt51Codex => "GPT-5.1-Codex",
            Model::Gpt5Codex => "GPT-5-Codex",
            Model::Gemini25Pro => "Gemini 2.5 Pro",
            Model::Gemini25Flash => "Gemini 2.5 Flash",
            Model::Gemini3ProPreview => "Gemini 3 Pro Preview",
            Model::CursorGpt5 => "GPT-5",
        }
    }

    /// Whether the model thinks: its output includes reasoning tokens.
    pub(crate) fn reasons(self) -> bool {
        !matches!(
            self,
            Model::ClaudeSonnet45
                | Model::ClaudeHaiku45
                | Model::ClaudeOpus45
                | Model::CursorSonnet45
        )
    }
}

/// Who bills a tool's usage in the demo.
pub fn provider_of(tool: Tool) -> Provider {
    match tool {
        Tool::ClaudeCode => Provider::Anthropic,
        Tool::Codex => Provider::OpenAi,
        Tool::GeminiCli => Provider::Google,
        Tool::Cursor => Provider::Cursor,
        Tool::Other => Provider::Other("unknown".to_owned()),
    }
}

/// A GitHub Copilot model, as GitHub's billing reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CopilotModel {
    ClaudeSonnet45,
    Gpt5,
    Gpt5Mini,
}

impl CopilotModel {
    pub fn display_name(self) -> &'static str {
        match self {
            CopilotModel::ClaudeSonnet45 => "Claude Sonnet 4.5",
            CopilotModel::Gpt5 => "GPT-5",
            CopilotModel::Gpt5Mini => "GPT-5 mini",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reconciler::{Catalogue, Tier, UtcDay};

    #[test]
    fn every_model_but_the_preview_has_a_list_price() {
        let catalogue = Catalogue::built_in();
        let day = UtcDay::parse("2026-11-22").unwrap();
        for model in Model::ALL {
            let price = model
                .list_price_key()
                .and_then(|(provider, name)| catalogue.price(&provider, name, Tier::Standard, day));
            assert_eq!(
                price.is_some(),
                model != Model::Gemini3ProPreview,
                "{model:?}"
            );
        }
    }
}
