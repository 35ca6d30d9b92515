//! The wire census: real-sized exports pass, floods of entries, bytes that decode to much more,
//! and nesting past prost's limit are refused before anything is decoded.

use super::*;

const MAX_ENTRIES: usize = 200_000;
const LIMITS: WorkLimits = WorkLimits {
    max_entries: MAX_ENTRIES,
    max_decoded_bytes: 256 * 1024 * 1024,
    max_attributes: 1_000,
    max_value_depth: 20,
};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use prost::Message;

fn export(resources: usize, records: usize) -> Vec<u8> {
    ExportLogsServiceRequest {
        resource_logs: (0..resources)
            .map(|_| ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord::default(); records],
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            })
            .collect(),
    }
    .encode_to_vec()
}

/// A value nested `depth` arrays deep.
fn nested(depth: usize) -> AnyValue {
    let mut value = AnyValue {
        value: Some(any_value::Value::IntValue(1)),
    };
    for _ in 0..depth {
        value = AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: vec![value],
            })),
        };
    }
    value
}

fn with_body(body: AnyValue) -> Vec<u8> {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    body: Some(body),
                    ..LogRecord::default()
                }],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn real_sized_exports_pass_and_floods_of_entries_do_not() {
    assert!(check(&export(10, 8_192), Signal::Logs, &LIMITS).is_ok());
    assert!(check(&export(1, MAX_ENTRIES), Signal::Logs, &LIMITS).is_ok());
    let error = check(&export(1, MAX_ENTRIES + 1), Signal::Logs, &LIMITS).unwrap_err();
    assert!(
        error.to_string().contains("more than 200000 records"),
        "{error}"
    );
    // 2-byte empty resource entries, as a gzip bomb carries them.
    let flood = [0x0a, 0x00].repeat(MAX_ENTRIES + 1);
    let error = check(&flood, Signal::Logs, &LIMITS).unwrap_err();
    assert!(error.to_string().contains("resource entries"), "{error}");
    // Not a message at all, or a flood followed by garbage: refused before decoding.
    assert!(check(&[0xff, 0xff, 0xff], Signal::Logs, &LIMITS).is_err());
    let mut tail = [0x0a, 0x00].repeat(1000);
    tail.push(0x0a);
    assert!(check(&tail, Signal::Logs, &LIMITS).is_err());
}

#[test]
fn attributes_everywhere_are_charged_for_what_they_decode_to() {
    // One record with 4 million empty attributes: 8 MiB on the wire, a KeyValue each decoded.
    let record = [0x32, 0x00].repeat(4 * 1024 * 1024);
    let mut scope = vec![0x12];
    push_length(&mut scope, record.len());
    scope.extend_from_slice(&record);
    let mut resourced = vec![0x12];
    push_length(&mut resourced, scope.len());
    resourced.extend_from_slice(&scope);
    let mut body = vec![0x0a];
    push_length(&mut body, resourced.len());
    body.extend_from_slice(&resourced);
    let error = check(&body, Signal::Logs, &LIMITS).unwrap_err();
    assert!(error.to_string().contains("MiB to decode"), "{error}");
    // The same attributes in the resource: the same answer.
    let resource = [0x0a, 0x00].repeat(4 * 1024 * 1024);
    let mut resourced = vec![0x0a];
    push_length(&mut resourced, resource.len());
    resourced.extend_from_slice(&resource);
    let mut body = vec![0x0a];
    push_length(&mut body, resourced.len());
    body.extend_from_slice(&resourced);
    let error = check(&body, Signal::Logs, &LIMITS).unwrap_err();
    assert!(error.to_string().contains("MiB to decode"), "{error}");
}

/// `body` wrapped in the fields `path` names, innermost first.
fn wrapped(mut body: Vec<u8>, path: &[u8]) -> Vec<u8> {
    for &field in path {
        let mut outer = vec![field];
        push_length(&mut outer, body.len());
        outer.extend_from_slice(&body);
        body = outer;
    }
    body
}

