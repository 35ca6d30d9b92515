-- A reconnected provider's backfill re-reads days its earlier integration stored; the
-- reconciliation counts a natural key once per provider, and finds the other copies here.
CREATE INDEX billing_lines_natural_key ON billing_lines (org_id, provider, natural_key);
