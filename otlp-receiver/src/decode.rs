//! Request bodies to OTLP messages: content type, gzip within limits, protobuf or JSON.
//!
//! The JSON support of `opentelemetry-proto` silently drops data in some shapes (a malformed
//! number inside a data point decodes to "no value"; explicit `null` on a scalar fails the whole
//! request). So JSON is first checked and normalised here: nulls are removed (protobuf JSON reads
//! them as defaults), data points whose value or timestamp is not a number are taken out and
//! counted as rejected, and snake_case top-level keys are refused instead of read as empty.

use std::io::Read;

use flate2::read::GzDecoder;
use prost::Message;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ReceiverError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    pub fn from_content_type(content_type: Option<&str>) -> Result<Encoding, ReceiverError> {
        let essence = content_type
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
            "application/json" => Ok(Encoding::Json),
            _ => Err(ReceiverError::UnsupportedMediaType(
                content_type.unwrap_or("(none)").chars().take(100).collect(),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Inflates a gzip body, refusing it as soon as it would exceed `limit` bytes (a gzip bomb is
/// never inflated whole).
pub(crate) fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, ReceiverError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    GzDecoder::new(body)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| ReceiverError::InvalidArgument(format!("the gzip body is corrupt: {e}")))?;
    if out.len() > limit {
        return Err(ReceiverError::TooLarge {
            limit,
            stage: "after decompression",
        });
    }
    Ok(out)
}

/// A decoded export and the data points the JSON check already took out.
pub(crate) struct Decoded<T> {
    pub message: T,
    pub rejected: Vec<String>,
}

/// The top-level field each signal's export has.
pub(crate) fn decode<T: Message + Default + DeserializeOwned>(
    body: &[u8],
    encoding: Encoding,
    top_level: &'static str,
) -> Result<Decoded<T>, ReceiverError> {
    match encoding {
        Encoding::Protobuf => {
            // Counted on the wire first: a flood of empty entries is refused before prost
            // allocates a struct for each.
            crate::structure::check(body, top_level == "resourceMetrics")?;
            T::decode(body)
                .map(|message| Decoded {
                    message,
                    rejected: Vec::new(),
                })
                .map_err(|e| {
                    ReceiverError::InvalidArgument(format!("the protobuf body is malformed: {e}"))
                })
        }
        Encoding::Json => {
            let mut value: Value = serde_json::from_slice(body).map_err(|e| {
                ReceiverError::InvalidArgument(format!("the JSON body is malformed: {e}"))
            })?;
            let rejected = normalise(&mut value, top_level)?;
            let message = serde_json::from_value(value).map_err(|e| {
                ReceiverError::InvalidArgument(format!("the JSON body is not an OTLP export: {e}"))
            })?;
            Ok(Decoded { message, rejected })
        }
    }
}

/// Which top-level field a JSON export carries (`resourceLogs`, …), for exports posted to `/`.
pub(crate) fn json_signal(body: &[u8]) -> Option<&'static str> {
    let value: Value = serde_json::from_slice(body).ok()?;
    ["resourceLogs", "resourceMetrics", "resourceSpans"]
        .into_iter()
        .find(|key| value.get(key).is_some())
}

fn normalise(value: &mut Value, top_level: &'static str) -> Result<Vec<String>, ReceiverError> {
    let Some(object) = value.as_object() else {
        return Err(ReceiverError::InvalidArgument(
            "the JSON body is not an object".into(),
        ));
    };
    let snake = top_level_snake(top_level);
    if object.contains_key(snake) && !object.contains_key(top_level) {
        return Err(ReceiverError::InvalidArgument(format!(
            "OTLP/JSON field names are camelCase: use `{top_level}`, not `{snake}`"
        )));
    }
    remove_nulls(value);
    keep_odd_attribute_values(value);
    let mut rejected = Vec::new();
    check_data_points(value, &mut rejected);
    Ok(rejected)
}

fn top_level_snake(top_level: &str) -> &'static str {
    match top_level {
        "resourceLogs" => "resource_logs",
        "resourceMetrics" => "resource_metrics",
        _ => "resource_spans",
    }
}

pub(crate) fn remove_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(remove_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_nulls),
        _ => {}
    }
}

