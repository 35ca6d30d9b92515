-- The Demo provider's marker on what it creates beyond its integration's own billing lines and
-- runs: its telemetry key (whose usage events are the demo's telemetry) and its write-off. A
-- purge deletes exactly these rows.
ALTER TABLE telemetry_keys ADD COLUMN demo_integration_id BIGINT;
ALTER TABLE write_offs ADD COLUMN demo_integration_id BIGINT;
