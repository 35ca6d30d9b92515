-- Prices an organisation adds or overrides over the built-in catalogue, and its reconciliation
-- tolerance. Prices are nano-dollars per million tokens (exact to 1e-9 USD per million); a kind
-- left NULL has no price. An override applies from its day on, retroactively to every estimate.
CREATE TABLE price_overrides (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('standard', 'batch', 'priority')),
    effective_from TEXT NOT NULL,
    input_nanos BIGINT,
    cache_read_nanos BIGINT,
    cache_write_5m_nanos BIGINT,
    cache_write_1h_nanos BIGINT,
    output_nanos BIGINT,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (org_id, provider, model, tier, effective_from)
);

CREATE TABLE reconciliation_settings (
    org_id BIGINT PRIMARY KEY REFERENCES organizations (id),
    tolerance_absolute_nanos BIGINT NOT NULL,
    tolerance_percent_micros BIGINT NOT NULL
);
