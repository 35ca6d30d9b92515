//! What the receiver allows one export and all of them together: sizes as sent and inflated,
//! exports under way, how long a body may take, and how much one export may hold.

/// Size and concurrency limits of the receiver.
#[derive(Clone, Copy, Debug)]
pub struct ReceiverLimits {
    /// Largest request body as sent (compressed or not).
    pub max_body_bytes: usize,
    /// Largest body after gzip decompression.
    pub max_decompressed_bytes: usize,
    /// Exports under way at the same time (from the key check to the answer); more are answered
    /// 503 / UNAVAILABLE with a retry delay.
    pub max_in_flight: usize,
    /// How many of those one organisation, or one client address, may hold.
    pub max_in_flight_share: usize,
    /// A body must have arrived within this after its headers.
    pub body_read_timeout: std::time::Duration,
    /// How much one export may hold.
    pub work: WorkLimits,
}

impl Default for ReceiverLimits {
    fn default() -> ReceiverLimits {
        ReceiverLimits {
            max_body_bytes: 8 * 1024 * 1024,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_in_flight: 64,
            max_in_flight_share: 16,
            body_read_timeout: std::time::Duration::from_secs(30),
            work: WorkLimits::default(),
        }
    }
}

/// How much one export may hold, checked before it is decoded (the first two: over them the
/// export is refused with 400) and per item while it is mapped (the last two: over them the item
/// is rejected in `partial_success`). The defaults are far above what the real CLIs and the
/// OpenTelemetry Collector (8,192 records a batch) send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkLimits {
    /// Entries at each level: resource entries, scope entries, records, metrics, data points.
    pub max_entries: usize,
    /// What decoding may allocate, estimated from the wire (for JSON, one record's value may
    /// take half of it while it is read).
    pub max_decoded_bytes: usize,
    /// Attributes of one record, data point or resource.
    pub max_attributes: usize,
    /// How deeply one attribute's value may nest arrays and maps (at most [`MAX_NESTING`]).
    pub max_value_depth: usize,
}

/// How deeply messages may nest at all (values in values in …): prost's own recursion limit.
pub const MAX_NESTING: u32 = 100;

impl Default for WorkLimits {
    fn default() -> WorkLimits {
        WorkLimits {
            max_entries: 200_000,
            max_decoded_bytes: 256 * 1024 * 1024,
            max_attributes: 1_000,
            max_value_depth: 20,
        }
    }
}
