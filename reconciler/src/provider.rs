//! Who bills the spend (provider) and which tool reported it, with their stable wire names.

use crate::Error;
use crate::text::{named, parse_name};

/// The party whose bill covers a unit of spend.
///
/// Known providers have variants; any other billing party (a gateway, a cloud reseller) is kept
/// under its own lowercase name rather than lumped together, so its spend stays separable.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Provider {
    Anthropic,
    OpenAi,
    /// Google AI Studio / Gemini API.
    Google,
    Cursor,
    GithubCopilot,
    /// Anthropic models billed through Amazon Bedrock.
    AwsBedrock,
    /// Models billed through Google Cloud Vertex AI.
    GoogleVertex,
    /// Another provider: lowercase ASCII letters, digits and `_`, starting with a letter.
    Other(String),
}

const KNOWN_PROVIDERS: [(&str, Provider); 7] = [
    ("anthropic", Provider::Anthropic),
    ("openai", Provider::OpenAi),
    ("google", Provider::Google),
    ("cursor", Provider::Cursor),
    ("github_copilot", Provider::GithubCopilot),
    ("aws_bedrock", Provider::AwsBedrock),
    ("google_vertex", Provider::GoogleVertex),
];

impl Provider {
    pub fn as_str(&self) -> &str {
        match self {
            Provider::Other(name) => name,
            known => KNOWN_PROVIDERS
                .iter()
                .find(|(_, provider)| provider == known)
                .map(|(name, _)| *name)
                .expect("every known provider has a name"),
        }
    }

    pub fn parse(text: &str) -> Result<Provider, Error> {
        if let Some((_, provider)) = KNOWN_PROVIDERS.iter().find(|(name, _)| *name == text) {
            return Ok(provider.clone());
        }
        let well_formed = text.len() <= 64
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if well_formed {
            Ok(Provider::Other(text.to_owned()))
        } else {
            Err(Error::UnknownName {
                what: "provider",
                input: text.chars().take(64).collect(),
                expected: format!(
                    "{}, or another name in lowercase letters, digits and _",
                    KNOWN_PROVIDERS.map(|(name, _)| name).join(", ")
                ),
            })
        }
    }
}

/// The AI coding tool (or agent) whose telemetry reported the usage.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Tool {
    ClaudeCode,
    Codex,
    GeminiCli,
    Cursor,
    /// Any other agent exporting GenAI, OpenLLMetry or OpenInference telemetry.
    Other,
}

impl Tool {
    pub const ALL: [Tool; 5] = [
        Tool::ClaudeCode,
        Tool::Codex,
        Tool::GeminiCli,
        Tool::Cursor,
        Tool::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tool::ClaudeCode => "claude_code",
            Tool::Codex => "codex",
            Tool::GeminiCli => "gemini_cli",
            Tool::Cursor => "cursor",
            Tool::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Result<Tool, Error> {
        parse_name("tool", text, &Tool::ALL, Tool::as_str)
    }
}

named!(Provider);
named!(Tool);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, provider) in KNOWN_PROVIDERS {
            assert_eq!(Provider::parse(name).unwrap(), provider);
            assert_eq!(provider.as_str(), name);
        }
        for tool in Tool::ALL {
            assert_eq!(Tool::parse(tool.as_str()).unwrap(), tool);
        }
    }

    #[test]
    fn other_providers_keep_their_name() {
        assert_eq!(
            Provider::parse("xai").unwrap(),
            Provider::Other("xai".into())
        );
        for bad in ["", "OpenAI", "open ai", "9x", "a-b", &"x".repeat(65)] {
            assert!(Provider::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let message = Tool::parse("vim").unwrap_err().to_string();
        assert_eq!(
            message,
            "unknown tool `vim`; expected one of: claude_code, codex, gemini_cli, cursor, other"
        );
    }
}