#[test]
fn packed_varints_are_charged_eight_bytes_each_and_fixed_ones_as_sent() {
    // One exponential histogram point whose positive buckets hold 40 million one-byte counts:
    // 320 MiB once decoded. Buckets.2 → point.8 → exponential_histogram.1 → metric.10 → …
    let mut buckets = vec![0x12];
    push_length(&mut buckets, 40_000_000);
    buckets.extend(std::iter::repeat_n(0x01, 40_000_000));
    let body = wrapped(buckets, &[0x42, 0x0a, 0x52, 0x12, 0x12, 0x0a]);
    let error = check(&body, Signal::Metrics, &LIMITS).unwrap_err();
    assert!(error.to_string().contains("MiB to decode"), "{error}");
    // A histogram point with 32 MiB of packed fixed64 bucket counts: 32 MiB decoded, accepted.
    let mut counts = vec![0x32];
    push_length(&mut counts, 32 * 1024 * 1024);
    counts.extend(std::iter::repeat_n(0x00, 32 * 1024 * 1024));
    let body = wrapped(counts, &[0x0a, 0x4a, 0x12, 0x12, 0x0a]);
    assert!(check(&body, Signal::Metrics, &LIMITS).is_ok());
}

#[test]
fn repeated_empty_strings_are_charged_a_string_each() {
    // One entity reference with 32 million empty id keys (`1a 00`): 768 MiB of `String`s.
    let keys = [0x1a, 0x00].repeat(32 * 1024 * 1024);
    // EntityRef → Resource.3 → ResourceLogs.1 → export.1
    let body = wrapped(keys, &[0x1a, 0x0a, 0x0a]);
    let error = check(&body, Signal::Logs, &LIMITS).unwrap_err();
    assert!(error.to_string().contains("MiB to decode"), "{error}");
}

#[test]
fn nesting_is_bounded_where_prost_bounds_it() {
    let shallow = with_body(nested(20));
    assert!(check(&shallow, Signal::Logs, &LIMITS).is_ok());
    assert!(ExportLogsServiceRequest::decode(shallow.as_slice()).is_ok());
    let deep = with_body(nested(200));
    let error = check(&deep, Signal::Logs, &LIMITS).unwrap_err();
    assert!(error.to_string().contains("levels deep"), "{error}");
    assert!(ExportLogsServiceRequest::decode(deep.as_slice()).is_err());
}

#[test]
fn a_real_metrics_export_passes() {
    use opentelemetry_proto::tonic::metrics::v1::{
        Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
    };
    let point = NumberDataPoint {
        attributes: (0..10)
            .map(|n| KeyValue {
                key: format!("attribute.{n}"),
                value: Some(nested(0)),
                ..KeyValue::default()
            })
            .collect(),
        value: Some(number_data_point::Value::AsInt(5)),
        ..NumberDataPoint::default()
    };
    let body = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "claude_code.token.usage".into(),
                    data: Some(metric::Data::Sum(Sum {
                        data_points: vec![point; 8_192],
                        ..Sum::default()
                    })),
                    ..Metric::default()
                }],
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
    .encode_to_vec();
    assert!(check(&body, Signal::Metrics, &LIMITS).is_ok());
    assert!(check(&with_body(nested(3)), Signal::Logs, &LIMITS).is_ok());
}

fn push_length(out: &mut Vec<u8>, mut length: usize) {
    loop {
        let byte = u8::try_from(length & 0x7f).unwrap();
        length >>= 7;
        if length == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

proptest::proptest! {
    /// Whatever the bytes, the census never panics, and what prost decodes as an export with
    /// few entries is never refused (so the check only ever refuses earlier).
    #[test]
    fn any_bytes_are_counted_safely(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let verdict = check(&bytes, Signal::Logs, &LIMITS);
        if ExportLogsServiceRequest::decode(bytes.as_slice()).is_ok() {
            proptest::prop_assert!(verdict.is_ok());
        }
        let verdict = check(&bytes, Signal::Metrics, &LIMITS);
        if ExportMetricsServiceRequest::decode(bytes.as_slice()).is_ok() {
            proptest::prop_assert!(verdict.is_ok());
        }
        let _ = check(&bytes, Signal::Traces, &LIMITS);
    }
}

#[test]
fn the_limits_are_the_receiver_s_defaults_and_can_be_lowered() {
    assert_eq!(LIMITS, WorkLimits::default());
    let lower = WorkLimits {
        max_entries: 10,
        ..LIMITS
    };
    let error = check(&export(1, 11), Signal::Logs, &lower).unwrap_err();
    assert!(
        error.to_string().contains("more than 10 records"),
        "{error}"
    );
    let small = WorkLimits {
        max_decoded_bytes: 1024 * 1024,
        ..LIMITS
    };
    let error = check(&export(1, 8_192), Signal::Logs, &small).unwrap_err();
    assert!(error.to_string().contains("more than 1 MiB"), "{error}");
}
