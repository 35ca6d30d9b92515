//! The streamed JSON decode reads what the whole-document decode read, and refuses floods of
//! entries and records too large to hold before they cost more than the budgets.

use super::*;

const MAX_ENTRIES: usize = 200_000;

fn read<T: Layout>(body: &[u8]) -> Result<(T, Vec<String>), ReceiverError> {
    decode(body, &WorkLimits::default())
}
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// A Collector-sized batch: `records` log records of 25 attributes each.
fn batch(records: usize) -> String {
    let attributes: Vec<String> = (0..25)
        .map(|n| format!(r#"{{"key":"attribute.{n}","value":{{"stringValue":"value {n}"}}}}"#))
        .collect();
    let record = format!(
        r#"{{"timeUnixNano":"1795314015846000000","body":{{"stringValue":"claude_code.api_request"}},"attributes":[{}]}}"#,
        attributes.join(",")
    );
    let records = vec![record; records].join(",");
    format!(
        r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"claude-code"}}}}]}},"scopeLogs":[{{"scope":{{"name":"com.anthropic.claude_code.events","version":"2.1.328"}},"logRecords":[{records}]}}],"schemaUrl":null}}]}}"#
    )
}

#[test]
fn a_collector_batch_reads_as_the_whole_document_did() {
    let body = batch(8_192);
    let (streamed, rejected): (ExportLogsServiceRequest, _) = read(body.as_bytes()).unwrap();
    assert!(rejected.is_empty());
    let mut whole: Value = serde_json::from_str(&body).unwrap();
    remove_nulls(&mut whole);
    let whole: ExportLogsServiceRequest = serde_json::from_value(whole).unwrap();
    assert_eq!(streamed, whole);
    assert_eq!(
        streamed.resource_logs[0].scope_logs[0].log_records.len(),
        8_192
    );
}

#[test]
fn floods_of_entries_are_refused_by_count() {
    let flood = format!(
        r#"{{"resourceLogs":[{}]}}"#,
        vec!["{}"; MAX_ENTRIES + 1].join(",")
    );
    let error = read::<ExportLogsServiceRequest>(flood.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the export holds more than 200000 resource entries; send smaller batches"
    );
    let spans = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        vec!["{}"; MAX_ENTRIES + 1].join(",")
    );
    let error = read::<ExportTraceServiceRequest>(spans.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("200000 records"), "{error}");
    // Points in several metrics (one metric's points are held at once, within its budget).
    let metric = format!(
        r#"{{"name":"m","sum":{{"dataPoints":[{}]}}}}"#,
        vec![r#"{"asInt":"1"}"#; MAX_ENTRIES / 4 + 1].join(",")
    );
    let points = format!(
        r#"{{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{}]}}]}}]}}"#,
        vec![metric; 4].join(",")
    );
    let error = read::<ExportMetricsServiceRequest>(points.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("200000 data points"), "{error}");
}

#[test]
fn a_record_too_large_to_hold_is_refused_while_it_is_read() {
    // Eight bytes of JSON, about 770 bytes held each: the 128 MiB of budget after ~175,000.
    let attributes = vec![r#"{"k":1}"#; 200_000].join(",");
    let body = format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"body":{{"kvlistValue":{{"values":[{attributes}]}}}}}}]}}]}}]}}"#
    );
    let error = read::<ExportLogsServiceRequest>(body.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("MiB to read"), "{error}");
}

#[test]
fn nulls_and_misspellings_read_as_before() {
    let (empty, _): (ExportLogsServiceRequest, _) =
        read(br#"{"resourceLogs":null,"other":[1,2]}"#).unwrap();
    assert!(empty.resource_logs.is_empty());
    let error = read::<ExportLogsServiceRequest>(br#"{"resource_logs":[]}"#).unwrap_err();
    assert!(error.to_string().contains("camelCase"), "{error}");
    let (both, _): (ExportLogsServiceRequest, _) =
        read(br#"{"resource_logs":[],"resourceLogs":[{}]}"#).unwrap();
    assert_eq!(both.resource_logs.len(), 1);
    let long = format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"droppedAttributesCount":"{}"}}]}}]}}]}}"#,
        "9".repeat(10_000)
    );
    let error = read::<ExportLogsServiceRequest>(long.as_bytes()).unwrap_err();
    assert!(error.to_string().chars().count() <= 141, "{error}");
    let error = read::<ExportLogsServiceRequest>(
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[null]}]}]}"#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("not an OTLP export"), "{error}");
    let error = read::<ExportLogsServiceRequest>(br#"{"resourceLogs":[}"#).unwrap_err();
    assert!(
        error.to_string().contains("JSON body is malformed"),
        "{error}"
    );
    let error = read::<ExportLogsServiceRequest>(br#"{"resourceLogs":[]} x"#).unwrap_err();
    assert!(
        error.to_string().contains("JSON body is malformed"),
        "{error}"
    );
}

#[test]
fn the_signal_of_a_posted_export_is_found_without_keeping_it() {
    assert_eq!(
        signal_of(br#"{"x":{"y":[1]},"resourceMetrics":[]}"#),
        Some("resourceMetrics")
    );
    assert_eq!(signal_of(br#"{"resourceSpans":[]}"#), Some("resourceSpans"));
    assert_eq!(signal_of(br#"{"x":1}"#), None);
    assert_eq!(
        signal_of(br#"{"resourceSpans":[],"resourceLogs":[]}"#),
        Some("resourceLogs")
    );
    assert_eq!(signal_of(b"[1]"), None);
}
