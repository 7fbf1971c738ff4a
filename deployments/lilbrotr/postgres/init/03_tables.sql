-- Generated from deployments/sql by scripts/build-sql.js for lilbrotr: edit the source, not this file.
-- Tables. Names, columns, types and keys are the reference's (release 6.6.9).
CREATE TABLE IF NOT EXISTS relay (
  url TEXT PRIMARY KEY,
  network TEXT NOT NULL,
  discovered_at BIGINT NOT NULL
);

-- lilbrotr keeps no tags, content or signature: the columns exist (same schema) but stay NULL.
CREATE TABLE IF NOT EXISTS event (
  id BYTEA NOT NULL,
  pubkey BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  kind INTEGER NOT NULL,
  tags JSONB,
  tagvalues TEXT[] NOT NULL,
  content TEXT,
  sig BYTEA,
  PRIMARY KEY (id)
) PARTITION BY HASH (id);

-- Partitions are named as the reference names them (event_p0 ... event_p15). An older BigBrotr schema named
-- them event_p00 ... event_p15: those are renamed (a catalog change, no data is moved).
DO $$
BEGIN
  FOR i IN 0..9 LOOP
    IF to_regclass('event_p0' || i) IS NOT NULL AND to_regclass('event_p' || i) IS NULL THEN
      EXECUTE format('ALTER TABLE %I RENAME TO %I', 'event_p0' || i, 'event_p' || i);
    END IF;
  END LOOP;
  FOR i IN 0..15 LOOP
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF event FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
      'event_p' || i, i);
  END LOOP;
END
$$;


CREATE TABLE IF NOT EXISTS event_relay (
  event_id BYTEA NOT NULL REFERENCES event (id) ON DELETE CASCADE,
  relay_url TEXT NOT NULL REFERENCES relay (url) ON DELETE CASCADE,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (event_id, relay_url)
) PARTITION BY HASH (event_id);

DO $$
BEGIN
  FOR i IN 0..9 LOOP
    IF to_regclass('event_relay_p0' || i) IS NOT NULL AND to_regclass('event_relay_p' || i) IS NULL THEN
      EXECUTE format('ALTER TABLE %I RENAME TO %I', 'event_relay_p0' || i, 'event_relay_p' || i);
    END IF;
  END LOOP;
  FOR i IN 0..15 LOOP
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF event_relay FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
      'event_relay_p' || i, i);
    -- set on existing partitions too (a reference-made database has its own values): idempotent
    EXECUTE format(
      'ALTER TABLE %I SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01, '
      'autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_cost_limit = 1000)',
      'event_relay_p' || i);
  END LOOP;
END
$$;

CREATE TABLE IF NOT EXISTS metadata (
  id BYTEA NOT NULL,
  type TEXT NOT NULL,
  data JSONB NOT NULL,
  PRIMARY KEY (id, type)
);

CREATE TABLE IF NOT EXISTS relay_metadata (
  relay_url TEXT NOT NULL REFERENCES relay (url) ON DELETE CASCADE,
  metadata_id BYTEA NOT NULL,
  metadata_type TEXT NOT NULL,
  generated_at BIGINT NOT NULL,
  PRIMARY KEY (relay_url, generated_at, metadata_type),
  FOREIGN KEY (metadata_id, metadata_type) REFERENCES metadata (id, type) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS service_state (
  service_name TEXT NOT NULL,
  state_type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  state_value JSONB NOT NULL DEFAULT '{}'::JSONB,
  PRIMARY KEY (service_name, state_type, state_key)
);
