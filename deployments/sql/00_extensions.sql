-- Extensions. pg_stat_statements only where the server preloads it; nothing fails without it.
CREATE EXTENSION IF NOT EXISTS btree_gin;

DO $$
BEGIN
  IF current_setting('shared_preload_libraries', true) LIKE '%pg_stat_statements%' THEN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  END IF;
END
$$;
