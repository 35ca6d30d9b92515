//! One record's JSON made readable by the proto crate without losing anything silently: nulls
//! out, odd attribute values kept as text, data points with non-numeric values taken out with a
//! reason.

use serde_json::Value;

/// Normalises one record (or resource, or scope) in place; returns how many data points it
/// holds, the ones taken out included.
pub(super) fn record(value: &mut Value, rejected: &mut Vec<String>) -> usize {
    remove_nulls(value);
    keep_odd_attribute_values(value);
    check_data_points(value, rejected)
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

/// Takes out number data points whose value or timestamps are not numbers, recording why;
/// returns how many points there were.
fn check_data_points(value: &mut Value, rejected: &mut Vec<String>) -> usize {
    let mut points_seen = 0;
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "dataPoints" {
                    if let Value::Array(points) = child {
                        points_seen += points.len();
                        points.retain(|point| match bad_point(point) {
                            Some(reason) => {
                                rejected.push(crate::model::capped(reason));
                                false
                            }
                            None => true,
                        });
                    }
                } else {
                    points_seen += check_data_points(child, rejected);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                points_seen += check_data_points(item, rejected);
            }
        }
        _ => {}
    }
    points_seen
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
