-- What attribution reads, kept in the transaction that stores usage so that a month by person
-- reads thousands of rows rather than hundreds of thousands of events or rollups.

-- Which person each tool account id is: the (id, email) pairs seen together in one stored usage
-- record (account_uuid, account_id or user_id beside user_email), so that one person's usage
-- under several ids is merged under the email. Empty values link nothing.
CREATE TABLE identity_links (
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    account_id TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (org_id, account_id, email)
);

INSERT INTO identity_links (org_id, account_id, email)
SELECT org_id, account_uuid, user_email FROM usage_events
    WHERE user_email <> '' AND account_uuid <> ''
UNION SELECT org_id, account_id, user_email FROM usage_events
    WHERE user_email <> '' AND account_id <> ''
UNION SELECT org_id, user_id, user_email FROM usage_events
    WHERE user_email <> '' AND user_id <> '';

-- The rollups summed per UTC month ('YYYY-MM'): a whole month of attribution reads these, priced
-- once per (provider, model) where the month has one price. Money is BIGINT nano-dollars.
CREATE TABLE usage_monthly (
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    month TEXT NOT NULL,
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
    PRIMARY KEY (org_id, month, provider, tool, model, person, team, label)
);

INSERT INTO usage_monthly (org_id, month, provider, tool, model, person, team, label, records,
    input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
    reasoning_tokens, reported_cost_nanos)
SELECT org_id, substr(day, 1, 7), provider, tool, model, person, team, label,
    CAST(SUM(records) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT),
    CAST(SUM(cache_read_tokens) AS BIGINT), CAST(SUM(cache_write_5m_tokens) AS BIGINT),
    CAST(SUM(cache_write_1h_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT),
    CAST(SUM(reasoning_tokens) AS BIGINT), CAST(SUM(reported_cost_nanos) AS BIGINT)
FROM usage_rollups
GROUP BY org_id, substr(day, 1, 7), provider, tool, model, person, team, label;

-- A counter per organisation that every change to its usage moves on (a stored export, a
-- rebuild, a purge), in the same transaction: a cached reading of the sums above is used only
-- while the counter still says what it said when the reading was made.
CREATE TABLE usage_versions (
    org_id BIGINT PRIMARY KEY REFERENCES organizations (id),
    version BIGINT NOT NULL
);
