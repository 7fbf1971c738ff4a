-- Generated from deployments/sql by scripts/build-sql.js for lilbrotr: edit the source, not this file.
-- tags_to_tagvalues: for every tag whose name (first element, as text) is exactly one character, 'name:value'
-- with the second element as text, in tag order, duplicates kept. The reference's function (release 6.6.9),
-- element for element: STRICT (NULL gives NULL), a tag without a value gives a NULL element, a non-string
-- name or value is taken as its JSON text, [] gives {}. Unlike the reference, tags that are not an array
-- give {} instead of an error (no valid event has them).
-- The parameter is unnamed as in the reference, so either side's init can replace the other's function; an
-- older BigBrotr schema named it, and a parameter name cannot be removed by CREATE OR REPLACE.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_proc
    WHERE oid = to_regprocedure('tags_to_tagvalues(jsonb)') AND proargnames IS NOT NULL
  ) THEN
    DROP FUNCTION tags_to_tagvalues(JSONB);
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION tags_to_tagvalues(JSONB)
RETURNS TEXT[]
LANGUAGE sql
IMMUTABLE
STRICT
PARALLEL SAFE
AS $$
  SELECT COALESCE(array_agg((t ->> 0) || ':' || (t ->> 1) ORDER BY ord), '{}'::TEXT[])
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof($1) = 'array' THEN $1 ELSE '[]'::JSONB END)
       WITH ORDINALITY AS x(t, ord)
  WHERE length(t ->> 0) = 1
$$;
