//! Reading OTLP attributes the way real exporters send them: integers as numbers, as strings,
//! or as `stringValue`; empty values (`{}`) as absent.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

/// Attributes of a record, looked up first there and then on its resource.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attrs<'a> {
    own: &'a [KeyValue],
    resource: &'a [KeyValue],
}

/// The largest token count one record may carry (a trillion): larger is not usage but a broken
/// or hostile exporter, and would overflow the sums.
pub(crate) const MAX_COUNT: u64 = 1_000_000_000_000;

/// A present attribute whose value is not what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadValue(pub String);

impl<'a> Attrs<'a> {
    pub fn new(own: &'a [KeyValue], resource: &'a [KeyValue]) -> Attrs<'a> {
        Attrs { own, resource }
    }

    fn value(&self, key: &str) -> Option<&'a Value> {
        let find = |list: &'a [KeyValue]| {
            list.iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| kv.value.as_ref())
                .and_then(|v: &AnyValue| v.value.as_ref())
        };
        find(self.own).or_else(|| find(self.resource))
    }

    /// A non-empty text value (numbers and booleans are written as text).
    pub fn text(&self, key: &str) -> Option<String> {
        let text = match self.value(key)? {
            Value::StringValue(s) => s.clone(),
            Value::IntValue(i) => i.to_string(),
            Value::DoubleValue(d) => d.to_string(),
            Value::BoolValue(b) => b.to_string(),
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    }

    /// A non-negative whole count, from an int, an integral double, or a numeric string.
    /// `Ok(None)` when absent or empty; `Err` when present but not a count.
    pub fn count(&self, key: &str) -> Result<Option<u64>, BadValue> {
        let bad =
            |shown: String| BadValue(format!("attribute {key} is {shown}, not a token count"));
        let count = self.any_count(key, &bad)?;
        match count {
            Some(n) if n > MAX_COUNT => Err(bad(format!("{n}, more than {MAX_COUNT}"))),
            other => Ok(other),
        }
    }

    fn any_count(
        &self,
        key: &str,
        bad: &dyn Fn(String) -> BadValue,
    ) -> Result<Option<u64>, BadValue> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::IntValue(i)) => u64::try_from(*i).map(Some).map_err(|_| bad(i.to_string())),
            Some(Value::StringValue(s)) if s.is_empty() => Ok(None),
            Some(Value::StringValue(s)) => s
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| bad(format!("`{s}`"))),
            Some(Value::DoubleValue(d)) if d.fract() == 0.0 && *d >= 0.0 && *d < 9.0e15 => {
                Ok(Some(d.to_string().parse().map_err(|_| bad(d.to_string()))?))
            }
            Some(other) => Err(bad(format!("{other:?}"))),
        }
    }

    /// A decimal number as text (for money), from a double (its shortest round-trip text), an
    /// int, or a numeric string. `Err` when present but not a finite number.
    pub fn number_text(&self, key: &str) -> Result<Option<String>, BadValue> {
        let bad = |shown: String| BadValue(format!("attribute {key} is {shown}, not a number"));
        match self.value(key) {
            None => Ok(None),
            Some(Value::DoubleValue(d)) if d.is_finite() => Ok(Some(format!("{d}"))),
            Some(Value::IntValue(i)) => Ok(Some(i.to_string())),
            Some(Value::StringValue(s)) if s.is_empty() => Ok(None),
            Some(Value::StringValue(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(bad(format!("{other:?}"))),
        }
    }
}
