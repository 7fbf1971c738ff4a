-- Generated from deployments/sql by scripts/build-sql.js for bigbrotr: edit the source, not this file.
-- Cleanup: delete in batches until a batch deletes fewer rows than the batch size; return the total.

-- Metadata that no relay_metadata row references.
CREATE OR REPLACE FUNCTION orphan_metadata_delete(p_batch_size INTEGER DEFAULT 10000)
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
  total INTEGER := 0;
BEGIN
  -- why: a batch size below 1 (or NULL) would never end the loop.
  IF p_batch_size IS NULL OR p_batch_size < 1 THEN
    RAISE EXCEPTION 'p_batch_size must be at least 1, got %', p_batch_size USING ERRCODE = 'invalid_parameter_value';
  END IF;
  LOOP
    DELETE FROM metadata m
    WHERE (m.id, m.type) IN (
      SELECT o.id, o.type FROM metadata o
      WHERE NOT EXISTS (
        SELECT 1 FROM relay_metadata rm WHERE rm.metadata_id = o.id AND rm.metadata_type = o.type)
      LIMIT p_batch_size);
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    EXIT WHEN n < p_batch_size;
  END LOOP;
  RETURN total;
END
$$;

-- Events that no event_relay row references (events without provenance).
CREATE OR REPLACE FUNCTION orphan_event_delete(p_batch_size INTEGER DEFAULT 10000)
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
  n INTEGER;
  total INTEGER := 0;
BEGIN
  -- why: a batch size below 1 (or NULL) would never end the loop.
  IF p_batch_size IS NULL OR p_batch_size < 1 THEN
    RAISE EXCEPTION 'p_batch_size must be at least 1, got %', p_batch_size USING ERRCODE = 'invalid_parameter_value';
  END IF;
  LOOP
    DELETE FROM event e
    WHERE e.id IN (
      SELECT o.id FROM event o
      WHERE NOT EXISTS (SELECT 1 FROM event_relay er WHERE er.event_id = o.id)
      LIMIT p_batch_size);
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    EXIT WHEN n < p_batch_size;
  END LOOP;
  RETURN total;
END
$$;
