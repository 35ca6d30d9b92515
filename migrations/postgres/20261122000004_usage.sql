-- Observed usage from OTLP: one row per unit of usage (idempotent by key), daily rollups kept in
-- the same transaction, the scopes whose metrics events make redundant, and the last totals of
-- cumulative metric series. Tokens are BIGINT counts; money is BIGINT nano-dollars. The
-- idempotency key is 24 bytes: the usage time (big-endian nanoseconds) and a 128-bit hash.
CREATE TABLE usage_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    idempotency_key BYTEA NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'fallback', 'cumulative')),
    scope TEXT NOT NULL,
    counted BIGINT NOT NULL,
    occurred_at_ns BIGINT NOT NULL,
    day TEXT NOT NULL,
    tool TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    person TEXT NOT NULL,
    team TEXT NOT NULL,
    session_id TEXT,
    user_email TEXT,
    account_uuid TEXT,
    account_id TEXT,
    user_id TEXT,
    installation_id TEXT,
    tool_organization_id TEXT,
    department TEXT,
    input_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    reported_cost_nanos BIGINT,
    telemetry_key_id BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    UNIQUE (org_id, idempotency_key)
);
-- Finds the metric rows still counted in a scope when its first event arrives; events are never
-- looked up this way, so they stay out of the index.
CREATE INDEX usage_events_counted_metrics ON usage_events (org_id, scope)
    WHERE counted = 1 AND kind <> 'event';

CREATE TABLE usage_rollups (
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    day TEXT NOT NULL,
    provider TEXT NOT NULL,
    tool TEXT NOT NULL,
    model TEXT NOT NULL,
    person TEXT NOT NULL,
    team TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('reported', 'estimated')),
    records BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    reported_cost_nanos BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, provider, tool, model, person, team, label)
);

CREATE TABLE usage_scopes (
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    scope TEXT NOT NULL,
    covered_at_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, scope)
);

CREATE TABLE metric_series (
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    series TEXT NOT NULL,
    start_time_ns BIGINT NOT NULL,
    time_ns BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    reported_cost_nanos BIGINT,
    PRIMARY KEY (org_id, series)
);
