//! Live telemetry keys remembered for a few seconds, so that a busy receiver does not look its
//! key up in the database for every export (thousands a second compete with the web UI's
//! queries for connections). Revoking or deleting a key in this process forgets every entry at
//! once; another replica sharing the database honours a revocation within [`KEY_CACHE_TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::telemetry_keys::TelemetryKey;

/// How long a looked-up key is trusted without asking the database again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
/// Keys remembered at most; past that the cache starts again empty (only keys that exist are
/// remembered, so guessing keys cannot fill it).
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    by_hash: Mutex<HashMap<String, (TelemetryKey, Instant)>>,
    /// Moved on by every `clear`: a lookup that began before a revocation must not put back
    /// what it read.
    generation: AtomicU64,
}

impl KeyCache {
    /// The live key with this hash, if it was looked up within the TTL.
    pub fn get(&self, key_hash: &str) -> Option<TelemetryKey> {
        let cache = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key_hash)
            .filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(key, _)| key.clone())
    }

    /// Where the cache is now, read before looking a key up in the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Remembers a key read from the database, unless the cache was cleared since
    /// `generation` was read.
    pub fn put(&self, generation: u64, key_hash: &str, key: &TelemetryKey) {
        let mut cache = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        if cache.len() >= MAX_KEYS {
            cache.clear();
        }
        cache.insert(key_hash.to_owned(), (key.clone(), Instant::now()));
    }

    /// Forgets every key: after a revocation or deletion.
    pub fn clear(&self) {
        let mut cache = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        cache.clear();
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
