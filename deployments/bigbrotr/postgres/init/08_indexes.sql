-- Generated from deployments/sql by scripts/build-sql.js for bigbrotr: edit the source, not this file.
-- Indexes of the tables, and secondary indexes of the materialized views for their usual filters. Names are the
-- reference's where it has the same index, so an init on a database made by the reference adds no duplicate.
-- An older BigBrotr schema used other names: renamed (or dropped where the reference's name exists too).
DO $$
DECLARE
  old_name TEXT;
  new_name TEXT;
BEGIN
  FOR old_name, new_name IN SELECT * FROM (VALUES
    ('event_created_at_id_idx', 'idx_event_created_at_id'),
    ('event_kind_created_at_idx', 'idx_event_kind_created_at'),
    ('event_pubkey_created_at_idx', 'idx_event_pubkey_created_at'),
    ('event_pubkey_kind_created_at_idx', 'idx_event_pubkey_kind_created_at'),
    ('event_tagvalues_idx', 'idx_event_tagvalues'),
    ('event_relay_seen_at_idx', 'idx_event_relay_seen_at'),
    ('event_relay_relay_url_seen_at_idx', 'idx_event_relay_relay_url_seen_at_event_id'),
    ('relay_metadata_generated_at_idx', 'idx_relay_metadata_generated_at'),
    ('relay_metadata_metadata_idx', 'idx_relay_metadata_metadata_id_type'),
    ('relay_metadata_relay_type_generated_at_idx', 'idx_relay_metadata_relay_url_metadata_type_generated_at'),
    ('relay_metadata_latest_type_idx', 'idx_relay_metadata_latest_type'),
    ('relay_stats_network_idx', 'idx_relay_stats_network'),
    ('kind_counts_by_relay_relay_idx', 'idx_kind_counts_by_relay_relay'),
    ('pubkey_counts_by_relay_relay_idx', 'idx_pubkey_counts_by_relay_relay'),
    ('events_replaceable_latest_kind_idx', 'idx_events_replaceable_latest_kind'),
    ('events_addressable_latest_kind_idx', 'idx_events_addressable_latest_kind')) AS x(o, n)
  LOOP
    IF to_regclass(quote_ident(old_name)) IS NOT NULL THEN
      IF to_regclass(quote_ident(new_name)) IS NULL THEN
        EXECUTE format('ALTER INDEX %I RENAME TO %I', old_name, new_name);
      ELSE
        EXECUTE format('DROP INDEX %I', old_name);
      END IF;
    END IF;
  END LOOP;
  -- the older whole-table index is replaced by the reference's partial one (the validator's candidates only)
  DROP INDEX IF EXISTS service_state_network_idx;
END
$$;

CREATE INDEX IF NOT EXISTS idx_event_created_at_id ON event (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS idx_event_kind_created_at ON event (kind, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_event_pubkey_created_at ON event (pubkey, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_event_pubkey_kind_created_at ON event (pubkey, kind, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_event_tagvalues ON event USING GIN (tagvalues);

CREATE INDEX IF NOT EXISTS idx_event_relay_seen_at ON event_relay (seen_at DESC);
CREATE INDEX IF NOT EXISTS idx_event_relay_relay_url_seen_at_event_id ON event_relay (relay_url, seen_at, event_id);

CREATE INDEX IF NOT EXISTS idx_relay_metadata_generated_at ON relay_metadata (generated_at DESC);
CREATE INDEX IF NOT EXISTS idx_relay_metadata_metadata_id_type ON relay_metadata (metadata_id, metadata_type);
CREATE INDEX IF NOT EXISTS idx_relay_metadata_relay_url_metadata_type_generated_at
  ON relay_metadata (relay_url, metadata_type, generated_at DESC);

-- Validator candidates are selected by network.
CREATE INDEX IF NOT EXISTS idx_service_state_candidate_network ON service_state ((state_value ->> 'network'))
  WHERE service_name = 'validator' AND state_type = 'checkpoint';

CREATE INDEX IF NOT EXISTS idx_relay_metadata_latest_type ON relay_metadata_latest (metadata_type);
CREATE INDEX IF NOT EXISTS idx_relay_stats_network ON relay_stats (network);
CREATE INDEX IF NOT EXISTS relay_stats_event_count_idx ON relay_stats (event_count DESC);
CREATE INDEX IF NOT EXISTS kind_counts_event_count_idx ON kind_counts (event_count DESC);
CREATE INDEX IF NOT EXISTS idx_kind_counts_by_relay_relay ON kind_counts_by_relay (relay_url);
CREATE INDEX IF NOT EXISTS pubkey_counts_event_count_idx ON pubkey_counts (event_count DESC);
CREATE INDEX IF NOT EXISTS idx_pubkey_counts_by_relay_relay ON pubkey_counts_by_relay (relay_url);
CREATE INDEX IF NOT EXISTS idx_events_replaceable_latest_kind ON events_replaceable_latest (kind);
CREATE INDEX IF NOT EXISTS idx_events_addressable_latest_kind ON events_addressable_latest (kind);
