//! Settings of the usage providers: the master key of the credential vault, the providers'
//! base URLs (an operator's override, for tests and proxies; never settable from the UI or the
//! API), the CA certificates trusted beside the platform's, the request timeout, and the sync
//! schedule.

use std::path::PathBuf;
use std::time::Duration;

use billing::TrustedRoots;

use clap::Args;

use super::ConfigError;

#[derive(Args, Clone, Debug, Default)]
pub struct ProviderArgs {
    /// Anthropic Admin API base URL [default: https://api.anthropic.com]
    #[arg(
        long,
        env = "RECKON_ANTHROPIC_BASE_URL",
        global = true,
        value_name = "URL"
    )]
    pub anthropic_base_url: Option<String>,
    /// OpenAI Administration API base URL [default: https://api.openai.com/v1]
    #[arg(
        long,
        env = "RECKON_OPENAI_BASE_URL",
        global = true,
        value_name = "URL"
    )]
    pub openai_base_url: Option<String>,
    /// Cursor Admin API base URL [default: https://api.cursor.com]
    #[arg(
        long,
        env = "RECKON_CURSOR_BASE_URL",
        global = true,
        value_name = "URL"
    )]
    pub cursor_base_url: Option<String>,
    /// GitHub REST API base URL [default: https://api.github.com]
    #[arg(
        long,
        env = "RECKON_GITHUB_BASE_URL",
        global = true,
        value_name = "URL"
    )]
    pub github_base_url: Option<String>,
    /// PEM file of CA certificates to trust for provider HTTPS, beside the system's (which
    /// SSL_CERT_FILE / SSL_CERT_DIR choose): a private CA or a TLS-inspecting proxy's
    #[arg(long, env = "RECKON_CA_FILE", global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Seconds one provider request may take, connecting included [default: 30]
    #[arg(
        long,
        env = "RECKON_PROVIDER_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub provider_timeout_secs: Option<u64>,
    /// Seconds between scheduled syncs of each usage provider [default: 86400, daily]
    #[arg(
        long,
        env = "RECKON_SYNC_INTERVAL_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub sync_interval_secs: Option<u64>,
    /// Days a sync re-reads before the last complete day, for providers' late restatements
    /// [default: 3]
    #[arg(
        long,
        env = "RECKON_SYNC_TRAILING_DAYS",
        global = true,
        value_name = "DAYS"
    )]
    pub sync_trailing_days: Option<u32>,
}

/// The file's keys for the same settings, and `master_key`, which has no flag: a flag would
/// show it in the process list.
#[derive(Default, Debug)]
pub(super) struct ProviderFileConfig {
    pub(super) master_key: Option<String>,
    pub(super) anthropic_base_url: Option<String>,
    pub(super) openai_base_url: Option<String>,
    pub(super) cursor_base_url: Option<String>,
    pub(super) github_base_url: Option<String>,
    pub(super) ca_file: Option<PathBuf>,
    pub(super) provider_timeout_secs: Option<u64>,
    pub(super) sync_interval_secs: Option<u64>,
    pub(super) sync_trailing_days: Option<u32>,
}

/// The master key as configured: `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKeyText(String);

impl MasterKeyText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MasterKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// `RECKON_MASTER_KEY` or the file's `master_key`; `None`: the data directory's key file.
    pub master_key: Option<MasterKeyText>,
    pub anthropic_base_url: Option<url::Url>,
    pub openai_base_url: Option<url::Url>,
    pub cursor_base_url: Option<url::Url>,
    pub github_base_url: Option<url::Url>,
    /// From `--ca-file`; empty without it.
    pub extra_roots: TrustedRoots,
    pub provider_timeout: Duration,
    pub sync_interval: Duration,
    pub sync_trailing_days: u32,
}

impl ProviderSettings {
    pub(super) fn load(
        args: &ProviderArgs,
        file: ProviderFileConfig,
    ) -> Result<ProviderSettings, ConfigError> {
        let base_url = |setting: &'static str, flag: &Option<String>, file: Option<String>| {
            flag.clone()
                .or(file)
                .map(|text| {
                    let url = url::Url::parse(&text)
                        .ok()
                        .filter(|url| matches!(url.scheme(), "http" | "https"))
                        .ok_or(ConfigError::Invalid {
                            setting,
                            value: text,
                            expected: "an http:// or https:// URL",
                        })?;
                    billing::check_base_url(&url)
                        .map_err(|message| ConfigError::Setting { setting, message })?;
                    Ok::<url::Url, ConfigError>(url)
                })
                .transpose()
        };
        let extra_roots = match args.ca_file.clone().or(file.ca_file) {
            Some(path) => {
                TrustedRoots::from_pem_file(&path).map_err(|message| ConfigError::Setting {
                    setting: "--ca-file",
                    message,
                })?
            }
            None => TrustedRoots::default(),
        };
        let provider_timeout = args
            .provider_timeout_secs
            .or(file.provider_timeout_secs)
            .unwrap_or(30);
        if !(1..=600).contains(&provider_timeout) {
            return Err(ConfigError::Invalid {
                setting: "--provider-timeout-secs",
                value: provider_timeout.to_string(),
                expected: "between 1 and 600 seconds",
            });
        }
        let master_key = std::env::var("RECKON_MASTER_KEY")
            .ok()
            .or(file.master_key)
            .map(MasterKeyText);
        let sync_interval = args
            .sync_interval_secs
            .or(file.sync_interval_secs)
            .unwrap_or(24 * 60 * 60);
        if sync_interval < 60 {
            return Err(ConfigError::Invalid {
                setting: "--sync-interval-secs",
                value: sync_interval.to_string(),
                expected: "at least 60 seconds",
            });
        }
        Ok(ProviderSettings {
            master_key,
            anthropic_base_url: base_url(
                "--anthropic-base-url",
                &args.anthropic_base_url,
                file.anthropic_base_url,
            )?,
            openai_base_url: base_url(
                "--openai-base-url",
                &args.openai_base_url,
                file.openai_base_url,
            )?,
            cursor_base_url: base_url(
                "--cursor-base-url",
                &args.cursor_base_url,
                file.cursor_base_url,
            )?,
            github_base_url: base_url(
                "--github-base-url",
                &args.github_base_url,
                file.github_base_url,
            )?,
            extra_roots,
            provider_timeout: Duration::from_secs(provider_timeout),
            sync_interval: Duration::from_secs(sync_interval),
            sync_trailing_days: args
                .sync_trailing_days
                .or(file.sync_trailing_days)
                .unwrap_or(3),
        })
    }
}
