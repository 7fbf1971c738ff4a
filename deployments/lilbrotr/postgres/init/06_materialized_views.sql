-- Generated from deployments/sql by scripts/build-sql.js for lilbrotr: edit the source, not this file.
-- Statistics as materialized views. Each has a UNIQUE index so it can be refreshed CONCURRENTLY; they are
-- created WITH DATA (empty on a new database) so the first concurrent refresh works.

-- Newest document per relay and metadata type.
CREATE MATERIALIZED VIEW IF NOT EXISTS relay_metadata_latest AS
SELECT DISTINCT ON (rm.relay_url, rm.metadata_type)
  rm.relay_url, rm.metadata_type, rm.generated_at, rm.metadata_id, m.data
FROM relay_metadata rm
JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
ORDER BY rm.relay_url, rm.metadata_type, rm.generated_at DESC
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS relay_metadata_latest_key ON relay_metadata_latest (relay_url, metadata_type);

-- Whole-archive figures (one row).
CREATE MATERIALIZED VIEW IF NOT EXISTS event_stats AS
WITH now_s AS (SELECT extract(epoch FROM now())::BIGINT AS t),
agg AS (
  SELECT
    count(*) AS event_count,
    count(DISTINCT pubkey) AS unique_pubkeys,
    count(DISTINCT kind) AS unique_kinds,
    min(created_at) AS earliest_created_at,
    max(created_at) AS latest_created_at,
    count(*) FILTER (WHERE kind IN (1, 2) OR kind BETWEEN 4 AND 44 OR kind BETWEEN 1000 AND 9999) AS regular_count,
    count(*) FILTER (WHERE kind IN (0, 3) OR kind BETWEEN 10000 AND 19999) AS replaceable_count,
    count(*) FILTER (WHERE kind BETWEEN 20000 AND 29999) AS ephemeral_count,
    count(*) FILTER (WHERE kind BETWEEN 30000 AND 39999) AS addressable_count,
    count(*) FILTER (WHERE created_at >= (SELECT t FROM now_s) - 3600) AS events_last_1h,
    count(*) FILTER (WHERE created_at >= (SELECT t FROM now_s) - 86400) AS events_last_24h,
    count(*) FILTER (WHERE created_at >= (SELECT t FROM now_s) - 7 * 86400) AS events_last_7d,
    count(*) FILTER (WHERE created_at >= (SELECT t FROM now_s) - 30 * 86400) AS events_last_30d
  FROM event
)
SELECT
  1 AS id,
  agg.*,
  agg.event_count - agg.regular_count - agg.replaceable_count - agg.ephemeral_count - agg.addressable_count
    AS other_count,
  round(agg.event_count::NUMERIC
    / GREATEST(1, ceil((COALESCE(agg.latest_created_at - agg.earliest_created_at, 0) + 1) / 86400.0)), 2)
    AS events_per_day
FROM agg
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS event_stats_key ON event_stats (id);

