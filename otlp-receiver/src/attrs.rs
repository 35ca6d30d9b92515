//! Reading OTLP attributes the way real exporters send them: integers as numbers, as strings,
//! or as `stringValue`; empty values (`{}`) as absent. Also the per-item caps: how many
//! attributes one item may carry and how deeply its values may nest.

use std::collections::HashMap;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

use crate::limits::WorkLimits;

/// Why an item's attributes are over the per-item caps of `limits`, if they are: more
/// attributes than it allows (real items carry a few dozen), or a value nesting arrays and maps
/// deeper.
pub(crate) fn over_caps(
    attributes: &[KeyValue],
    item: &str,
    limits: &WorkLimits,
) -> Option<String> {
    let (max, cap) = (limits.max_attributes, limits.max_value_depth);
    if attributes.len() > max {
        return Some(format!(
            "{item} has {} attributes, more than {max}",
            attributes.len()
        ));
    }
    attributes
        .iter()
        .any(|kv| kv.value.as_ref().is_some_and(|v| depth(v, 0, cap) > cap))
        .then(|| format!("an attribute of {item} nests values more than {cap} deep"))
}

/// How deeply `value` nests (a scalar is 1); stops counting past `cap`.
fn depth(value: &AnyValue, above: usize, cap: usize) -> usize {
    if above > cap {
        return above;
    }
    match &value.value {
        Some(Value::ArrayValue(array)) => array
            .values
            .iter()
            .map(|v| depth(v, above + 1, cap))
            .max()
            .unwrap_or(above + 1),
        Some(Value::KvlistValue(list)) => list
            .values
            .iter()
            .filter_map(|kv| kv.value.as_ref())
            .map(|v| depth(v, above + 1, cap))
            .max()
            .unwrap_or(above + 1),
        _ => above + 1,
    }
}

/// A resource's attributes by key (the first of a repeated key, as a scan would find), built
/// once per resource so that each record's lookups do not scan it again.
#[derive(Debug, Default)]
pub(crate) struct ResourceAttrs<'a> {
    pub list: &'a [KeyValue],
    by_key: HashMap<&'a str, Option<&'a Value>>,
}

impl<'a> ResourceAttrs<'a> {
    pub fn new(list: &'a [KeyValue]) -> ResourceAttrs<'a> {
        let mut by_key = HashMap::with_capacity(list.len());
        for kv in list {
            by_key
                .entry(kv.key.as_str())
                .or_insert_with(|| kv.value.as_ref().and_then(|v: &AnyValue| v.value.as_ref()));
        }
        ResourceAttrs { list, by_key }
    }
}

/// Attributes of a record, looked up first there and then on its resource.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attrs<'a> {
    own: &'a [KeyValue],
    resource: &'a ResourceAttrs<'a>,
}

/// The largest token count one record may carry (a trillion): larger is not usage but a broken
/// or hostile exporter, and would overflow the sums.
pub(crate) const MAX_COUNT: u64 = 1_000_000_000_000;

/// A present attribute whose value is not what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadValue(pub String);

impl<'a> Attrs<'a> {
    pub fn new(own: &'a [KeyValue], resource: &'a ResourceAttrs<'a>) -> Attrs<'a> {
        Attrs { own, resource }
    }

    fn value(&self, key: &str) -> Option<&'a Value> {
        let own = self
            .own
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v: &AnyValue| v.value.as_ref());
        own.or_else(|| self.resource.by_key.get(key).copied().flatten())
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
