//! Telemetry keys: created with a name (the secret shown once), revoked, and checked on every
//! OTLP export.

use serde_json::json;

use super::Acting;
use crate::Error;
use crate::auth::secret;
use crate::storage::{NewTelemetryKey, Storage, TelemetryKey, now_ms};

/// Creates a key for the organisation; the secret is returned once and only its hash is kept.
pub async fn create_telemetry_key(
    storage: &dyn Storage,
    org_id: i64,
    name: &str,
    acting: &Acting,
) -> Result<(TelemetryKey, String), Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::Invalid(
            "a key name must have 1 to 100 characters".into(),
        ));
    }
    let key = secret::new_telemetry_key();
    let prefix = secret::display_prefix(&key);
    let new = NewTelemetryKey {
        org_id,
        name: name.to_owned(),
        prefix: prefix.clone(),
        key_hash: secret::hash(&key),
    };
    let audit = acting.entry(
        org_id,
        "telemetry_key.create",
        format!("telemetry key {prefix}… ({name})"),
        json!({ "name": name, "prefix": prefix }),
    );
    let created = storage.create_telemetry_key(&new, &audit).await?;
    Ok((created, key))
}

pub async fn revoke_telemetry_key(
    storage: &dyn Storage,
    org_id: i64,
    key_id: i64,
    acting: &Acting,
) -> Result<TelemetryKey, Error> {
    let not_found = || Error::NotFound(format!("no telemetry key {key_id} in this organisation"));
    let target = storage
        .telemetry_key(org_id, key_id)
        .await?
        .ok_or_else(not_found)?;
    let audit = acting.entry(
        org_id,
        "telemetry_key.revoke",
        format!("telemetry key {}… ({})", target.prefix, target.name),
        json!({ "name": target.name, "prefix": target.prefix }),
    );
    storage
        .revoke_telemetry_key(org_id, key_id, &audit)
        .await?
        .ok_or_else(not_found)
}

/// The live (unrevoked) telemetry key `key`, if it is one. Reads only: recording its use is
/// [`record_telemetry_key_use`], which the receiver throttles.
pub async fn authenticate_telemetry_key(
    storage: &dyn Storage,
    key: &str,
) -> Result<Option<TelemetryKey>, Error> {
    if !key.starts_with(secret::TELEMETRY_KEY_PREFIX) {
        return Ok(None);
    }
    Ok(storage.telemetry_key_by_hash(&secret::hash(key)).await?)
}

/// Records that key `id` was used now (to the minute).
pub async fn record_telemetry_key_use(storage: &dyn Storage, id: i64) -> Result<(), Error> {
    Ok(storage.touch_telemetry_key(id, now_ms(), 60_000).await?)
}
