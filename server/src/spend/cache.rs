//! Attribution readings kept for reading again: a reading of a range is reused while the
//! organisation's usage counter and its price overrides are what they were when it was made,
//! so a repeated view of a month costs a lookup and a new export is seen at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reconciler::{Price, UtcDay};

use super::PricedUsage;
use crate::storage::UsageGroup;

/// How many readings are kept at most (a month by person of 5,000 people is about 2 MiB).
const ENTRIES: usize = 32;

/// What a reading is of: organisation, days and groups.
pub type ReadingKey = (i64, UtcDay, UtcDay, Vec<UsageGroup>);

#[derive(Debug)]
struct Reading {
    version: i64,
    overrides: Vec<Price>,
    rows: Arc<Vec<PricedUsage>>,
}

#[derive(Debug, Default)]
pub struct AttributionCache {
    readings: Mutex<HashMap<ReadingKey, Reading>>,
}

impl AttributionCache {
    /// The reading of `key`, if it was made at usage counter `version` with `overrides`.
    pub fn get(
        &self,
        key: &ReadingKey,
        version: i64,
        overrides: &[Price],
    ) -> Option<Arc<Vec<PricedUsage>>> {
        let readings = self.readings.lock().unwrap_or_else(|e| e.into_inner());
        readings
            .get(key)
            .filter(|r| r.version == version && r.overrides == overrides)
            .map(|r| Arc::clone(&r.rows))
    }

    /// Keeps a reading made at usage counter `version` (read before the reading began, so a
    /// change while it was made leaves it older than the counter and it is not used).
    pub fn put(
        &self,
        key: ReadingKey,
        version: i64,
        overrides: Vec<Price>,
        rows: Arc<Vec<PricedUsage>>,
    ) {
        let mut readings = self.readings.lock().unwrap_or_else(|e| e.into_inner());
        // Readings of the organisation made before this counter are of no more use.
        readings.retain(|k, r| k.0 != key.0 || r.version >= version);
        if readings.len() >= ENTRIES
            && let Some(oldest) = readings
                .iter()
                .min_by_key(|(_, r)| r.version)
                .map(|(k, _)| k.clone())
        {
            readings.remove(&oldest);
        }
        readings.insert(
            key,
            Reading {
                version,
                overrides,
                rows,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(org: i64) -> ReadingKey {
        let day = UtcDay::parse("2026-11-01").unwrap();
        (org, day, day, vec![UsageGroup::Person])
    }

    #[test]
    fn a_reading_serves_only_its_counter_and_overrides() {
        let cache = AttributionCache::default();
        let rows = Arc::new(Vec::new());
        cache.put(key(1), 7, Vec::new(), Arc::clone(&rows));
        assert!(cache.get(&key(1), 7, &[]).is_some());
        assert!(cache.get(&key(1), 8, &[]).is_none(), "usage changed since");
        assert!(cache.get(&key(2), 7, &[]).is_none(), "another organisation");
        let price = reconciler::Catalogue::built_in()
            .prices()
            .next()
            .unwrap()
            .clone();
        assert!(
            cache.get(&key(1), 7, &[price]).is_none(),
            "a price override since"
        );
    }

    #[test]
    fn the_cache_keeps_at_most_its_size() {
        let cache = AttributionCache::default();
        for org in 0..100 {
            cache.put(key(org), org, Vec::new(), Arc::new(Vec::new()));
        }
        let kept = cache.readings.lock().unwrap().len();
        assert_eq!(kept, ENTRIES);
        assert!(cache.get(&key(99), 99, &[]).is_some(), "the newest stays");
    }
}
