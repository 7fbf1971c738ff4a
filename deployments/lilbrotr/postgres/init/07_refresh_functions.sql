-- Generated from deployments/sql by scripts/build-sql.js for lilbrotr: edit the source, not this file.
-- One <view>_refresh() per materialized view (concurrent refresh), and all_statistics_refresh().

CREATE OR REPLACE FUNCTION relay_metadata_latest_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY relay_metadata_latest;
END
$$;

CREATE OR REPLACE FUNCTION event_stats_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY event_stats;
END
$$;

CREATE OR REPLACE FUNCTION relay_stats_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY relay_stats;
END
$$;

CREATE OR REPLACE FUNCTION kind_counts_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY kind_counts;
END
$$;

CREATE OR REPLACE FUNCTION kind_counts_by_relay_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY kind_counts_by_relay;
END
$$;

CREATE OR REPLACE FUNCTION pubkey_counts_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY pubkey_counts;
END
$$;

CREATE OR REPLACE FUNCTION pubkey_counts_by_relay_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY pubkey_counts_by_relay;
END
$$;

CREATE OR REPLACE FUNCTION network_stats_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY network_stats;
END
$$;

CREATE OR REPLACE FUNCTION event_daily_counts_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY event_daily_counts;
END
$$;

CREATE OR REPLACE FUNCTION events_replaceable_latest_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY events_replaceable_latest;
END
$$;

CREATE OR REPLACE FUNCTION events_addressable_latest_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY events_addressable_latest;
END
$$;

CREATE OR REPLACE FUNCTION relay_software_counts_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY relay_software_counts;
END
$$;

CREATE OR REPLACE FUNCTION supported_nip_counts_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY supported_nip_counts;
END
$$;

-- relay_metadata_latest first, then the event statistics, then the views that read relay_metadata_latest.
CREATE OR REPLACE FUNCTION all_statistics_refresh()
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM relay_metadata_latest_refresh();
  PERFORM event_stats_refresh();
  PERFORM kind_counts_refresh();
  PERFORM kind_counts_by_relay_refresh();
  PERFORM pubkey_counts_refresh();
  PERFORM pubkey_counts_by_relay_refresh();
  PERFORM network_stats_refresh();
  PERFORM event_daily_counts_refresh();
  PERFORM events_replaceable_latest_refresh();
  PERFORM events_addressable_latest_refresh();
  PERFORM relay_stats_refresh();
  PERFORM relay_software_counts_refresh();
  PERFORM supported_nip_counts_refresh();
END
$$;
