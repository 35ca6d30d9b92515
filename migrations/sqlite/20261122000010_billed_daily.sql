-- Billed lines summed per (day, provider, model, service tier), as the reconciliation reads
-- them: estimates left out, a line re-read by a reconnected provider's integration counted
-- once. Kept up to date in the transaction that writes or deletes lines, so reconciling a
-- month reads a few hundred rows rather than every line. Money is BIGINT nano-dollars; NULL
-- amount: no line of the group carries one.
CREATE TABLE billing_daily (
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    day TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    service_tier TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    amount_nanos BIGINT,
    PRIMARY KEY (org_id, day, provider, model, service_tier)
);

INSERT INTO billing_daily (org_id, day, provider, model, service_tier, input_tokens,
    cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
    reasoning_tokens, amount_nanos)
SELECT org_id, day, provider, model, service_tier, CAST(SUM(input_tokens) AS BIGINT),
    CAST(SUM(cache_read_tokens) AS BIGINT), CAST(SUM(cache_write_5m_tokens) AS BIGINT),
    CAST(SUM(cache_write_1h_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT),
    CAST(SUM(reasoning_tokens) AS BIGINT), CAST(SUM(amount_nanos) AS BIGINT)
FROM billing_lines
WHERE estimate = 0 AND NOT EXISTS (SELECT 1 FROM billing_lines newer
    WHERE newer.org_id = billing_lines.org_id AND newer.provider = billing_lines.provider
    AND newer.natural_key = billing_lines.natural_key
    AND newer.integration_id > billing_lines.integration_id)
GROUP BY org_id, day, provider, model, service_tier;
