//! Settings of the OTLP receiver: how large an export may be, as sent and inflated, how many
//! may be under way at once and how many of those one organisation or client may hold, how
//! long a body may take to arrive, and how much one export may hold.

use std::time::Duration;

use clap::Args;
use otlp_receiver::{MAX_NESTING, ReceiverLimits, WorkLimits};

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
    /// Entries one export may hold at each level (resource entries, scope entries, records,
    /// metrics, data points); more is refused with 400 [default: 200000]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_ENTRIES",
        global = true,
        value_name = "COUNT"
    )]
    pub otlp_max_entries: Option<usize>,
    /// What decoding one export may allocate, estimated before decoding, in bytes; more is
    /// refused with 400 [default: 268435456, 256 MiB]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_DECODED_BYTES",
        global = true,
        value_name = "BYTES"
    )]
    pub otlp_max_decoded_bytes: Option<usize>,
    /// Attributes one record, data point or resource may carry; an item with more is rejected
    /// in partial_success [default: 1000]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_ATTRIBUTES",
        global = true,
        value_name = "COUNT"
    )]
    pub otlp_max_attributes: Option<usize>,
    /// How deeply one attribute value may nest arrays and maps (at most 100); an item with a
    /// deeper one is rejected in partial_success [default: 20]
    #[arg(
        long,
        env = "RECKON_OTLP_MAX_VALUE_DEPTH",
        global = true,
        value_name = "LEVELS"
    )]
    pub otlp_max_value_depth: Option<usize>,
}

/// The file's keys for the same settings.
#[derive(Default, Debug)]
pub(super) struct OtlpFileConfig {
    pub(super) otlp_max_body_bytes: Option<usize>,
    pub(super) otlp_max_decompressed_bytes: Option<usize>,
    pub(super) otlp_max_in_flight: Option<usize>,
    pub(super) otlp_max_in_flight_share: Option<usize>,
    pub(super) otlp_body_read_timeout_secs: Option<u64>,
    pub(super) otlp_max_entries: Option<usize>,
    pub(super) otlp_max_decoded_bytes: Option<usize>,
    pub(super) otlp_max_attributes: Option<usize>,
    pub(super) otlp_max_value_depth: Option<usize>,
}

pub(super) fn load(args: &OtlpArgs, file: OtlpFileConfig) -> Result<ReceiverLimits, ConfigError> {
    let defaults = ReceiverLimits::default();
    let work = defaults.work;
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
    let max_value_depth = positive(
        "--otlp-max-value-depth",
        args.otlp_max_value_depth.or(file.otlp_max_value_depth),
        work.max_value_depth,
    )?;
    if max_value_depth > MAX_NESTING as usize {
        return Err(ConfigError::Invalid {
            setting: "--otlp-max-value-depth",
            value: max_value_depth.to_string(),
            expected: "at most 100 (prost decodes no deeper)",
        });
    }
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
        work: WorkLimits {
            max_entries: positive(
                "--otlp-max-entries",
                args.otlp_max_entries.or(file.otlp_max_entries),
                work.max_entries,
            )?,
            max_decoded_bytes: positive(
                "--otlp-max-decoded-bytes",
                args.otlp_max_decoded_bytes.or(file.otlp_max_decoded_bytes),
                work.max_decoded_bytes,
            )?,
            max_attributes: positive(
                "--otlp-max-attributes",
                args.otlp_max_attributes.or(file.otlp_max_attributes),
                work.max_attributes,
            )?,
            max_value_depth,
        },
    })
}
