-- Grants. writer: read/write tables and execute functions (seeder, finder, validator, monitor,
-- synchronizer); reader: SELECT and EXECUTE only, plus pg_monitor (api, dvm, metrics exporter); refresher:
-- owns the materialized views so it can refresh them. Default privileges cover objects created later.
GRANT USAGE ON SCHEMA public TO writer, reader, refresher;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO writer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader, refresher;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO reader, refresher;
GRANT pg_monitor TO reader;

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reader, refresher;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO writer, reader, refresher;

-- The write functions run with the caller's rights, so reader's EXECUTE on them still cannot write.
DO $$
DECLARE
  v TEXT;
BEGIN
  FOR v IN SELECT matviewname FROM pg_matviews WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER MATERIALIZED VIEW %I OWNER TO refresher', v);
  END LOOP;
END
$$;
