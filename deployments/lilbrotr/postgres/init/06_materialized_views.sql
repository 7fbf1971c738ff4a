-- Generated from deployments/sql by scripts/build-sql.js for lilbrotr: edit the source, not this file.
-- Statistics as materialized views, with the reference's names and columns (names, order and types of release
-- 6.6.9); docs/design/reference-compatibility.md lists where a computation differs and why. Each has a UNIQUE
-- index so it can be refreshed CONCURRENTLY, and is created WITH DATA so the first concurrent refresh works.
--
-- A view is (re)created through pg_temp.bigbrotr_matview: when a view of that name exists but its definition
-- is not this file's (an older release, or a database made by the reference), it is dropped and created
-- again, so that every view refresh works on every event the archive can store. Identical definitions are
-- left alone, so a second init changes nothing.
CREATE OR REPLACE FUNCTION pg_temp.bigbrotr_matview(p_name TEXT, p_query TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $f$
DECLARE
  v_check TEXT := 'bigbrotr_check_' || p_name;
  v_current TEXT;
  v_wanted TEXT;
BEGIN
  SELECT pg_get_viewdef(c.oid) INTO v_current
  FROM pg_class c WHERE c.oid = to_regclass(quote_ident(p_name)) AND c.relkind = 'm';
  IF v_current IS NOT NULL THEN
    -- the same query as a temporary view deparses the same way when the definitions are equal
    EXECUTE format('CREATE TEMPORARY VIEW %I AS %s', v_check, p_query);
    v_wanted := pg_get_viewdef(to_regclass('pg_temp.' || quote_ident(v_check)));
    EXECUTE format('DROP VIEW pg_temp.%I', v_check);
    IF v_current = v_wanted THEN
      RETURN;
    END IF;
    RAISE NOTICE 'materialized view % has another definition: recreating it (and the views built on it)', p_name;
    EXECUTE format('DROP MATERIALIZED VIEW %I CASCADE', p_name);
  END IF;
  EXECUTE format('CREATE MATERIALIZED VIEW %I AS %s WITH DATA', p_name, p_query);
END
$f$;

-- Index names are the reference's. An older BigBrotr schema named the unique indexes <view>_key: renamed (or
-- dropped where the reference's name exists too), so a view never carries two identical indexes.
DO $$
DECLARE
  v TEXT;
  old_name TEXT;
  new_name TEXT;
BEGIN
  FOR v, new_name IN SELECT * FROM (VALUES
    ('relay_metadata_latest', 'idx_relay_metadata_latest_pk'), ('event_stats', 'idx_event_stats_singleton_key'),
    ('kind_counts', 'idx_kind_counts_kind'), ('kind_counts_by_relay', 'idx_kind_counts_by_relay_composite'),
    ('pubkey_counts', 'idx_pubkey_counts_pubkey'), ('pubkey_counts_by_relay', 'idx_pubkey_counts_by_relay_composite'),
    ('network_stats', 'idx_network_stats_network'), ('event_daily_counts', 'idx_event_daily_counts_day'),
    ('events_replaceable_latest', 'idx_events_replaceable_latest_pk'),
    ('events_addressable_latest', 'idx_events_addressable_latest_pk'), ('relay_stats', 'idx_relay_stats_relay_url'),
    ('relay_software_counts', 'idx_relay_software_counts_composite'),
    ('supported_nip_counts', 'idx_supported_nip_counts_nip')) AS x(v, n)
  LOOP
    old_name := v || '_key';
    IF to_regclass(quote_ident(old_name)) IS NOT NULL THEN
      IF to_regclass(quote_ident(new_name)) IS NULL THEN
        EXECUTE format('ALTER INDEX %I RENAME TO %I', old_name, new_name);
      ELSE
        EXECUTE format('DROP INDEX %I', old_name);
      END IF;
    END IF;
  END LOOP;
END
$$;

-- Newest document per relay and metadata type.
SELECT pg_temp.bigbrotr_matview('relay_metadata_latest', $q$
SELECT DISTINCT ON (rm.relay_url, rm.metadata_type)
  rm.relay_url, rm.metadata_type, rm.generated_at, rm.metadata_id, m.data
FROM relay_metadata rm
JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
ORDER BY rm.relay_url, rm.metadata_type, rm.generated_at DESC
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_relay_metadata_latest_pk ON relay_metadata_latest (relay_url, metadata_type);

-- Whole-archive figures (one row). The time windows count created_at at or after now minus the window, as the
-- reference does (rounded up to a whole second, so the comparison stays on bigint: the same rows, no numeric
-- conversion per event); events_per_day is the reference's: events over the span in days (at least one day).
SELECT pg_temp.bigbrotr_matview('event_stats', $q$
SELECT
  1 AS singleton_key,
  count(*) AS event_count,
  count(DISTINCT pubkey) AS unique_pubkeys,
  count(DISTINCT kind) AS unique_kinds,
  min(created_at) AS earliest_event_timestamp,
  max(created_at) AS latest_event_timestamp,
  count(*) FILTER (WHERE kind IN (1, 2) OR kind BETWEEN 4 AND 44 OR kind BETWEEN 1000 AND 9999)
    AS regular_event_count,
  count(*) FILTER (WHERE kind IN (0, 3) OR kind BETWEEN 10000 AND 19999) AS replaceable_event_count,
  count(*) FILTER (WHERE kind BETWEEN 20000 AND 29999) AS ephemeral_event_count,
  count(*) FILTER (WHERE kind BETWEEN 30000 AND 39999) AS addressable_event_count,
  count(*) FILTER (WHERE created_at >= ceil(extract(epoch FROM now() - interval '1 hour'))::BIGINT)
    AS event_count_last_1h,
  count(*) FILTER (WHERE created_at >= ceil(extract(epoch FROM now() - interval '24 hours'))::BIGINT)
    AS event_count_last_24h,
  count(*) FILTER (WHERE created_at >= ceil(extract(epoch FROM now() - interval '7 days'))::BIGINT)
    AS event_count_last_7d,
  count(*) FILTER (WHERE created_at >= ceil(extract(epoch FROM now() - interval '30 days'))::BIGINT)
    AS event_count_last_30d,
  CASE WHEN max(created_at) > min(created_at)
    THEN round(count(*)::NUMERIC / GREATEST((max(created_at)::NUMERIC - min(created_at)) / 86400.0, 1), 2)
    ELSE count(*)::NUMERIC
  END AS events_per_day
FROM event
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_event_stats_singleton_key ON event_stats (singleton_key);

-- Per kind, with its NIP-01 class.
SELECT pg_temp.bigbrotr_matview('kind_counts', $q$
SELECT kind,
  count(*) AS event_count,
  count(DISTINCT pubkey) AS unique_pubkeys,
  CASE
    WHEN kind IN (1, 2) OR kind BETWEEN 4 AND 44 OR kind BETWEEN 1000 AND 9999 THEN 'regular'
    WHEN kind IN (0, 3) OR kind BETWEEN 10000 AND 19999 THEN 'replaceable'
    WHEN kind BETWEEN 20000 AND 29999 THEN 'ephemeral'
    WHEN kind BETWEEN 30000 AND 39999 THEN 'addressable'
    ELSE 'other'
  END AS category
FROM event
GROUP BY kind
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_kind_counts_kind ON kind_counts (kind);

SELECT pg_temp.bigbrotr_matview('kind_counts_by_relay', $q$
SELECT e.kind, er.relay_url, count(*) AS event_count, count(DISTINCT e.pubkey) AS unique_pubkeys
FROM event_relay er JOIN event e ON e.id = er.event_id
GROUP BY e.kind, er.relay_url
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_kind_counts_by_relay_composite ON kind_counts_by_relay (kind, relay_url);

SELECT pg_temp.bigbrotr_matview('pubkey_counts', $q$
SELECT encode(pubkey, 'hex') AS pubkey,
  count(*) AS event_count,
  count(DISTINCT kind) AS unique_kinds,
  min(created_at) AS first_event_timestamp,
  max(created_at) AS last_event_timestamp
FROM event
GROUP BY pubkey
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_pubkey_counts_pubkey ON pubkey_counts (pubkey);

-- Only pairs with at least two events (the singletons dominate and say little).
SELECT pg_temp.bigbrotr_matview('pubkey_counts_by_relay', $q$
SELECT er.relay_url, encode(e.pubkey, 'hex') AS pubkey,
  count(*) AS event_count,
  count(DISTINCT e.kind) AS unique_kinds,
  min(e.created_at) AS first_event_timestamp,
  max(e.created_at) AS last_event_timestamp
FROM event_relay er JOIN event e ON e.id = er.event_id
GROUP BY e.pubkey, er.relay_url
HAVING count(*) >= 2
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_pubkey_counts_by_relay_composite ON pubkey_counts_by_relay (pubkey, relay_url);

SELECT pg_temp.bigbrotr_matview('network_stats', $q$
SELECT r.network,
  count(DISTINCT r.url) AS relay_count,
  count(DISTINCT er.event_id) AS event_count,
  count(DISTINCT e.pubkey) AS unique_pubkeys,
  count(DISTINCT e.kind) AS unique_kinds
FROM relay r
LEFT JOIN event_relay er ON er.relay_url = r.url
LEFT JOIN event e ON e.id = er.event_id
GROUP BY r.network
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_network_stats_network ON network_stats (network);

-- Events per UTC day: the day is floor(created_at / 86400) days after 1970-01-01 (so -1 is 1969-12-31); an
-- event beyond the range of the date type counts under 'infinity' (or '-infinity'), so no stored event can
-- make the refresh fail.
SELECT pg_temp.bigbrotr_matview('event_daily_counts', $q$
SELECT CASE
    WHEN d.n > 2145042905 THEN 'infinity'::DATE
    WHEN d.n < -2440588 THEN '-infinity'::DATE
    ELSE DATE '1970-01-01' + d.n::INTEGER
  END AS day,
  count(*) AS event_count,
  count(DISTINCT e.pubkey) AS unique_pubkeys,
  count(DISTINCT e.kind) AS unique_kinds
FROM event e
CROSS JOIN LATERAL (
  SELECT e.created_at / 86400 - CASE WHEN e.created_at % 86400 < 0 THEN 1 ELSE 0 END AS n) d
GROUP BY 1
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_event_daily_counts_day ON event_daily_counts (day);

-- Newest replaceable event per (pubkey, kind): highest created_at, ties broken by the lowest id (NIP-01).
SELECT pg_temp.bigbrotr_matview('events_replaceable_latest', $q$
SELECT DISTINCT ON (pubkey, kind) id, pubkey, created_at, kind, tags, tagvalues, content, sig
FROM event
WHERE kind IN (0, 3) OR kind BETWEEN 10000 AND 19999
ORDER BY pubkey, kind, created_at DESC, id ASC
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_events_replaceable_latest_pk ON events_replaceable_latest (pubkey, kind);

-- Newest addressable event per (pubkey, kind, d_tag), ties broken by the lowest id. d_tag is the value of the
-- first tag named 'd' ('' when it has none or there is no such tag); where tags are not stored (lilbrotr) it
-- is read from the first 'd:' entry of tagvalues.
SELECT pg_temp.bigbrotr_matview('events_addressable_latest', $q$
SELECT DISTINCT ON (pubkey, kind, d_tag) id, pubkey, created_at, kind, tags, tagvalues, content, sig, d_tag
FROM (
  SELECT e.*, COALESCE(CASE
    WHEN jsonb_typeof(e.tags) = 'array' THEN (
      SELECT t ->> 1 FROM jsonb_array_elements(e.tags) WITH ORDINALITY AS x(t, ord)
      WHERE t ->> 0 = 'd' ORDER BY ord LIMIT 1)
    WHEN e.tags IS NULL THEN (
      SELECT substr(v, 3) FROM unnest(e.tagvalues) WITH ORDINALITY AS x(v, ord)
      WHERE v LIKE 'd:%' ORDER BY ord LIMIT 1)
  END, '') AS d_tag
  FROM event e
  WHERE e.kind BETWEEN 30000 AND 39999
) a
ORDER BY pubkey, kind, d_tag, created_at DESC, id ASC
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_events_addressable_latest_pk ON events_addressable_latest (pubkey, kind, d_tag);

-- Per relay: events seen there, mean latency of its last ten RTT checks (numeric values only), and what its
-- NIP-11 says.
SELECT pg_temp.bigbrotr_matview('relay_stats', $q$
WITH ev AS (
  SELECT er.relay_url,
    count(*) AS event_count,
    count(DISTINCT e.pubkey) AS unique_pubkeys,
    count(DISTINCT e.kind) AS unique_kinds,
    min(e.created_at) AS first_event_timestamp,
    max(e.created_at) AS last_event_timestamp
  FROM event_relay er JOIN event e ON e.id = er.event_id
  GROUP BY er.relay_url
),
rtt AS (
  SELECT relay_url,
    avg(CASE WHEN jsonb_typeof(data -> 'data' -> 'rtt_open') = 'number'
      THEN (data -> 'data' ->> 'rtt_open')::NUMERIC END) AS avg_rtt_open,
    avg(CASE WHEN jsonb_typeof(data -> 'data' -> 'rtt_read') = 'number'
      THEN (data -> 'data' ->> 'rtt_read')::NUMERIC END) AS avg_rtt_read,
    avg(CASE WHEN jsonb_typeof(data -> 'data' -> 'rtt_write') = 'number'
      THEN (data -> 'data' ->> 'rtt_write')::NUMERIC END) AS avg_rtt_write
  FROM (
    SELECT rm.relay_url, m.data,
      row_number() OVER (PARTITION BY rm.relay_url ORDER BY rm.generated_at DESC) AS rn
    FROM relay_metadata rm
    JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
    WHERE rm.metadata_type = 'nip66_rtt'
  ) last_checks
  WHERE rn <= 10
  GROUP BY relay_url
)
SELECT
  r.url AS relay_url, r.network, r.discovered_at,
  ev.first_event_timestamp, ev.last_event_timestamp,
  round(rtt.avg_rtt_open, 2) AS avg_rtt_open,
  round(rtt.avg_rtt_read, 2) AS avg_rtt_read,
  round(rtt.avg_rtt_write, 2) AS avg_rtt_write,
  COALESCE(ev.event_count, 0) AS event_count,
  COALESCE(ev.unique_pubkeys, 0) AS unique_pubkeys,
  COALESCE(ev.unique_kinds, 0) AS unique_kinds,
  n11.data -> 'data' ->> 'name' AS nip11_name,
  n11.data -> 'data' ->> 'software' AS nip11_software,
  n11.data -> 'data' ->> 'version' AS nip11_version
FROM relay r
LEFT JOIN ev ON ev.relay_url = r.url
LEFT JOIN rtt ON rtt.relay_url = r.url
LEFT JOIN relay_metadata_latest n11 ON n11.relay_url = r.url AND n11.metadata_type = 'nip11_info'
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_relay_stats_relay_url ON relay_stats (relay_url);

-- Software and version from each relay's latest NIP-11 ('unknown' version when absent or empty; relays with
-- no or an empty software string are left out).
SELECT pg_temp.bigbrotr_matview('relay_software_counts', $q$
SELECT data -> 'data' ->> 'software' AS software,
  COALESCE(NULLIF(data -> 'data' ->> 'version', ''), 'unknown') AS version,
  count(*) AS relay_count
FROM relay_metadata_latest
WHERE metadata_type = 'nip11_info' AND COALESCE(data -> 'data' ->> 'software', '') <> ''
GROUP BY 1, 2
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_relay_software_counts_composite ON relay_software_counts (software, version);

-- Relays per supported NIP: entries of supported_nips that are a whole number or a string of digits (as the
-- reference reads them), up to nine digits; a relay listing a NIP twice counts once.
SELECT pg_temp.bigbrotr_matview('supported_nip_counts', $q$
SELECT (nip #>> '{}')::INTEGER AS nip, count(DISTINCT relay_url) AS relay_count
FROM relay_metadata_latest,
  jsonb_array_elements(
    CASE WHEN jsonb_typeof(data -> 'data' -> 'supported_nips') = 'array'
      THEN data -> 'data' -> 'supported_nips' ELSE '[]'::JSONB END) AS nip
WHERE metadata_type = 'nip11_info'
  AND jsonb_typeof(nip) IN ('number', 'string')
  AND (nip #>> '{}') ~ '^[0-9]{1,9}$'
GROUP BY 1
$q$);
CREATE UNIQUE INDEX IF NOT EXISTS idx_supported_nip_counts_nip ON supported_nip_counts (nip);

DROP FUNCTION pg_temp.bigbrotr_matview(TEXT, TEXT);
