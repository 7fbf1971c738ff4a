-- Generated from deployments/sql by scripts/build-sql.js for lilbrotr: edit the source, not this file.
-- Indexes of the tables, and secondary indexes of the materialized views for their usual filters.
CREATE INDEX IF NOT EXISTS event_created_at_id_idx ON event (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS event_kind_created_at_idx ON event (kind, created_at DESC);
CREATE INDEX IF NOT EXISTS event_pubkey_created_at_idx ON event (pubkey, created_at DESC);
CREATE INDEX IF NOT EXISTS event_pubkey_kind_created_at_idx ON event (pubkey, kind, created_at DESC);
CREATE INDEX IF NOT EXISTS event_tagvalues_idx ON event USING GIN (tagvalues);

CREATE INDEX IF NOT EXISTS event_relay_seen_at_idx ON event_relay (seen_at DESC);
CREATE INDEX IF NOT EXISTS event_relay_relay_url_seen_at_idx ON event_relay (relay_url, seen_at, event_id);

CREATE INDEX IF NOT EXISTS relay_metadata_generated_at_idx ON relay_metadata (generated_at DESC);
CREATE INDEX IF NOT EXISTS relay_metadata_metadata_idx ON relay_metadata (metadata_id, metadata_type);
CREATE INDEX IF NOT EXISTS relay_metadata_relay_type_generated_at_idx
  ON relay_metadata (relay_url, metadata_type, generated_at DESC);

-- Validator candidates are selected by network.
CREATE INDEX IF NOT EXISTS service_state_network_idx ON service_state ((state_value ->> 'network'));

CREATE INDEX IF NOT EXISTS relay_metadata_latest_type_idx ON relay_metadata_latest (metadata_type);
CREATE INDEX IF NOT EXISTS relay_stats_network_idx ON relay_stats (network);
CREATE INDEX IF NOT EXISTS relay_stats_event_count_idx ON relay_stats (event_count DESC);
CREATE INDEX IF NOT EXISTS kind_counts_event_count_idx ON kind_counts (event_count DESC);
CREATE INDEX IF NOT EXISTS kind_counts_by_relay_relay_idx ON kind_counts_by_relay (relay_url);
CREATE INDEX IF NOT EXISTS pubkey_counts_event_count_idx ON pubkey_counts (event_count DESC);
CREATE INDEX IF NOT EXISTS pubkey_counts_by_relay_relay_idx ON pubkey_counts_by_relay (relay_url);
CREATE INDEX IF NOT EXISTS events_replaceable_latest_kind_idx ON events_replaceable_latest (kind);
CREATE INDEX IF NOT EXISTS events_addressable_latest_kind_idx ON events_addressable_latest (kind);
