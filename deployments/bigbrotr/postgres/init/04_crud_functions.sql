-- Generated from deployments/sql by scripts/build-sql.js for bigbrotr: edit the source, not this file.
-- Level 1 functions: parallel arrays, one call = one batch = one transaction, ON CONFLICT DO NOTHING unless
-- stated, returning the number of rows inserted or affected. Rows are written in key order so that
-- concurrent writers take their locks in the same order.

CREATE OR REPLACE FUNCTION relay_insert(p_urls TEXT[], p_networks TEXT[], p_discovered_ats BIGINT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
BEGIN
  INSERT INTO relay (url, network, discovered_at)
  SELECT u, nw, d FROM unnest(p_urls, p_networks, p_discovered_ats) AS x(u, nw, d)
  ORDER BY u
  ON CONFLICT (url) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION event_insert(
  p_event_ids BYTEA[], p_pubkeys BYTEA[], p_created_ats BIGINT[], p_kinds INTEGER[], p_tags JSONB[],
  p_content_values TEXT[], p_sigs BYTEA[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
BEGIN
  INSERT INTO event (id, pubkey, created_at, kind, tags, tagvalues, content, sig)
  SELECT i, pk, ca, k, t, tags_to_tagvalues(t), c, s
  FROM unnest(p_event_ids, p_pubkeys, p_created_ats, p_kinds, p_tags, p_content_values, p_sigs)
       AS x(i, pk, ca, k, t, c, s)
  ORDER BY i
  ON CONFLICT (id) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION metadata_insert(p_ids BYTEA[], p_metadata_types TEXT[], p_data JSONB[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
BEGIN
  INSERT INTO metadata (id, type, data)
  SELECT i, t, d FROM unnest(p_ids, p_metadata_types, p_data) AS x(i, t, d)
  ORDER BY i, t
  ON CONFLICT (id, type) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION event_relay_insert(p_event_ids BYTEA[], p_relay_urls TEXT[], p_seen_ats BIGINT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
BEGIN
  INSERT INTO event_relay (event_id, relay_url, seen_at)
  SELECT e, r, s FROM unnest(p_event_ids, p_relay_urls, p_seen_ats) AS x(e, r, s)
  ORDER BY e, r
  ON CONFLICT (event_id, relay_url) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION relay_metadata_insert(
  p_relay_urls TEXT[], p_metadata_ids BYTEA[], p_metadata_types TEXT[], p_generated_ats BIGINT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
BEGIN
  INSERT INTO relay_metadata (relay_url, metadata_id, metadata_type, generated_at)
  SELECT r, i, t, g FROM unnest(p_relay_urls, p_metadata_ids, p_metadata_types, p_generated_ats) AS x(r, i, t, g)
  ORDER BY r, g, t
  ON CONFLICT (relay_url, generated_at, metadata_type) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- Last value per key wins within a batch; an existing row's value is replaced whole.
CREATE OR REPLACE FUNCTION service_state_upsert(
  p_service_names TEXT[], p_state_types TEXT[], p_state_keys TEXT[], p_state_values JSONB[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
BEGIN
  INSERT INTO service_state (service_name, state_type, state_key, state_value)
  SELECT DISTINCT ON (s, t, k) s, t, k, v
  FROM unnest(p_service_names, p_state_types, p_state_keys, p_state_values) WITH ORDINALITY AS x(s, t, k, v, ord)
  ORDER BY s, t, k, ord DESC
  ON CONFLICT (service_name, state_type, state_key) DO UPDATE SET state_value = EXCLUDED.state_value;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- One key, or every key of a service and state type ordered by key.
CREATE OR REPLACE FUNCTION service_state_get(p_service_name TEXT, p_state_type TEXT, p_state_key TEXT DEFAULT NULL)
RETURNS TABLE (state_key TEXT, state_value JSONB)
LANGUAGE sql
STABLE
AS $$
  SELECT s.state_key, s.state_value
  FROM service_state s
  WHERE s.service_name = p_service_name
    AND s.state_type = p_state_type
    AND (p_state_key IS NULL OR s.state_key = p_state_key)
  ORDER BY s.state_key
$$;

CREATE OR REPLACE FUNCTION service_state_delete(p_service_names TEXT[], p_state_types TEXT[], p_state_keys TEXT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
BEGIN
  DELETE FROM service_state s
  USING unnest(p_service_names, p_state_types, p_state_keys) AS x(sn, st, sk)
  WHERE s.service_name = x.sn AND s.state_type = x.st AND s.state_key = x.sk;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- Level 2: cascades insert the parents first, then the junction. Return the junction rows inserted.
CREATE OR REPLACE FUNCTION event_relay_insert_cascade(
  p_event_ids BYTEA[], p_pubkeys BYTEA[], p_created_ats BIGINT[], p_kinds INTEGER[], p_tags JSONB[],
  p_content_values TEXT[], p_sigs BYTEA[], p_relay_urls TEXT[], p_relay_networks TEXT[],
  p_relay_discovered_ats BIGINT[], p_seen_ats BIGINT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM relay_insert(p_relay_urls, p_relay_networks, p_relay_discovered_ats);
  PERFORM event_insert(p_event_ids, p_pubkeys, p_created_ats, p_kinds, p_tags, p_content_values, p_sigs);
  RETURN event_relay_insert(p_event_ids, p_relay_urls, p_seen_ats);
END
$$;

CREATE OR REPLACE FUNCTION relay_metadata_insert_cascade(
  p_relay_urls TEXT[], p_relay_networks TEXT[], p_relay_discovered_ats BIGINT[], p_metadata_ids BYTEA[],
  p_metadata_types TEXT[], p_metadata_data JSONB[], p_generated_ats BIGINT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM relay_insert(p_relay_urls, p_relay_networks, p_relay_discovered_ats);
  PERFORM metadata_insert(p_metadata_ids, p_metadata_types, p_metadata_data);
  RETURN relay_metadata_insert(p_relay_urls, p_metadata_ids, p_metadata_types, p_generated_ats);
END
$$;
