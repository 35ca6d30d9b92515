-- Organisations: the tenants. Every table holding an organisation's data carries org_id.
-- Timestamps are Unix milliseconds (UTC) in BIGINT columns on both backends.
CREATE TABLE organizations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
