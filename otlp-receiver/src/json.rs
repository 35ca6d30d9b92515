//! OTLP/JSON exports decoded one record at a time, within budgets.
//!
//! A whole document as a `serde_json::Value` costs 10–90× its size (a small object is a B-tree
//! node of about 600 bytes), so the export is streamed instead: resource and scope entries are
//! walked as they are read, and only one record (a log record, a span, a metric with its data
//! points) is held as a `Value` at a time, normalised and turned into its prost type. Entries are
//! counted per level and each `Value` node is charged against two budgets, the live record and
//! the whole export, so hostile JSON is refused before it costs more than the budgets.
//!
//! Normalising is needed because the JSON support of `opentelemetry-proto` silently drops data
//! in some shapes (a malformed number inside a data point decodes to "no value"; explicit `null`
//! on a scalar fails the whole request): nulls are removed (protobuf JSON reads them as
//! defaults), data points whose value or timestamp is not a number are taken out and counted as
//! rejected, and snake_case top-level keys are refused instead of read as empty.

mod layout;
mod normalise;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

pub(crate) use layout::Layout;
pub(crate) use normalise::remove_nulls;

use crate::ReceiverError;
use crate::limits::WorkLimits;
use crate::structure::{LEVELS, too_large, too_many};

/// Estimated cost of a `Value` node while held, of a non-empty object on top, and of each of its
/// entries (serde_json's map is a B-tree of 11-entry nodes).
const VALUE_NODE: usize = 32;
const VALUE_OBJECT: usize = 640;
const VALUE_ENTRY: usize = 64;
/// Estimated cost of a node once decoded into prost types.
const DECODED_NODE: usize = 64;

/// The counts and budgets of one export being read.
struct Census {
    limits: WorkLimits,
    entries: [Cell<usize>; 5],
    decoded: Cell<usize>,
    record_value: Cell<usize>,
    rejected: RefCell<Vec<String>>,
    /// Why reading stopped, when a limit did it (said without a position in the text).
    over: RefCell<Option<String>>,
}

impl Census {
    fn stop<E: de::Error>(&self, why: String) -> E {
        let error = E::custom(&why);
        *self.over.borrow_mut() = Some(why);
        error
    }

    fn count<E: de::Error>(&self, level: usize, by: usize) -> Result<(), E> {
        let cell = &self.entries[level];
        cell.set(cell.get().saturating_add(by));
        if cell.get() > self.limits.max_entries {
            return Err(self.stop(too_many(&self.limits, LEVELS[level])));
        }
        Ok(())
    }

    fn charge<E: de::Error>(&self, held: usize, text: usize) -> Result<(), E> {
        self.record_value
            .set(self.record_value.get().saturating_add(held + text));
        self.decoded
            .set(self.decoded.get().saturating_add(DECODED_NODE + text));
        // One record's value, while it is held, may take half the export's budget (a metric with
        // all its points is one record; at most one export per spare core is decoded at a time).
        let record_budget = self.limits.max_decoded_bytes / 2;
        if self.record_value.get() > record_budget {
            return Err(self.stop(format!(
                "one record of the export would take more than {} MiB to read; send smaller batches",
                record_budget / (1024 * 1024)
            )));
        }
        if self.decoded.get() > self.limits.max_decoded_bytes {
            return Err(self.stop(too_large(&self.limits)));
        }
        Ok(())
    }
}

/// A decoded JSON export and the data points normalising took out.
pub(crate) fn decode<T: Layout>(
    body: &[u8],
    limits: &WorkLimits,
) -> Result<(T, Vec<String>), ReceiverError> {
    let census = Census {
        limits: *limits,
        entries: Default::default(),
        decoded: Cell::default(),
        record_value: Cell::default(),
        rejected: RefCell::default(),
        over: RefCell::default(),
    };
    let mut reader = serde_json::Deserializer::from_slice(body);
    let result = ExportSeed::<T>(&census, PhantomData)
        .deserialize(&mut reader)
        .and_then(|export| reader.end().map(|()| export));
    match result {
        Ok(export) => Ok((export, census.rejected.take())),
        // What a client sent is quoted in serde's messages: never echoed whole.
        Err(error) => Err(ReceiverError::InvalidArgument(crate::model::capped(
            match census.over.take() {
                Some(why) => why,
                None if error.is_syntax() || error.is_eof() => {
                    format!("the JSON body is malformed: {error}")
                }
                None => format!("the JSON body is not an OTLP export: {error}"),
            },
        ))),
    }
}

const TOPS: [&str; 3] = ["resourceLogs", "resourceMetrics", "resourceSpans"];

/// Which top-level field a JSON export carries (`resourceLogs`, …), for exports posted to `/`;
/// read without keeping anything of the document.
pub(crate) fn signal_of(body: &[u8]) -> Option<&'static str> {
    struct TopLevel;
    impl<'de> Visitor<'de> for TopLevel {
        type Value = Option<&'static str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an OTLP/JSON export")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut seen = [false; 3];
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                for (seen, top) in seen.iter_mut().zip(TOPS) {
                    *seen |= key == top;
                }
            }
            // Logs, then metrics, then traces, whatever the order in the document.
            Ok(TOPS
                .into_iter()
                .zip(seen)
                .find_map(|(top, seen)| seen.then_some(top)))
        }
    }
    let mut reader = serde_json::Deserializer::from_slice(body);
    let found = de::Deserializer::deserialize_map(&mut reader, TopLevel).ok()?;
    reader.end().ok()?;
    found
}

