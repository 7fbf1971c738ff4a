-- Generated from deployments/sql by scripts/build-sql.js for lilbrotr: edit the source, not this file.
-- Roles of a production deployment. Roles belong to the cluster, so this runs safely for several databases.
-- No password is set here: passwords come from the environment (DB_WRITER_PASSWORD, DB_REFRESHER_PASSWORD,
-- DB_READER_PASSWORD, DB_DVM_PASSWORD), applied by `bigbrotr db init` or the Compose stack's init script,
-- never from files.
DO $$
DECLARE
  r TEXT;
BEGIN
  FOREACH r IN ARRAY ARRAY['writer', 'reader', 'refresher', 'dvm'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created concurrently by another database's init
      END;
    END IF;
  END LOOP;
END
$$;
