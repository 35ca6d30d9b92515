//! Live telemetry keys remembered for a few seconds, so that a busy receiver does not look its
//! key up in the database for every export (thousands a second compete with the web UI's
//! queries for connections). Revoking or deleting a key in this process forgets every entry at
//! once; another replica sharing the database honours a revocation within [`KEY_CACHE_TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
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

    pub fn put(&self, key_hash: &str, key: &TelemetryKey) {
        let mut cache = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_KEYS {
            cache.clear();
        }
        cache.insert(key_hash.to_owned(), (key.clone(), Instant::now()));
    }

    /// Forgets every key: after a revocation or deletion.
    pub fn clear(&self) {
        self.by_hash
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
