-- Usage providers: the integrations an admin connects (credentials sealed by the vault: key id,
-- nonce and AES-256-GCM ciphertext; NULL once removed), the billing lines their syncs pull
-- (upserted by natural key, kept after removal), and a record of every sync run.
CREATE TABLE integrations (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL CHECK (kind IN ('anthropic', 'openai', 'cursor', 'github_copilot', 'gemini', 'windsurf', 'demo')),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'syncing', 'error', 'removed')),
    status_message TEXT,
    account TEXT NOT NULL,
    credential_hint TEXT,
    credential_key_id TEXT,
    credential_nonce BLOB,
    credential_ciphertext BLOB,
    created_at_ms BIGINT NOT NULL,
    created_by_user_id BIGINT,
    removed_at_ms BIGINT,
    last_success_at_ms BIGINT,
    complete_through TEXT,
    next_sync_at_ms BIGINT,
    claimed_until_ms BIGINT
);
CREATE INDEX integrations_org ON integrations (org_id);

CREATE TABLE billing_lines (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    integration_id BIGINT NOT NULL REFERENCES integrations (id),
    natural_key TEXT NOT NULL,
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    model TEXT NOT NULL,
    workspace TEXT NOT NULL,
    api_key TEXT NOT NULL,
    person TEXT NOT NULL,
    service_tier TEXT NOT NULL,
    description TEXT NOT NULL,
    cost_type TEXT NOT NULL CHECK (cost_type IN ('tokens', 'web_search', 'code_execution', 'seat', 'subscription', 'credits', 'other')),
    estimate BIGINT NOT NULL,
    source TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    amount_nanos BIGINT,
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (integration_id, natural_key)
);
CREATE INDEX billing_lines_org_day ON billing_lines (org_id, day);

CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    integration_id BIGINT NOT NULL REFERENCES integrations (id),
    kind TEXT NOT NULL CHECK (kind IN ('test', 'sync', 'backfill')),
    range_from TEXT NOT NULL,
    range_to TEXT NOT NULL,
    started_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT,
    requests BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    progress_through TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed')),
    message TEXT
);
CREATE INDEX sync_runs_integration ON sync_runs (integration_id, started_at_ms);
