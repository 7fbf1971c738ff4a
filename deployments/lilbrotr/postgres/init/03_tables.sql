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

DO $$
BEGIN
  FOR i IN 0..15 LOOP
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF event FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
      'event_p' || lpad(i::TEXT, 2, '0'), i);
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
  FOR i IN 0..15 LOOP
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF event_relay FOR VALUES WITH (MODULUS 16, REMAINDER %s) '
      'WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01, '
      'autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_cost_limit = 1000)',
      'event_relay_p' || lpad(i::TEXT, 2, '0'), i);
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
