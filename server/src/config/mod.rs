//! Configuration, layered: defaults → TOML file (`--config`) → `RECKON_*` environment → flags.
//!
//! Environment variables and flags are read by clap ([`ConfigArgs`], a flag wins over its
//! variable); the file sits beneath both. Unknown keys in the file and unknown `RECKON_*`
//! variables are errors, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::accounts::SessionPolicy;
use crate::storage::DatabaseUrl;

mod listeners;
mod otlp;
mod providers;

use listeners::ListenerFileConfig;
pub use listeners::{ListenerArgs, ListenerSettings, TlsFiles, TrustedProxies};
pub use otlp::OtlpArgs;
use otlp::OtlpFileConfig;
use providers::ProviderFileConfig;
pub use providers::{ProviderArgs, ProviderSettings};

/// How log lines are written (to standard error).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The settings every `reckon` command shares, as flags or environment variables.
#[derive(Args, Clone, Debug, Default)]
pub struct ConfigArgs {
    /// TOML file with any of: data_dir, database_url, http_addr, otlp_grpc_addr, otlp_http_addr,
    /// log_format, public_url, secure_cookies, tls_cert, tls_key, public_otlp_http_url,
    /// public_otlp_grpc_url, trusted_proxies, max_connections, idle_timeout_secs,
    /// header_read_timeout_secs, request_timeout_secs, shutdown_timeout_secs,
    /// session_idle_secs, session_max_age_secs,
    /// otlp_max_body_bytes, otlp_max_decompressed_bytes, otlp_max_in_flight,
    /// otlp_max_in_flight_share, otlp_body_read_timeout_secs, otlp_max_entries,
    /// otlp_max_decoded_bytes, otlp_max_attributes, otlp_max_value_depth, master_key,
    /// anthropic_base_url,
    /// openai_base_url, cursor_base_url, github_base_url, ca_file, provider_timeout_secs,
    /// sync_interval_secs, sync_trailing_days.
    #[arg(long, env = "RECKON_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for reckon's own files (the default SQLite database among them) [default: ./reckon-data]
    #[arg(long, env = "RECKON_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE [default: sqlite://<data dir>/reckon.db]
    #[arg(
        long,
        env = "RECKON_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Address for the web UI and REST API; port 0 picks a free port [default: 127.0.0.1:8080]
    #[arg(long, env = "RECKON_HTTP_ADDR", global = true, value_name = "IP:PORT")]
    pub http_addr: Option<String>,
    /// Address for OTLP over gRPC [default: 127.0.0.1:4317]
    #[arg(
        long,
        env = "RECKON_OTLP_GRPC_ADDR",
        global = true,
        value_name = "IP:PORT"
    )]
    pub otlp_grpc_addr: Option<String>,
    /// Address for OTLP over HTTP [default: 127.0.0.1:4318]
    #[arg(
        long,
        env = "RECKON_OTLP_HTTP_ADDR",
        global = true,
        value_name = "IP:PORT"
    )]
    pub otlp_http_addr: Option<String>,
    /// Log line format [default: human]
    #[arg(long, env = "RECKON_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// The URL people reach reckon at, for links reckon prints; https:// makes cookies Secure
    /// [default: http://<bound HTTP address>]
    #[arg(long, env = "RECKON_PUBLIC_URL", global = true, value_name = "URL")]
    pub public_url: Option<String>,
    /// Mark the session cookie Secure (HTTPS only) even if the public URL is http:// — for a
    /// TLS-terminating proxy in front of reckon [default: false]
    #[arg(
        long,
        env = "RECKON_SECURE_COOKIES",
        global = true,
        value_name = "BOOL"
    )]
    pub secure_cookies: Option<bool>,
    /// Seconds a browser session may stay unused before it ends [default: 28800, 8 hours]
    #[arg(
        long,
        env = "RECKON_SESSION_IDLE_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub session_idle_secs: Option<u64>,
    /// Seconds a browser session lasts at most after sign-in [default: 604800, 7 days]
    #[arg(
        long,
        env = "RECKON_SESSION_MAX_AGE_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub session_max_age_secs: Option<u64>,
    #[command(flatten)]
    pub otlp: OtlpArgs,
    #[command(flatten)]
    pub listeners: ListenerArgs,
    #[command(flatten)]
    pub providers: ProviderArgs,
}