/// The export object: its top-level array, walked entry by entry.
struct ExportSeed<'c, T>(&'c Census, PhantomData<T>);

impl<'de, T: Layout> DeserializeSeed<'de> for ExportSeed<'_, T> {
    type Value = T;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Layout> Visitor<'de> for ExportSeed<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP/JSON export object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let (mut resources, mut top, mut snake) = (Vec::new(), false, false);
        while let Some(key) = map.next_key::<String>()? {
            if key == T::TOP {
                top = true;
                resources =
                    map.next_value_seed(Many(self.0, 0, ResourceSeed::<T>(self.0, PhantomData)))?;
            } else {
                snake |= key == T::SNAKE;
                map.next_value::<IgnoredAny>()?;
            }
        }
        // Misspelt and nothing else: refused rather than read as an empty export.
        if snake && !top {
            return Err(self.0.stop(format!(
                "OTLP/JSON field names are camelCase: use `{}`, not `{}`",
                T::TOP,
                T::SNAKE
            )));
        }
        Ok(T::export(resources))
    }
}

/// A JSON array (or `null`, read as empty) of what `S` reads, counted at a level of [`LEVELS`].
struct Many<'c, S>(&'c Census, usize, S);

impl<'de, S: DeserializeSeed<'de> + Clone> DeserializeSeed<'de> for Many<'_, S> {
    type Value = Vec<S::Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Clone> Visitor<'de> for Many<'_, S> {
    type Value = Vec<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.2.clone())? {
            self.0.count(self.1, 1)?;
            items.push(item);
        }
        Ok(items)
    }
}

/// A resource entry: its resource, its scope entries and its schema URL.
struct ResourceSeed<'c, T>(&'c Census, PhantomData<T>);

impl<T> Clone for ResourceSeed<'_, T> {
    fn clone(&self) -> Self {
        ResourceSeed(self.0, PhantomData)
    }
}

impl<'de, T: Layout> DeserializeSeed<'de> for ResourceSeed<'_, T> {
    type Value = T::Resourced;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Layout> Visitor<'de> for ResourceSeed<'_, T> {
    type Value = T::Resourced;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource entry")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut resource, mut scopes, mut schema_url) = (None, Vec::new(), String::new());
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resource" => resource = map.next_value_seed(Item(self.0, PhantomData))?,
                "schemaUrl" => schema_url = map.next_value::<Option<String>>()?.unwrap_or_default(),
                key if key == T::SCOPES => {
                    scopes =
                        map.next_value_seed(Many(self.0, 1, ScopeSeed::<T>(self.0, PhantomData)))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(T::resourced(resource, scopes, schema_url))
    }
}

/// A scope entry: its scope, its records and its schema URL.
struct ScopeSeed<'c, T>(&'c Census, PhantomData<T>);

impl<T> Clone for ScopeSeed<'_, T> {
    fn clone(&self) -> Self {
        ScopeSeed(self.0, PhantomData)
    }
}

impl<'de, T: Layout> DeserializeSeed<'de> for ScopeSeed<'_, T> {
    type Value = T::Scoped;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Layout> Visitor<'de> for ScopeSeed<'_, T> {
    type Value = T::Scoped;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scope entry")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut scope, mut records, mut schema_url) = (None, Vec::new(), String::new());
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "scope" => scope = map.next_value_seed(Item(self.0, PhantomData))?,
                "schemaUrl" => schema_url = map.next_value::<Option<String>>()?.unwrap_or_default(),
                key if key == T::RECORDS => {
                    let found: Vec<Option<T::Record>> = map.next_value_seed(Many(
                        self.0,
                        T::RECORD_LEVEL,
                        Item(self.0, PhantomData),
                    ))?;
                    records = found
                        .into_iter()
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| de::Error::custom(format!("a null among {}", T::RECORDS)))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(T::scoped(scope, records, schema_url))
    }
}

/// One resource, scope or record: read as a budgeted `Value`, normalised, then decoded into its
/// prost type; `None` for `null`.
struct Item<'c, X>(&'c Census, PhantomData<X>);

impl<X> Clone for Item<'_, X> {
    fn clone(&self) -> Self {
        Item(self.0, PhantomData)
    }
}

impl<'de, X: DeserializeOwned> DeserializeSeed<'de> for Item<'_, X> {
    type Value = Option<X>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.record_value.set(0);
        let mut value = Budgeted(self.0).deserialize(d)?;
        if value.is_null() {
            return Ok(None);
        }
        let points = normalise::record(&mut value, &mut self.0.rejected.borrow_mut());
        self.0.count(4, points)?;
        serde_json::from_value(value)
            .map(Some)
            .map_err(de::Error::custom)
    }
}

/// A `Value`, charged node by node to the census as it is built.
#[derive(Clone, Copy)]
struct Budgeted<'c>(&'c Census);

impl<'de> DeserializeSeed<'de> for Budgeted<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Budgeted<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.charge(VALUE_NODE, 0)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.charge(VALUE_NODE, 0)?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.charge(VALUE_NODE, 0)?;
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.charge(VALUE_NODE, 0)?;
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.charge(VALUE_NODE, v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.0.charge(VALUE_NODE, v.len())?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.charge(VALUE_NODE, 0)?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.charge(VALUE_NODE, 0)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.charge(VALUE_NODE, 0)?;
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let first = if object.is_empty() { VALUE_OBJECT } else { 0 };
            self.0.charge(first + VALUE_ENTRY, key.len())?;
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}
