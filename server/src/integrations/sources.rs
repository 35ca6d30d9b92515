//! The bill source behind each kind of integration, built from its credentials and the
//! operator's base-URL overrides.

use billing::{BillingSource, HttpSettings, Secret};

use super::kinds::{CredentialFields, ProviderKind};
use crate::Error;
use crate::config::ProviderSettings;

/// The puller for `kind`; `None` for configuration-free kinds (their spend comes from
/// telemetry, and reconciliation shows "no bill source").
pub fn bill_source(
    kind: ProviderKind,
    fields: &CredentialFields,
    settings: &ProviderSettings,
) -> Result<Option<Box<dyn BillingSource>>, Error> {
    let secret = |field: &str| Secret::new(fields.0.get(field).cloned().unwrap_or_default());
    let http = |base: &Option<url::Url>| {
        let mut http = HttpSettings::for_provider(kind.provider());
        if let Some(base) = base {
            http.base_url = base.clone();
        }
        http.extra_roots = settings.extra_roots.clone();
        http.timeout = settings.provider_timeout;
        http
    };
    let built: Box<dyn BillingSource> = match kind {
        ProviderKind::Anthropic => Box::new(
            billing::anthropic::AnthropicSource::new(
                secret("admin_api_key"),
                http(&settings.anthropic_base_url),
            )
            .map_err(|e| Error::Invalid(e.to_string()))?,
        ),
        ProviderKind::OpenAi => Box::new(
            billing::openai::OpenAiSource::new(
                secret("admin_api_key"),
                http(&settings.openai_base_url),
            )
            .map_err(|e| Error::Invalid(e.to_string()))?,
        ),
        ProviderKind::Cursor => Box::new(
            billing::cursor::CursorSource::new(secret("api_key"), http(&settings.cursor_base_url))
                .map_err(|e| Error::Invalid(e.to_string()))?,
        ),
        ProviderKind::GithubCopilot => Box::new(
            billing::github::CopilotSource::new(
                secret("token"),
                fields.0.get("organization").cloned().unwrap_or_default(),
                http(&settings.github_base_url),
            )
            .map_err(|e| Error::Invalid(e.to_string()))?,
        ),
        ProviderKind::Demo => {
            return Err(Error::Invalid(format!(
                "connecting {} is not available yet in this version of reckon",
                kind.as_str()
            )));
        }
        ProviderKind::Gemini | ProviderKind::Windsurf => return Ok(None),
    };
    Ok(Some(built))
}
