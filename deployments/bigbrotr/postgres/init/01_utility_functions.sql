-- Generated from deployments/sql by scripts/build-sql.js for bigbrotr: edit the source, not this file.
-- tags_to_tagvalues: for every tag whose name is exactly one character and that has a value, 'name:value'
-- (first value only), in tag order, duplicates kept. [] (or anything that is not an array) gives {}.
CREATE OR REPLACE FUNCTION tags_to_tagvalues(p_tags JSONB)
RETURNS TEXT[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
  SELECT COALESCE(array_agg((t ->> 0) || ':' || (t ->> 1) ORDER BY ord), '{}'::TEXT[])
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_tags) = 'array' THEN p_tags ELSE '[]'::JSONB END)
       WITH ORDINALITY AS x(t, ord)
  WHERE jsonb_typeof(t) = 'array'
    AND jsonb_typeof(t -> 0) = 'string'
    AND char_length(t ->> 0) = 1
    AND jsonb_typeof(t -> 1) = 'string'
$$;
