//! A metric series' identity, hashed as it is built: its family, its resource (which process or
//! machine sent it) and its attributes without the token type. Two processes reporting the same
//! attributes are two series, each with its own running totals.
//!
//! The stored keys hash the text `{family:?}␟{resource}␟{attributes}` (cumulative series ids
//! and idempotency keys are stored, so that text must not change). The resource's part is
//! hashed once per resource and family, and each point only adds its own attributes: a large
//! resource is never copied into every point's key.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use sha2::{Digest, Sha256};

use crate::model::IdempotencyKey;

/// The hashes of a series' text as far as its resource, for each stored key it makes.
#[derive(Clone)]
pub(super) struct SeriesStart {
    /// For idempotency keys: `metric␟` and the text.
    metric: Sha256,
    /// For cumulative series ids: `series␟` and the text.
    series: Sha256,
}

impl SeriesStart {
    pub fn new(family: &str, resource: &[KeyValue], type_key: &str) -> SeriesStart {
        let head = format!("{family}\u{1f}{}\u{1f}", text("r.", resource, type_key));
        let start = |prefix: &str| {
            let mut hasher = Sha256::new();
            hasher.update(prefix.as_bytes());
            hasher.update([0x1f]);
            hasher.update(head.as_bytes());
            hasher
        };
        SeriesStart {
            metric: start("metric"),
            series: start("series"),
        }
    }

    /// The series of a point with attributes `own`.
    pub fn point(&self, own: &[KeyValue], type_key: &str) -> Series {
        let tail = text("", own, type_key);
        let finish = |hasher: &Sha256| {
            let mut hasher = hasher.clone();
            hasher.update(tail.as_bytes());
            hasher.update([0x1f]);
            hasher
        };
        let series = finish(&self.series);
        let id = series.clone().finalize().into();
        Series {
            metric: finish(&self.metric),
            id,
        }
    }
}

/// One series: what names it in memory, and what its stored keys are made from.
pub(super) struct Series {
    metric: Sha256,
    id: [u8; 32],
}

impl Series {
    /// What tells series apart while an export is mapped.
    pub fn digest(&self) -> [u8; 32] {
        self.id
    }

    /// The stored cumulative series id (hex).
    pub fn id(&self) -> String {
        self.id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The idempotency key of the series' point from `start_ns` to `time_ns`.
    pub fn key(&self, start_ns: u64, time_ns: u64) -> IdempotencyKey {
        let mut hasher = self.metric.clone();
        for part in [start_ns.to_string(), time_ns.to_string()] {
            hasher.update(part.as_bytes());
            hasher.update([0x1f]);
        }
        IdempotencyKey::from_hash(time_ns, hasher)
    }
}

/// `key=value` pairs, sorted, without the token type.
fn text(prefix: &str, attrs: &[KeyValue], type_key: &str) -> String {
    let mut pairs: Vec<String> = attrs
        .iter()
        .filter(|kv| kv.key != type_key)
        .map(|kv| {
            format!(
                "{prefix}{}={:?}",
                kv.key,
                kv.value.as_ref().and_then(|v| v.value.as_ref())
            )
        })
        .collect();
    pairs.sort();
    pairs.join("\u{1f}")
}
