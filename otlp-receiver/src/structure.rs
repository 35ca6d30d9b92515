//! How much an OTLP protobuf export would cost to decode, measured on the wire before prost
//! allocates anything. Every empty entry is two bytes on the wire but a struct of a hundred or
//! more bytes in memory, and a packed varint of one byte becomes eight, so 32 MiB of such bytes
//! would take gigabytes. The walk follows the OTLP schema field by field (resource, scope,
//! record, attributes, values nested in values, data points, exemplars, buckets), counts the
//! entries of each level and adds up what prost would allocate for them.

use std::mem::size_of;

use opentelemetry_proto::tonic::common::v1 as common;
use opentelemetry_proto::tonic::logs::v1 as logs;
use opentelemetry_proto::tonic::metrics::v1 as metrics;
use opentelemetry_proto::tonic::resource::v1 as resource;
use opentelemetry_proto::tonic::trace::v1 as trace;

use crate::ReceiverError;
use crate::limits::{MAX_NESTING, WorkLimits};

/// The OTLP messages, as far as their cost is concerned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Export(Signal),
    Resourced(Signal),
    Scoped(Signal),
    Resource,
    EntityRef,
    Scope,
    LogRecord,
    Span,
    SpanEvent,
    SpanLink,
    SpanStatus,
    Metric,
    /// Gauge, sum, histogram, exponential histogram or summary: field 1 holds the points.
    MetricData(Point),
    Point(Point),
    Buckets,
    Quantile,
    Exemplar,
    KeyValue,
    AnyValue,
    ArrayValue,
    KeyValueList,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Signal {
    Logs,
    Metrics,
    Traces,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Point {
    Number,
    Histogram,
    Exponential,
    Summary,
}

/// What a field of a message holds, for the walk.
enum Field {
    Message(Kind),
    /// Text or bytes: a `String` or `Vec` and their length are allocated.
    Bytes,
    /// A repeated varint, packed or not: eight bytes per element once decoded (packed, a
    /// one-byte element becomes eight).
    Numbers,
    /// A repeated fixed64 or double, packed or not: eight bytes on the wire and in memory.
    Fixed,
}

/// The counted levels, by where their counts are kept (here and in [`crate::json`]).
pub(crate) const LEVELS: [&str; 5] = [
    "resource entries",
    "scope entries",
    "records",
    "metrics",
    "data points",
];

impl Kind {
    fn field(self, number: u64) -> Option<Field> {
        use Field::{Bytes, Fixed, Message as M, Numbers};
        Some(match (self, number) {
            (Kind::Export(signal), 1) => M(Kind::Resourced(signal)),
            (Kind::Resourced(_), 1) => M(Kind::Resource),
            (Kind::Resourced(signal), 2) => M(Kind::Scoped(signal)),
            (Kind::Resourced(_) | Kind::Scoped(_), 3) => Bytes,
            (Kind::Scoped(_), 1) => M(Kind::Scope),
            (Kind::Scoped(Signal::Logs), 2) => M(Kind::LogRecord),
            (Kind::Scoped(Signal::Traces), 2) => M(Kind::Span),
            (Kind::Scoped(Signal::Metrics), 2) => M(Kind::Metric),
            (Kind::Resource, 1) => M(Kind::KeyValue),
            (Kind::Resource, 3) => M(Kind::EntityRef),
            (Kind::EntityRef, 1..=4) => Bytes,
            (Kind::Scope, 1 | 2) => Bytes,
            (Kind::Scope, 3) => M(Kind::KeyValue),
            (Kind::LogRecord, 3 | 9 | 10 | 12) => Bytes,
            (Kind::LogRecord, 5) => M(Kind::AnyValue),
            (Kind::LogRecord, 6) => M(Kind::KeyValue),
            (Kind::Span, 1..=5) => Bytes,
            (Kind::Span, 9) => M(Kind::KeyValue),
            (Kind::Span, 11) => M(Kind::SpanEvent),
            (Kind::Span, 13) => M(Kind::SpanLink),
            (Kind::Span, 15) => M(Kind::SpanStatus),
            (Kind::SpanEvent, 2) => Bytes,
            (Kind::SpanEvent, 3) => M(Kind::KeyValue),
            (Kind::SpanLink, 1..=3) => Bytes,
            (Kind::SpanLink, 4) => M(Kind::KeyValue),
            (Kind::SpanStatus, 2) => Bytes,
            (Kind::Metric, 1..=3) => Bytes,
            (Kind::Metric, 5 | 7) => M(Kind::MetricData(Point::Number)),
            (Kind::Metric, 9) => M(Kind::MetricData(Point::Histogram)),
            (Kind::Metric, 10) => M(Kind::MetricData(Point::Exponential)),
            (Kind::Metric, 11) => M(Kind::MetricData(Point::Summary)),
            (Kind::Metric, 12) => M(Kind::KeyValue),
            (Kind::MetricData(point), 1) => M(Kind::Point(point)),
            (Kind::Point(Point::Number), 7) => M(Kind::KeyValue),
            (Kind::Point(Point::Number), 5) => M(Kind::Exemplar),
            (Kind::Point(Point::Histogram), 9) => M(Kind::KeyValue),
            (Kind::Point(Point::Histogram), 6 | 7) => Fixed,
            (Kind::Point(Point::Histogram), 8) => M(Kind::Exemplar),
            (Kind::Point(Point::Exponential), 1) => M(Kind::KeyValue),
            (Kind::Point(Point::Exponential), 8 | 9) => M(Kind::Buckets),
            (Kind::Point(Point::Exponential), 11) => M(Kind::Exemplar),
            (Kind::Point(Point::Summary), 7) => M(Kind::KeyValue),
            (Kind::Point(Point::Summary), 6) => M(Kind::Quantile),
            (Kind::Buckets, 2) => Numbers,
            (Kind::Exemplar, 7) => M(Kind::KeyValue),
            (Kind::Exemplar, 4 | 5) => Bytes,
            (Kind::KeyValue, 1) => Bytes,
            (Kind::KeyValue, 2) => M(Kind::AnyValue),
            (Kind::AnyValue, 1 | 7) => Bytes,
            (Kind::AnyValue, 5) => M(Kind::ArrayValue),
            (Kind::AnyValue, 6) => M(Kind::KeyValueList),
            (Kind::ArrayValue, 1) => M(Kind::AnyValue),
            (Kind::KeyValueList, 1) => M(Kind::KeyValue),
            _ => return None,
        })
    }

    /// What prost allocates for one of these, beyond its texts and numbers.
    fn size(self) -> usize {
        match self {
            Kind::Export(_) => 0,
            Kind::Resourced(Signal::Logs) => size_of::<logs::ResourceLogs>(),
            Kind::Resourced(Signal::Metrics) => size_of::<metrics::ResourceMetrics>(),
            Kind::Resourced(Signal::Traces) => size_of::<trace::ResourceSpans>(),
            Kind::Scoped(Signal::Logs) => size_of::<logs::ScopeLogs>(),
            Kind::Scoped(Signal::Metrics) => size_of::<metrics::ScopeMetrics>(),
            Kind::Scoped(Signal::Traces) => size_of::<trace::ScopeSpans>(),
            Kind::Resource => size_of::<resource::Resource>(),
            Kind::EntityRef => size_of::<common::EntityRef>(),
            Kind::Scope => size_of::<common::InstrumentationScope>(),
            Kind::LogRecord => size_of::<logs::LogRecord>(),
            Kind::Span => size_of::<trace::Span>(),
            Kind::SpanEvent => size_of::<trace::span::Event>(),
            Kind::SpanLink => size_of::<trace::span::Link>(),
            Kind::SpanStatus => size_of::<trace::Status>(),
            Kind::Metric => size_of::<metrics::Metric>(),
            Kind::MetricData(_) => size_of::<metrics::Histogram>(),
            Kind::Point(Point::Number) => size_of::<metrics::NumberDataPoint>(),
            Kind::Point(Point::Histogram) => size_of::<metrics::HistogramDataPoint>(),
            Kind::Point(Point::Exponential) => size_of::<metrics::ExponentialHistogramDataPoint>(),
            Kind::Point(Point::Summary) => size_of::<metrics::SummaryDataPoint>(),
            Kind::Buckets => size_of::<metrics::exponential_histogram_data_point::Buckets>(),
            Kind::Quantile => size_of::<metrics::summary_data_point::ValueAtQuantile>(),
            Kind::Exemplar => size_of::<metrics::Exemplar>(),
            Kind::KeyValue => size_of::<common::KeyValue>(),
            Kind::AnyValue => size_of::<common::AnyValue>(),
            Kind::ArrayValue => size_of::<common::ArrayValue>(),
            Kind::KeyValueList => size_of::<common::KeyValueList>(),
        }
    }

    /// The counted level this message is an entry of.
    fn level(self) -> Option<usize> {
        match self {
            Kind::Resourced(_) => Some(0),
            Kind::Scoped(_) => Some(1),
            Kind::LogRecord | Kind::Span => Some(2),
            Kind::Metric => Some(3),
            Kind::Point(_) => Some(4),
            _ => None,
        }
    }
}

/// Why the walk stopped.
enum Stop {
    Malformed,
    TooDeep,
    TooMany(&'static str),
    TooLarge,
}

struct Census {
    limits: WorkLimits,
    entries: [usize; 5],
    decoded_bytes: usize,
}

impl Census {
    fn charge(&mut self, bytes: usize) -> Result<(), Stop> {
        self.decoded_bytes = self.decoded_bytes.saturating_add(bytes);
        if self.decoded_bytes > self.limits.max_decoded_bytes {
            return Err(Stop::TooLarge);
        }
        Ok(())
    }

    fn walk(&mut self, mut bytes: &[u8], kind: Kind, depth: u32) -> Result<(), Stop> {
        if depth > MAX_NESTING {
            return Err(Stop::TooDeep);
        }
        if let Some(level) = kind.level() {
            self.entries[level] += 1;
            if self.entries[level] > self.limits.max_entries {
                return Err(Stop::TooMany(LEVELS[level]));
            }
        }
        self.charge(kind.size())?;
        while !bytes.is_empty() {
            let key = varint(&mut bytes).ok_or(Stop::Malformed)?;
            let (number, wire_type) = (key >> 3, key & 7);
            let field = kind.field(number);
            match wire_type {
                0 => {
                    varint(&mut bytes).ok_or(Stop::Malformed)?;
                    if let Some(Field::Numbers | Field::Fixed) = field {
                        self.charge(8)?;
                    }
                }
                1 | 5 => {
                    let width = if wire_type == 1 { 8 } else { 4 };
                    bytes = bytes.get(width..).ok_or(Stop::Malformed)?;
                    if let Some(Field::Numbers | Field::Fixed) = field {
                        self.charge(8)?;
                    }
                }
                2 => {
                    let length = varint(&mut bytes)
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or(Stop::Malformed)?;
                    let content = bytes.get(..length).ok_or(Stop::Malformed)?;
                    bytes = &bytes[length..];
                    match field {
                        Some(Field::Message(child)) => self.walk(content, child, depth + 1)?,
                        // Repeated strings (an entity's keys) are a `String` each, however short.
                        Some(Field::Bytes) => self.charge(size_of::<String>() + length)?,
                        // Packed: at most eight decoded bytes for each byte sent.
                        Some(Field::Numbers) => self.charge(length.saturating_mul(8))?,
                        Some(Field::Fixed) => self.charge(length)?,
                        None => {}
                    }
                }
                3 => skip_group(&mut bytes, number, 0).ok_or(Stop::Malformed)?,
                _ => return Err(Stop::Malformed),
            }
        }
        Ok(())
    }
}

/// Skips a (deprecated) group up to its end tag, as prost does for unknown fields.
fn skip_group(bytes: &mut &[u8], number: u64, depth: u32) -> Option<()> {
    if depth > MAX_NESTING {
        return None;
    }
    loop {
        let key = varint(bytes)?;
        let (inner, wire_type) = (key >> 3, key & 7);
        match wire_type {
            0 => {
                varint(bytes)?;
            }
            1 => *bytes = bytes.get(8..)?,
            5 => *bytes = bytes.get(4..)?,
            2 => {
                let length = usize::try_from(varint(bytes)?).ok()?;
                *bytes = bytes.get(length..)?;
            }
            3 => skip_group(bytes, inner, depth + 1)?,
            4 if inner == number => return Some(()),
            _ => return None,
        }
    }
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Walks `body` as an export of `signal`; refuses it (400, a permanent answer) when a level
/// holds more than the limits' entries, when decoding it would allocate more than their bytes,
/// when it nests deeper than [`MAX_NESTING`], or when it is not well-formed (prost would refuse
/// it too, but only after decoding every entry before the fault).
pub(crate) fn check(body: &[u8], signal: Signal, limits: &WorkLimits) -> Result<(), ReceiverError> {
    let mut census = Census {
        limits: *limits,
        entries: [0; 5],
        decoded_bytes: 0,
    };
    census.walk(body, Kind::Export(signal), 0).map_err(|stop| {
        ReceiverError::InvalidArgument(match stop {
            Stop::Malformed => "the protobuf body is malformed".to_owned(),
            Stop::TooDeep => {
                format!("the export nests values more than {MAX_NESTING} levels deep")
            }
            Stop::TooMany(what) => too_many(limits, what),
            Stop::TooLarge => too_large(limits),
        })
    })
}

/// The answer to an export with more entries at a level than the limits allow.
pub(crate) fn too_many(limits: &WorkLimits, what: &str) -> String {
    let max = limits.max_entries;
    format!("the export holds more than {max} {what}; send smaller batches")
}

/// The answer to an export that would take more to decode than the limits allow.
pub(crate) fn too_large(limits: &WorkLimits) -> String {
    let mib = limits.max_decoded_bytes / (1024 * 1024);
    format!("the export would take more than {mib} MiB to decode; send smaller batches")
}

#[cfg(test)]
mod tests;
