-- Write-offs: the residual variance of one provider and month that finance accepted, with why,
-- who and when. Writing off the same month again (after late data) replaces the figure; the
-- audit log keeps every one.
CREATE TABLE write_offs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    provider TEXT NOT NULL,
    month TEXT NOT NULL,
    variance_nanos BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by_user_id BIGINT,
    actor TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (org_id, provider, month)
);