-- Per relay: events seen there, latency, and what its NIP-11 says.
CREATE MATERIALIZED VIEW IF NOT EXISTS relay_stats AS
WITH ev AS (
  SELECT er.relay_url,
    count(*) AS event_count,
    count(DISTINCT e.pubkey) AS unique_pubkeys,
    count(DISTINCT e.kind) AS unique_kinds,
    min(e.created_at) AS first_event_at,
    max(e.created_at) AS last_event_at
  FROM event_relay er JOIN event e ON e.id = er.event_id
  GROUP BY er.relay_url
),
rtt AS (
  SELECT relay_url,
    avg((data -> 'data' ->> 'rtt_open')::NUMERIC) AS avg_rtt_open,
    avg((data -> 'data' ->> 'rtt_read')::NUMERIC) AS avg_rtt_read,
    avg((data -> 'data' ->> 'rtt_write')::NUMERIC) AS avg_rtt_write
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
  ev.first_event_at, ev.last_event_at,
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
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS relay_stats_key ON relay_stats (relay_url);

-- Per kind, with its NIP-01 class.
CREATE MATERIALIZED VIEW IF NOT EXISTS kind_counts AS
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
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS kind_counts_key ON kind_counts (kind);

CREATE MATERIALIZED VIEW IF NOT EXISTS kind_counts_by_relay AS
SELECT e.kind, er.relay_url, count(*) AS event_count, count(DISTINCT e.pubkey) AS unique_pubkeys
FROM event_relay er JOIN event e ON e.id = er.event_id
GROUP BY e.kind, er.relay_url
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS kind_counts_by_relay_key ON kind_counts_by_relay (kind, relay_url);

CREATE MATERIALIZED VIEW IF NOT EXISTS pubkey_counts AS
SELECT encode(pubkey, 'hex') AS pubkey,
  count(*) AS event_count,
  count(DISTINCT kind) AS unique_kinds,
  min(created_at) AS first_created_at,
  max(created_at) AS last_created_at
FROM event
GROUP BY pubkey
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS pubkey_counts_key ON pubkey_counts (pubkey);

-- Only pairs with at least two events (the singletons dominate and say little).
CREATE MATERIALIZED VIEW IF NOT EXISTS pubkey_counts_by_relay AS
SELECT encode(e.pubkey, 'hex') AS pubkey, er.relay_url,
  count(*) AS event_count,
  count(DISTINCT e.kind) AS unique_kinds,
  min(e.created_at) AS first_created_at,
  max(e.created_at) AS last_created_at
FROM event_relay er JOIN event e ON e.id = er.event_id
GROUP BY e.pubkey, er.relay_url
HAVING count(*) >= 2
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS pubkey_counts_by_relay_key ON pubkey_counts_by_relay (pubkey, relay_url);

CREATE MATERIALIZED VIEW IF NOT EXISTS network_stats AS
SELECT r.network,
  count(DISTINCT r.url) AS relay_count,
  count(DISTINCT er.event_id) AS event_count,
  count(DISTINCT e.pubkey) AS unique_pubkeys,
  count(DISTINCT e.kind) AS unique_kinds
FROM relay r
LEFT JOIN event_relay er ON er.relay_url = r.url
LEFT JOIN event e ON e.id = er.event_id
GROUP BY r.network
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS network_stats_key ON network_stats (network);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_daily_counts AS
SELECT (to_timestamp(created_at) AT TIME ZONE 'UTC')::DATE AS day,
  count(*) AS event_count,
  count(DISTINCT pubkey) AS unique_pubkeys,
  count(DISTINCT kind) AS unique_kinds
FROM event
GROUP BY 1
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS event_daily_counts_key ON event_daily_counts (day);

-- Newest replaceable event per (pubkey, kind): highest created_at, ties broken by the lowest id.
CREATE MATERIALIZED VIEW IF NOT EXISTS events_replaceable_latest AS
SELECT DISTINCT ON (pubkey, kind) id, pubkey, created_at, kind, tags, tagvalues, content, sig
FROM event
WHERE kind IN (0, 3) OR kind BETWEEN 10000 AND 19999
ORDER BY pubkey, kind, created_at DESC, id ASC
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS events_replaceable_latest_key ON events_replaceable_latest (pubkey, kind);

-- Newest addressable event per (pubkey, kind, d_tag); d_tag is the first `d` tag's value or ''.
CREATE MATERIALIZED VIEW IF NOT EXISTS events_addressable_latest AS
SELECT DISTINCT ON (pubkey, kind, d_tag) id, pubkey, created_at, kind, d_tag, tags, tagvalues, content, sig
FROM (
  SELECT e.*, COALESCE((
    SELECT t ->> 1 FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(e.tags) = 'array' THEN e.tags ELSE '[]'::JSONB END) WITH ORDINALITY AS x(t, ord)
    WHERE jsonb_typeof(t) = 'array' AND t ->> 0 = 'd' AND t ->> 1 IS NOT NULL
    ORDER BY ord LIMIT 1), '') AS d_tag
  FROM event e
  WHERE e.kind BETWEEN 30000 AND 39999
) a
ORDER BY pubkey, kind, d_tag, created_at DESC, id ASC
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS events_addressable_latest_key
  ON events_addressable_latest (pubkey, kind, d_tag);

-- Software and version from each relay's latest NIP-11 ('unknown' version when absent).
CREATE MATERIALIZED VIEW IF NOT EXISTS relay_software_counts AS
SELECT data -> 'data' ->> 'software' AS software,
  COALESCE(NULLIF(data -> 'data' ->> 'version', ''), 'unknown') AS version,
  count(*) AS relay_count
FROM relay_metadata_latest
WHERE metadata_type = 'nip11_info' AND COALESCE(data -> 'data' ->> 'software', '') <> ''
GROUP BY 1, 2
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS relay_software_counts_key ON relay_software_counts (software, version);

-- Relays per supported NIP (integer entries of supported_nips only).
CREATE MATERIALIZED VIEW IF NOT EXISTS supported_nip_counts AS
SELECT (nip #>> '{}')::INTEGER AS nip, count(DISTINCT relay_url) AS relay_count
FROM relay_metadata_latest,
  jsonb_array_elements(
    CASE WHEN jsonb_typeof(data -> 'data' -> 'supported_nips') = 'array'
      THEN data -> 'data' -> 'supported_nips' ELSE '[]'::JSONB END) AS nip
WHERE metadata_type = 'nip11_info'
  AND jsonb_typeof(nip) = 'number'
  AND (nip #>> '{}') ~ '^[0-9]{1,9}$'
GROUP BY 1
WITH DATA;
CREATE UNIQUE INDEX IF NOT EXISTS supported_nip_counts_key ON supported_nip_counts (nip);
