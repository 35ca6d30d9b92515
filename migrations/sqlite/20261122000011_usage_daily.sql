-- Observed usage summed per (day, provider, tool, model, label): what the reconciliation reads. Kept
-- in the transaction that changes usage_rollups (adding each transaction's summed change), so a
-- month reads a few hundred rows rather than one per person. Money is BIGINT nano-dollars.
CREATE TABLE usage_daily (
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    day TEXT NOT NULL,
    provider TEXT NOT NULL,
    tool TEXT NOT NULL,
    model TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('reported', 'estimated')),
    records BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    reported_cost_nanos BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, provider, tool, model, label)
);

INSERT INTO usage_daily (org_id, day, provider, tool, model, label, records, input_tokens,
    cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
    reasoning_tokens, reported_cost_nanos)
SELECT org_id, day, provider, tool, model, label, CAST(SUM(records) AS BIGINT),
    CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(cache_read_tokens) AS BIGINT),
    CAST(SUM(cache_write_5m_tokens) AS BIGINT), CAST(SUM(cache_write_1h_tokens) AS BIGINT),
    CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(reasoning_tokens) AS BIGINT),
    CAST(SUM(reported_cost_nanos) AS BIGINT)
FROM usage_rollups
GROUP BY org_id, day, provider, tool, model, label;
