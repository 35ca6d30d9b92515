//! Settings of the OTLP receiver: how large an export may be, as sent and inflated, how many
//! may be under way at once and how many of those one organisation or client may hold, and how
//! long a body may take to arrive.

use std::time::Duration;

use clap::Args;
use otlp_receiver::ReceiverLimits;

use super::ConfigError;

#[derive(Args, Clone, Debug, Default)]
pub struct OtlpArgs {
    /// Largest OTLP request body as sent, in bytes [default: 8388608, 8 MiB]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_BODY_BYTES",
        global = true,
        value_name = "BYTES"
    )]
    pub otlp_max_body_bytes: Option<usize>,
    /// Largest OTLP request body after gzip decompression, in bytes [default: 67108864, 64 MiB]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_DECOMPRESSED_BYTES",
        global = true,
        value_name = "BYTES"
    )]
    pub otlp_max_decompressed_bytes: Option<usize>,
    /// OTLP exports under way at once; more are told to retry (503 / UNAVAILABLE) [default: 64]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_IN_FLIGHT",
        global = true,
        value_name = "COUNT"
    )]
    pub otlp_max_in_flight: Option<usize>,
    /// How many of those one organisation, or one client address, may hold [default: 16]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_IN_FLIGHT_SHARE",
        global = true,
        value_name = "COUNT"
    )]
    pub otlp_max_in_flight_share: Option<usize>,
    /// Seconds an OTLP body may take to arrive after its headers [default: 30]
    #[arg(
        long,
        env = "RECKON_OTLP_BODY_READ_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub otlp_body_read_timeout_secs: Option<u64>,
}

/// The file's keys for the same settings.
#[derive(Default, Debug)]
pub(super) struct OtlpFileConfig {
    pub(super) otlp_max_body_bytes: Option<usize>,
    pub(super) otlp_max_decompressed_bytes: Option<usize>,
    pub(super) otlp_max_in_flight: Option<usize>,
    pub(super) otlp_max_in_flight_share: Option<usize>,
    pub(super) otlp_body_read_timeout_secs: Option<u64>,
}

pub(super) fn load(args: &OtlpArgs, file: OtlpFileConfig) -> Result<ReceiverLimits, ConfigError> {
    let defaults = ReceiverLimits::default();
    let positive = |setting: &'static str, value: Option<usize>, default: usize| match value {
        Some(0) => Err(ConfigError::Invalid {
            setting,
            value: "0".into(),
            expected: "at least 1",
        }),
        Some(value) => Ok(value),
        None => Ok(default),
    };
    let body_read = positive(
        "--otlp-body-read-timeout-secs",
        args.otlp_body_read_timeout_secs
            .or(file.otlp_body_read_timeout_secs)
            .and_then(|secs| usize::try_from(secs).ok()),
        30,
    )?;
    Ok(ReceiverLimits {
        max_body_bytes: positive(
            "--otlp-max-body-bytes",
            args.otlp_max_body_bytes.or(file.otlp_max_body_bytes),
            defaults.max_body_bytes,
        )?,
        max_decompressed_bytes: positive(
            "--otlp-max-decompressed-bytes",
            args.otlp_max_decompressed_bytes
                .or(file.otlp_max_decompressed_bytes),
            defaults.max_decompressed_bytes,
        )?,
        max_in_flight: positive(
            "--otlp-max-in-flight",
            args.otlp_max_in_flight.or(file.otlp_max_in_flight),
            defaults.max_in_flight,
        )?,
        max_in_flight_share: positive(
            "--otlp-max-in-flight-share",
            args.otlp_max_in_flight_share
                .or(file.otlp_max_in_flight_share),
            defaults.max_in_flight_share,
        )?,
        body_read_timeout: Duration::from_secs(u64::try_from(body_read).unwrap_or(30)),
    })
}
