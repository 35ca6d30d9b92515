//! The per-item caps: an item over them is rejected with its reason, and the rest of the export
//! is still mapped.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::WorkLimits;

const MAX_ATTRIBUTES: usize = 1_000;
const MAX_VALUE_DEPTH: usize = 20;

fn map_logs(request: &ExportLogsServiceRequest) -> crate::Mapped {
    super::map_logs(request, &WorkLimits::default())
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.to_owned()))
}

/// A Claude Code request of 10 input and 2 output tokens, plus `extra` attributes.
fn request(session: &str, extra: Vec<KeyValue>) -> LogRecord {
    let mut attributes = vec![
        text("event.name", "api_request"),
        text("session.id", session),
        text("model", "claude-sonnet-4-5"),
        text("input_tokens", "10"),
        text("output_tokens", "2"),
    ];
    attributes.extend(extra);
    LogRecord {
        time_unix_nano: 1_795_314_015_846_000_000,
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(
                "claude_code.api_request".into(),
            )),
        }),
        attributes,
        ..LogRecord::default()
    }
}

fn export(resource: Vec<KeyValue>, records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: resource,
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}

fn nested(depth: usize) -> any_value::Value {
    let mut value = any_value::Value::IntValue(1);
    for _ in 1..depth {
        value = any_value::Value::ArrayValue(ArrayValue {
            values: vec![AnyValue { value: Some(value) }],
        });
    }
    value
}

#[test]
fn a_record_over_the_caps_is_rejected_alone() {
    let many: Vec<KeyValue> = (0..MAX_ATTRIBUTES)
        .map(|n| text(&format!("extra.{n}"), "x"))
        .collect();
    let at_cap = many[..MAX_ATTRIBUTES - 5].to_vec();
    let records = vec![
        request("s1", many),
        request("s2", at_cap),
        request("s3", vec![kv("deep", nested(MAX_VALUE_DEPTH + 1))]),
        request("s4", vec![kv("deep", nested(MAX_VALUE_DEPTH))]),
    ];
    let mapped = map_logs(&export(vec![], records));
    let sessions: Vec<_> = mapped
        .records
        .iter()
        .filter_map(|r| r.session_id.as_deref())
        .collect();
    assert_eq!(sessions, ["s2", "s4"]);
    let reasons: Vec<_> = mapped.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "a log record has 1005 attributes, more than 1000",
            "an attribute of a log record nests values more than 20 deep",
        ]
    );
}

#[test]
fn a_resource_over_the_caps_rejects_its_records_and_no_other() {
    let many: Vec<KeyValue> = (0..=MAX_ATTRIBUTES)
        .map(|n| text(&format!("host.{n}"), "x"))
        .collect();
    let mut request_export = export(many, vec![request("s1", vec![]), request("s2", vec![])]);
    let good = export(
        vec![text("service.name", "claude-code")],
        vec![request("s3", vec![])],
    );
    request_export.resource_logs.extend(good.resource_logs);
    let mapped = map_logs(&request_export);
    assert_eq!(mapped.records.len(), 1);
    assert_eq!(mapped.rejected.len(), 2);
    assert_eq!(
        mapped.rejected[0].reason,
        "the resource of a log record has 1001 attributes, more than 1000"
    );
}

#[test]
fn a_record_reads_its_own_attribute_before_the_resource_s_first() {
    let resource = vec![text("model", "claude-opus-4-1"), text("model", "other")];
    let mut record = request("s1", vec![]);
    record.attributes.retain(|kv| kv.key != "model");
    let mapped = map_logs(&export(resource.clone(), vec![record]));
    assert_eq!(mapped.records[0].model, "claude-opus-4-1");
    let mapped = map_logs(&export(resource, vec![request("s2", vec![])]));
    assert_eq!(mapped.records[0].model, "claude-sonnet-4-5");
}

#[test]
fn a_record_reckon_does_not_read_is_skipped_whatever_its_attributes() {
    let mut other = request("s1", vec![]);
    other.body = None;
    other.attributes = (0..=MAX_ATTRIBUTES)
        .map(|n| text(&format!("app.{n}"), "x"))
        .collect();
    let mapped = map_logs(&export(vec![], vec![other, request("s2", vec![])]));
    assert_eq!(mapped.records.len(), 1);
    assert!(mapped.rejected.is_empty(), "{:?}", mapped.rejected);
}
