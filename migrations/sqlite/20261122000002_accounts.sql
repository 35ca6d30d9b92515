-- Accounts: users, browser sessions, API tokens, first-owner setup tokens, and the audit log.
-- Secrets are never stored: passwords as argon2id hashes, tokens and session ids as SHA-256 hashes.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'viewer')),
    created_at_ms BIGINT NOT NULL,
    disabled_at_ms BIGINT
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at_ms BIGINT NOT NULL,
    last_seen_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    client_addr TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL,
    last_used_at_ms BIGINT,
    revoked_at_ms BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens (org_id);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT
);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    client_addr TEXT,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
