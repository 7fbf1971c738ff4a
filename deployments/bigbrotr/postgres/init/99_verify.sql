-- Generated from deployments/sql by scripts/build-sql.js for bigbrotr: edit the source, not this file.
-- Last step: fail the init loudly when an object the services need is missing.
DO $$
DECLARE
  missing TEXT[] := '{}';
  f TEXT;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'tags_to_tagvalues(jsonb)',
    'relay_insert(text[],text[],bigint[])',
    'event_insert(bytea[],bytea[],bigint[],integer[],jsonb[],text[],bytea[])',
    'metadata_insert(bytea[],text[],jsonb[])',
    'event_relay_insert(bytea[],text[],bigint[])',
    'relay_metadata_insert(text[],bytea[],text[],bigint[])',
    'service_state_upsert(text[],text[],text[],jsonb[])',
    'service_state_get(text,text,text)',
    'service_state_delete(text[],text[],text[])',
    'event_relay_insert_cascade(bytea[],bytea[],bigint[],integer[],jsonb[],text[],bytea[],text[],text[],bigint[],bigint[])',
    'relay_metadata_insert_cascade(text[],text[],bigint[],bytea[],text[],jsonb[],bigint[])',
    'orphan_metadata_delete(integer)',
    'orphan_event_delete(integer)',
    'all_statistics_refresh()'
  ] LOOP
    IF to_regprocedure(f) IS NULL THEN
      missing := missing || f;
    END IF;
  END LOOP;
  FOREACH f IN ARRAY ARRAY['relay', 'event', 'event_relay', 'metadata', 'relay_metadata', 'service_state'] LOOP
    IF to_regclass(f) IS NULL THEN
      missing := missing || f;
    END IF;
  END LOOP;
  -- Every materialized view needs a unique index (concurrent refresh) and its <view>_refresh().
  FOREACH f IN ARRAY ARRAY[
    'relay_metadata_latest', 'event_stats', 'relay_stats', 'kind_counts', 'kind_counts_by_relay', 'pubkey_counts',
    'pubkey_counts_by_relay', 'network_stats', 'relay_software_counts', 'supported_nip_counts', 'event_daily_counts',
    'events_replaceable_latest', 'events_addressable_latest'
  ] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = f) THEN
      missing := missing || f;
    ELSIF NOT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = to_regclass(f) AND indisunique) THEN
      missing := missing || ('unique index of ' || f);
    END IF;
    IF to_regprocedure(f || '_refresh()') IS NULL THEN
      missing := missing || (f || '_refresh()');
    END IF;
  END LOOP;
  IF cardinality(missing) > 0 THEN
    RAISE EXCEPTION 'schema incomplete, missing: %', array_to_string(missing, ', ');
  END IF;
END
$$;