/// The environment variables reckon reads. `RECKON_LOG` holds a log filter (`info`,
/// `reckon_server=debug`); `RECKON_TEST_*` belong to the test suite.
const KNOWN_VARIABLES: [&str; 40] = [
    "RECKON_CONFIG",
    "RECKON_DATA_DIR",
    "RECKON_DATABASE_URL",
    "RECKON_HTTP_ADDR",
    "RECKON_OTLP_GRPC_ADDR",
    "RECKON_OTLP_HTTP_ADDR",
    "RECKON_LOG_FORMAT",
    "RECKON_LOG",
    "RECKON_PUBLIC_URL",
    "RECKON_SECURE_COOKIES",
    "RECKON_TLS_CERT",
    "RECKON_TLS_KEY",
    "RECKON_PUBLIC_OTLP_HTTP_URL",
    "RECKON_PUBLIC_OTLP_GRPC_URL",
    "RECKON_TRUSTED_PROXIES",
    "RECKON_MAX_CONNECTIONS",
    "RECKON_IDLE_TIMEOUT_SECS",
    "RECKON_HEADER_READ_TIMEOUT_SECS",
    "RECKON_REQUEST_TIMEOUT_SECS",
    "RECKON_SHUTDOWN_TIMEOUT_SECS",
    "RECKON_SESSION_IDLE_SECS",
    "RECKON_SESSION_MAX_AGE_SECS",
    "RECKON_OTLP_MAX_BODY_BYTES",
    "RECKON_OTLP_MAX_DECOMPRESSED_BYTES",
    "RECKON_OTLP_MAX_IN_FLIGHT",
    "RECKON_OTLP_MAX_IN_FLIGHT_SHARE",
    "RECKON_OTLP_BODY_READ_TIMEOUT_SECS",
    "RECKON_OTLP_MAX_ENTRIES",
    "RECKON_OTLP_MAX_DECODED_BYTES",
    "RECKON_OTLP_MAX_ATTRIBUTES",
    "RECKON_OTLP_MAX_VALUE_DEPTH",
    "RECKON_MASTER_KEY",
    "RECKON_ANTHROPIC_BASE_URL",
    "RECKON_OPENAI_BASE_URL",
    "RECKON_CURSOR_BASE_URL",
    "RECKON_GITHUB_BASE_URL",
    "RECKON_CA_FILE",
    "RECKON_PROVIDER_TIMEOUT_SECS",
    "RECKON_SYNC_INTERVAL_SECS",
    "RECKON_SYNC_TRAILING_DAYS",
];

/// The TOML file's keys; all optional.
#[derive(serde::Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    http_addr: Option<String>,
    otlp_grpc_addr: Option<String>,
    otlp_http_addr: Option<String>,
    log_format: Option<LogFormat>,
    public_url: Option<String>,
    secure_cookies: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    public_otlp_http_url: Option<String>,
    public_otlp_grpc_url: Option<String>,
    trusted_proxies: Option<String>,
    max_connections: Option<usize>,
    idle_timeout_secs: Option<u64>,
    header_read_timeout_secs: Option<u64>,
    request_timeout_secs: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    session_idle_secs: Option<u64>,
    session_max_age_secs: Option<u64>,
    otlp_max_body_bytes: Option<usize>,
    otlp_max_decompressed_bytes: Option<usize>,
    otlp_max_in_flight: Option<usize>,
    otlp_max_in_flight_share: Option<usize>,
    otlp_body_read_timeout_secs: Option<u64>,
    otlp_max_entries: Option<usize>,
    otlp_max_decoded_bytes: Option<usize>,
    otlp_max_attributes: Option<usize>,
    otlp_max_value_depth: Option<usize>,
    // Usage providers (see `providers`); flattening would defeat `deny_unknown_fields`.
    master_key: Option<String>,
    anthropic_base_url: Option<String>,
    openai_base_url: Option<String>,
    cursor_base_url: Option<String>,
    github_base_url: Option<String>,
    ca_file: Option<PathBuf>,
    provider_timeout_secs: Option<u64>,
    sync_interval_secs: Option<u64>,
    sync_trailing_days: Option<u32>,
}

/// The resolved configuration of a `reckon` process. `Debug` shows the database URL redacted.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub http_addr: SocketAddr,
    pub otlp_grpc_addr: SocketAddr,
    pub otlp_http_addr: SocketAddr,
    pub log_format: LogFormat,
    /// Where people reach reckon; `None` means the bound HTTP address.
    pub public_url: Option<String>,
    pub secure_cookies: bool,
    pub listeners: ListenerSettings,
    pub sessions: SessionPolicy,
    /// The OTLP receiver's limits.
    pub otlp: otlp_receiver::ReceiverLimits,
    pub providers: ProviderSettings,
}

