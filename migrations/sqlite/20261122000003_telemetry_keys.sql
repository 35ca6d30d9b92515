-- Telemetry keys: what developers' OTLP exporters authenticate with. Stored as SHA-256 hashes.
CREATE TABLE telemetry_keys (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL,
    last_used_at_ms BIGINT,
    revoked_at_ms BIGINT
);
CREATE INDEX telemetry_keys_org ON telemetry_keys (org_id);