/// Attribute values the proto crate cannot read (`"intValue": "12x"`, `"doubleValue": "NaN"`)
/// would fail the whole export; they are kept as text instead, so that the record using them is
/// rejected with its own reason and the rest of the export is stored.
fn keep_odd_attribute_values(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let odd_int = map.get("intValue").is_some_and(|v| {
                !matches!(v, Value::Number(n) if n.is_i64())
                    && v.as_str().is_none_or(|s| s.parse::<i64>().is_err())
            });
            let odd_double = map.get("doubleValue").is_some_and(|v| !v.is_number());
            for (odd, key) in [(odd_int, "intValue"), (odd_double, "doubleValue")] {
                if odd && let Some(v) = map.remove(key) {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    map.insert("stringValue".to_owned(), Value::String(text));
                }
            }
            map.values_mut().for_each(keep_odd_attribute_values);
        }
        Value::Array(items) => items.iter_mut().for_each(keep_odd_attribute_values),
        _ => {}
    }
}

/// Takes out number data points whose value or timestamps are not numbers, recording why.
fn check_data_points(value: &mut Value, rejected: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "dataPoints" {
                    if let Value::Array(points) = child {
                        points.retain(|point| match bad_point(point) {
                            Some(reason) => {
                                rejected.push(crate::model::capped(reason));
                                false
                            }
                            None => true,
                        });
                    }
                } else {
                    check_data_points(child, rejected);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| check_data_points(item, rejected)),
        _ => {}
    }
}

fn bad_point(point: &Value) -> Option<String> {
    let integer = |v: &Value| match v {
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::String(s) => s.parse::<i128>().is_ok(),
        _ => false,
    };
    for time in ["timeUnixNano", "startTimeUnixNano"] {
        if let Some(v) = point.get(time).filter(|v| !integer(v)) {
            return Some(format!("a data point's {time} is {v}, not a whole number"));
        }
    }
    if let Some(v) = point.get("asInt").filter(|v| !integer(v)) {
        return Some(format!("a data point's asInt is {v}, not a whole number"));
    }
    if let Some(v) = point.get("asDouble").filter(|v| !v.is_number()) {
        return Some(format!(
            "a data point's asDouble is {v}, not a finite number"
        ));
    }
    for field in ["sum", "count"] {
        if let Some(v) = point.get(field).filter(|v| !v.is_number() && !integer(v)) {
            return Some(format!("a data point's {field} is {v}, not a number"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use std::io::Write;

    #[test]
    fn refuses_a_gzip_bomb_without_inflating_it_whole() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 10 * 1024 * 1024]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 20_000);
        let error = gunzip(&bomb, 1024 * 1024).unwrap_err();
        assert!(matches!(error, ReceiverError::TooLarge { .. }), "{error}");
    }

    #[test]
    fn json_points_the_proto_crate_would_drop_are_rejected_with_a_reason() {
        let body = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{
            "aggregationTemporality":1,"isMonotonic":true,"dataPoints":[
              {"asInt":"5","timeUnixNano":"1"},
              {"asInt":"abc","timeUnixNano":"1"},
              {"asDouble":"NaN","timeUnixNano":"1"},
              {"asDouble":1.5,"timeUnixNano":"abc"}]}}]}]}]}"#;
        let decoded: Decoded<ExportMetricsServiceRequest> =
            decode(body, Encoding::Json, "resourceMetrics").unwrap();
        assert_eq!(decoded.rejected.len(), 3, "{:?}", decoded.rejected);
        let metric = &decoded.message.resource_metrics[0].scope_metrics[0].metrics[0];
        let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(sum)) = &metric.data
        else {
            panic!("the sum survived");
        };
        assert_eq!(sum.data_points.len(), 1);
    }

    #[test]
    fn snake_case_and_nulls_are_handled() {
        let error = decode::<ExportMetricsServiceRequest>(
            br#"{"resource_metrics":[]}"#,
            Encoding::Json,
            "resourceMetrics",
        )
        .err()
        .unwrap();
        assert!(error.to_string().contains("camelCase"));
        let ok = decode::<ExportMetricsServiceRequest>(
            br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","description":null}]}]}]}"#,
            Encoding::Json,
            "resourceMetrics",
        );
        assert!(ok.is_ok());
    }
}
