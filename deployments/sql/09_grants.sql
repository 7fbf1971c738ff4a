-- Grants. writer: read/write tables and execute functions (seeder, finder, validator, monitor,
-- synchronizer); reader: SELECT and EXECUTE only, plus pg_monitor (api, metrics exporter); dvm: what reader
-- reads, and writes only its own service_state rows; refresher: owns the materialized views so it can
-- refresh them. Default privileges cover objects created later.
GRANT USAGE ON SCHEMA public TO writer, reader, refresher, dvm;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO writer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader, refresher, dvm;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO reader, refresher, dvm;
GRANT pg_monitor TO reader;
-- The DVM keeps its processed requests and the refresher its cleanup schedule in service_state (state
-- survives restarts), and every service its last cycle (`cycle` rows). Row-level security lets each of them write its own rows of that one table and
-- nothing else; writer keeps every row, everyone reads; reader writes nothing. (Superusers and the table
-- owner bypass the policies.)
ALTER TABLE service_state ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS service_state_read ON service_state;
CREATE POLICY service_state_read ON service_state FOR SELECT USING (true);
DROP POLICY IF EXISTS service_state_writer ON service_state;
CREATE POLICY service_state_writer ON service_state TO writer USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS service_state_dvm ON service_state;
CREATE POLICY service_state_dvm ON service_state TO dvm
  USING (service_name = 'dvm') WITH CHECK (service_name = 'dvm');
DROP POLICY IF EXISTS service_state_refresher ON service_state;
CREATE POLICY service_state_refresher ON service_state TO refresher
  USING (service_name = 'refresher') WITH CHECK (service_name = 'refresher');
GRANT INSERT, UPDATE, DELETE ON service_state TO dvm, refresher;
-- reader wrote the DVM's rows before the dvm role existed: take that back on an upgraded database
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM reader;
-- The refresher runs the orphan cleanups, which delete unreferenced events and metadata documents.
GRANT DELETE ON event, metadata TO refresher;

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reader, refresher, dvm;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO writer, reader, refresher, dvm;

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

-- The API and the DVM run in read-only transactions: every session of reader and dvm starts with
-- default_transaction_read_only (a role setting, so it holds behind PgBouncer too). The DVM opens its
-- state writes explicitly READ WRITE; the grants above, not this default, are what refuse reader's writes.
ALTER ROLE reader SET default_transaction_read_only = on;
ALTER ROLE dvm SET default_transaction_read_only = on;