/// Configuration that cannot be used, with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    ParseFile { path: String, message: String },
    #[error("unknown environment variable {name}; reckon reads {known}")]
    UnknownVariable { name: String, known: String },
    #[error(
        "{setting} `{value}` is not an address: write IP:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free port)"
    )]
    InvalidAddress {
        setting: &'static str,
        value: String,
    },
    #[error("{setting} `{value}` is not {expected}")]
    Invalid {
        setting: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A setting whose problem needs its own words (a CA file that cannot be read).
    #[error("{setting}: {message}")]
    Setting {
        setting: &'static str,
        message: String,
    },
    #[error(transparent)]
    DatabaseUrl(#[from] crate::storage::StorageError),
}

impl Config {
    /// Resolves the layers: `args` already hold environment and flags (flags winning).
    pub fn load(args: &ConfigArgs) -> Result<Config, ConfigError> {
        check_environment(std::env::vars_os().filter_map(|(name, _)| name.into_string().ok()))?;
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("reckon-data"));
        let database_url = match args.database_url.clone().or(file.database_url) {
            Some(text) => DatabaseUrl::parse(&text)?,
            None => DatabaseUrl::sqlite_in(&data_dir),
        };
        let address = |setting, flag: &Option<String>, file: Option<String>, default: &str| {
            let value = flag.clone().or(file).unwrap_or_else(|| default.to_owned());
            value
                .parse::<SocketAddr>()
                .map_err(|_| ConfigError::InvalidAddress { setting, value })
        };
        Ok(Config {
            http_addr: address(
                "--http-addr",
                &args.http_addr,
                file.http_addr,
                "127.0.0.1:8080",
            )?,
            otlp_grpc_addr: address(
                "--otlp-grpc-addr",
                &args.otlp_grpc_addr,
                file.otlp_grpc_addr,
                "127.0.0.1:4317",
            )?,
            otlp_http_addr: address(
                "--otlp-http-addr",
                &args.otlp_http_addr,
                file.otlp_http_addr,
                "127.0.0.1:4318",
            )?,
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            public_url: match args.public_url.clone().or(file.public_url) {
                Some(url) => Some(check_public_url(&url)?),
                None => None,
            },
            secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            listeners: ListenerSettings::load(
                &args.listeners,
                ListenerFileConfig {
                    tls_cert: file.tls_cert,
                    tls_key: file.tls_key,
                    public_otlp_http_url: file.public_otlp_http_url,
                    public_otlp_grpc_url: file.public_otlp_grpc_url,
                    trusted_proxies: file.trusted_proxies,
                    max_connections: file.max_connections,
                    idle_timeout_secs: file.idle_timeout_secs,
                    header_read_timeout_secs: file.header_read_timeout_secs,
                    request_timeout_secs: file.request_timeout_secs,
                    shutdown_timeout_secs: file.shutdown_timeout_secs,
                },
            )?,
            otlp: otlp::load(
                &args.otlp,
                OtlpFileConfig {
                    otlp_max_body_bytes: file.otlp_max_body_bytes,
                    otlp_max_decompressed_bytes: file.otlp_max_decompressed_bytes,
                    otlp_max_in_flight: file.otlp_max_in_flight,
                    otlp_max_in_flight_share: file.otlp_max_in_flight_share,
                    otlp_body_read_timeout_secs: file.otlp_body_read_timeout_secs,
                    otlp_max_entries: file.otlp_max_entries,
                    otlp_max_decoded_bytes: file.otlp_max_decoded_bytes,
                    otlp_max_attributes: file.otlp_max_attributes,
                    otlp_max_value_depth: file.otlp_max_value_depth,
                },
            )?,
            sessions: SessionPolicy {
                idle: seconds(
                    "--session-idle-secs",
                    args.session_idle_secs.or(file.session_idle_secs),
                    8 * 60 * 60,
                )?,
                max_age: seconds(
                    "--session-max-age-secs",
                    args.session_max_age_secs.or(file.session_max_age_secs),
                    7 * 24 * 60 * 60,
                )?,
            },
            providers: ProviderSettings::load(
                &args.providers,
                ProviderFileConfig {
                    master_key: file.master_key,
                    anthropic_base_url: file.anthropic_base_url,
                    openai_base_url: file.openai_base_url,
                    cursor_base_url: file.cursor_base_url,
                    github_base_url: file.github_base_url,
                    ca_file: file.ca_file,
                    provider_timeout_secs: file.provider_timeout_secs,
                    sync_interval_secs: file.sync_interval_secs,
                    sync_trailing_days: file.sync_trailing_days,
                },
            )?,
            data_dir,
            database_url,
        })
    }
}

fn check_public_url(text: &str) -> Result<String, ConfigError> {
    let invalid = || ConfigError::Invalid {
        setting: "--public-url",
        value: text.to_owned(),
        expected: "an http:// or https:// URL, e.g. https://reckon.example.com",
    };
    let parsed = url::Url::parse(text).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

fn seconds(
    setting: &'static str,
    value: Option<u64>,
    default: u64,
) -> Result<Duration, ConfigError> {
    match value.unwrap_or(default) {
        0 => Err(ConfigError::Invalid {
            setting,
            value: "0".into(),
            expected: "a number of seconds above 0",
        }),
        secs => Ok(Duration::from_secs(secs)),
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::ParseFile {
        path: path.display().to_string(),
        // toml's message spans several lines (a snippet of the file); one line is enough.
        message: e.message().to_owned(),
    })
}

fn check_environment(names: impl Iterator<Item = String>) -> Result<(), ConfigError> {
    for name in names {
        let ours = name.starts_with("RECKON_") && !name.starts_with("RECKON_TEST_");
        if ours && !KNOWN_VARIABLES.contains(&name.as_str()) {
            return Err(ConfigError::UnknownVariable {
                name,
                known: KNOWN_VARIABLES.join(", "),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
