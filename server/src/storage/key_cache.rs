//! Live telemetry keys remembered for a few seconds, so that a busy receiver does not look its
//! key up in the database for every export (thousands a second compete with the web UI's
//! queries for connections). Revoking or deleting a key in this process forgets every entry at
//! once; another replica sharing the database honours a revocation within [`KEY_CACHE_TTL`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::telemetry_keys::TelemetryKey;

/// How long a looked-up key is trusted without asking the database again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
/// Keys remembered at most; past that the cache starts again empty (only keys that exist are
/// remembered, so guessing keys cannot fill it).
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct KeyCache(Mutex<Entries>);

#[derive(Debug, Default)]
struct Entries {
    by_hash: HashMap<String, (TelemetryKey, Instant)>,
    /// Moved on by every `clear`: a lookup that began before a revocation must not put back
    /// what it read.
    generation: u64,
}

impl KeyCache {
    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live key with this hash, if it was looked up within the TTL.
    pub fn get(&self, key_hash: &str) -> Option<TelemetryKey> {
        self.entries()
            .by_hash
            .get(key_hash)
            .filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(key, _)| key.clone())
    }

    /// Where the cache is now, read before looking a key up in the database.
    pub fn generation(&self) -> u64 {
        self.entries().generation
    }

    /// Remembers a key read from the database, unless the cache was cleared since
    /// `generation` was read.
    pub fn put(&self, generation: u64, key_hash: &str, key: &TelemetryKey) {
        let mut entries = self.entries();
        if entries.generation != generation {
            return;
        }
        if entries.by_hash.len() >= MAX_KEYS {
            entries.by_hash.clear();
        }
        entries
            .by_hash
            .insert(key_hash.to_owned(), (key.clone(), Instant::now()));
    }

    /// Forgets every key: after a revocation or deletion.
    pub fn clear(&self) {
        let mut entries = self.entries();
        entries.generation += 1;
        entries.by_hash.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TelemetryKey {
        TelemetryKey {
            id: 1,
            org_id: 1,
            name: "laptops".into(),
            prefix: "rk_tel_abcd".into(),
            created_at_ms: 0,
            last_used_at_ms: None,
            revoked_at_ms: None,
        }
    }

    #[test]
    fn a_lookup_that_began_before_a_clear_does_not_put_its_key_back() {
        let cache = KeyCache::default();
        let before = cache.generation();
        cache.clear();
        cache.put(before, "hash", &key());
        assert_eq!(cache.get("hash"), None);
        cache.put(cache.generation(), "hash", &key());
        assert_eq!(cache.get("hash"), Some(key()));
        cache.clear();
        assert_eq!(cache.get("hash"), None);
    }
}
