//! The kinds of usage provider an admin can connect, and the credential fields each one needs.

use std::collections::BTreeMap;

use reconciler::Provider;

use crate::Error;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProviderKind {
    Anthropic,
    OpenAi,
    Cursor,
    GithubCopilot,
    /// Configuration-free: its spend comes from telemetry; no bill source.
    Gemini,
    /// Configuration-free, like Gemini.
    Windsurf,
    /// Synthetic data for evaluation (the demo provider).
    Demo,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 7] = [
        ProviderKind::Anthropic,
        ProviderKind::OpenAi,
        ProviderKind::Cursor,
        ProviderKind::GithubCopilot,
        ProviderKind::Gemini,
        ProviderKind::Windsurf,
        ProviderKind::Demo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Cursor => "cursor",
            ProviderKind::GithubCopilot => "github_copilot",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Windsurf => "windsurf",
            ProviderKind::Demo => "demo",
        }
    }

    pub fn parse(text: &str) -> Result<ProviderKind, Error> {
        ProviderKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::Invalid(format!(
                    "unknown provider kind `{text}`; use one of {}",
                    known.join(", ")
                ))
            })
    }

    /// Who bills what this integration pulls.
    pub fn provider(self) -> Provider {
        match self {
            ProviderKind::Anthropic => Provider::Anthropic,
            ProviderKind::OpenAi => Provider::OpenAi,
            ProviderKind::Cursor => Provider::Cursor,
            ProviderKind::GithubCopilot => Provider::GithubCopilot,
            ProviderKind::Gemini => Provider::Google,
            ProviderKind::Windsurf => Provider::Other("windsurf".into()),
            ProviderKind::Demo => Provider::Other("demo".into()),
        }
    }

    /// The credential fields, the secret one first (its last 4 characters are shown).
    pub fn credential_fields(self) -> &'static [&'static str] {
        match self {
            ProviderKind::Anthropic | ProviderKind::OpenAi => &["admin_api_key"],
            ProviderKind::Cursor => &["api_key"],
            ProviderKind::GithubCopilot => &["token", "organization"],
            ProviderKind::Gemini | ProviderKind::Windsurf | ProviderKind::Demo => &[],
        }
    }
}

/// Credential fields as submitted. `Debug` shows the field names only.
#[derive(Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct CredentialFields(pub BTreeMap<String, String>);

impl std::fmt::Debug for CredentialFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Credentials checked against their kind: what is sealed, what is shown.
#[derive(Debug)]
pub struct CheckedCredentials {
    pub fields: CredentialFields,
    /// The last 4 characters of the secret field.
    pub hint: Option<String>,
    /// What the credentials reach besides the key (GitHub organisation), "" otherwise.
    pub account: String,
}

/// Checks the fields a kind needs, before any call to the provider: every field present and
/// non-empty, no unknown field, and the key of the right sort.
pub fn check_credentials(
    kind: ProviderKind,
    fields: CredentialFields,
) -> Result<CheckedCredentials, Error> {
    let expected = kind.credential_fields();
    if let Some(unknown) = fields.0.keys().find(|k| !expected.contains(&k.as_str())) {
        return Err(Error::Invalid(if expected.is_empty() {
            format!("{} needs no credentials; remove `{unknown}`", kind.as_str())
        } else {
            format!(
                "unknown credential field `{unknown}` for {}; it takes {}",
                kind.as_str(),
                expected.join(", ")
            )
        }));
    }
    for field in expected {
        if fields.0.get(*field).is_none_or(|v| v.trim().is_empty()) {
            return Err(Error::Invalid(format!(
                "{} needs the credential field `{field}`",
                kind.as_str()
            )));
        }
    }
    let value = |field: &str| fields.0.get(field).map(|v| v.trim().to_owned());
    match kind {
        ProviderKind::Anthropic => {
            billing::anthropic::check_admin_key(&value("admin_api_key").unwrap_or_default())
                .map_err(Error::Invalid)?
        }
        ProviderKind::OpenAi => {
            billing::openai::check_admin_key(&value("admin_api_key").unwrap_or_default())
                .map_err(Error::Invalid)?
        }
        ProviderKind::Cursor => {
            billing::cursor::check_api_key(&value("api_key").unwrap_or_default())
                .map_err(Error::Invalid)?;
        }
        ProviderKind::GithubCopilot => {
            billing::github::check_token(&value("token").unwrap_or_default())
                .map_err(Error::Invalid)?;
            billing::github::check_organization(&value("organization").unwrap_or_default())
                .map_err(Error::Invalid)?;
        }
        _ => {}
    }
    // The last 4 characters, only of a secret long enough that they give little away.
    let hint = expected
        .first()
        .and_then(|field| value(field))
        .map(|secret| secret.chars().collect::<Vec<char>>())
        .filter(|chars| chars.len() >= 12)
        .map(|chars| chars[chars.len() - 4..].iter().collect());
    let account = match kind {
        ProviderKind::GithubCopilot => value("organization").unwrap_or_default(),
        _ => String::new(),
    };
    let trimmed = fields
        .0
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
    Ok(CheckedCredentials {
        fields: CredentialFields(trimmed),
        hint,
        account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> CredentialFields {
        CredentialFields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn a_regular_anthropic_key_is_refused_before_any_call() {
        let error = check_credentials(
            ProviderKind::Anthropic,
            fields(&[("admin_api_key", "sk-ant-api03-abcdef")]),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("Admin"), "{error}");
        assert!(!error.contains("abcdef"), "{error}");
    }

    #[test]
    fn fields_are_checked_and_only_the_hint_and_account_are_kept_in_view() {
        let checked = check_credentials(
            ProviderKind::GithubCopilot,
            fields(&[("token", " ghp_secret1234 "), ("organization", "acme-inc")]),
        )
        .unwrap();
        assert_eq!(checked.hint.as_deref(), Some("1234"));
        assert_eq!(checked.account, "acme-inc");
        assert_eq!(
            format!("{:?}", checked.fields),
            r#"{"organization", "token"}"#
        );
        let missing =
            check_credentials(ProviderKind::GithubCopilot, fields(&[("token", "x")])).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "github_copilot needs the credential field `organization`"
        );
        let extra =
            check_credentials(ProviderKind::Gemini, fields(&[("api_key", "x")])).unwrap_err();
        assert_eq!(
            extra.to_string(),
            "gemini needs no credentials; remove `api_key`"
        );
        let unknown = check_credentials(ProviderKind::Cursor, fields(&[("key", "x")])).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "unknown credential field `key` for cursor; it takes api_key"
        );
    }
}
