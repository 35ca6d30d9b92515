//! Structured logs with `tracing`, to standard error, human-readable or JSON.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter when `RECKON_LOG` is not set.
const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber; a second call (tests in one process) keeps the first.
pub(crate) fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("RECKON_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
