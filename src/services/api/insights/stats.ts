/**
 * `GET /stats`: network statistics for the overview — relays by network and by status (live from `relay` and
 * `relay_metadata_latest`), event totals (`event_stats`, by column name), events per UTC day over the last `days` days
 * (`event_daily_counts`, missing days as zeros), software and NIP support shares (`relay_software_counts`,
 * `supported_nip_counts`) and relays per country (the geo check's, else the one NIP-11 announces).
 */

import type { Sql } from '../../../core/db/sql.js';
import { type Checked, ok } from '../../../models/result.js';
import { parseInteger, readParams } from './params.js';
import { countryOf } from './relays.js';
import { cancellable, round, toNumber } from './sql.js';

/** A validated `/stats` request. */
export interface StatsQuery {
  readonly days: number;
}

/** Relay counts of one network. */
export interface NetworkFigures {
  readonly network: string;
  readonly relays: number;
  readonly online: number;
  readonly offline: number;
  readonly unchecked: number;
  readonly event_count: number | null;
}

/** Everything `/stats` answers. */
export interface NetworkStats {
  readonly relays: {
    readonly total: number;
    readonly online: number;
    readonly offline: number;
    readonly unchecked: number;
    readonly with_nip11: number;
    readonly by_network: readonly NetworkFigures[];
  };
  readonly events: Readonly<Record<string, number | null>>;
  readonly events_per_day: readonly { day: string; event_count: number; unique_pubkeys: number }[];
  readonly software: readonly { software: string; relays: number; share: number }[];
  readonly nips: readonly { nip: number; relays: number; share: number }[];
  readonly countries: readonly { country: string; relays: number }[];
}

const PARAMS = new Set(['days']);

/**
 * The figures of `event_stats` that `/stats` answers, under the view's column names (the reference's): read by
 * name, so the answer has the same fields whatever else the view holds.
 */
export const EVENT_STATS_FIELDS = [
  'event_count',
  'unique_pubkeys',
  'unique_kinds',
  'earliest_event_timestamp',
  'latest_event_timestamp',
  'regular_event_count',
  'replaceable_event_count',
  'ephemeral_event_count',
  'addressable_event_count',
  'event_count_last_1h',
  'event_count_last_24h',
  'event_count_last_7d',
  'event_count_last_30d',
  'events_per_day',
] as const;
const DAY = 86_400;

/** Check a `/stats` request (`days`: 1–366, default 30). */
export function parseStatsQuery(url: string): Checked<StatsQuery> {
  const params = readParams(url, (k) => PARAMS.has(k));
  if (!params.ok) return params;
  const days = parseInteger(params.value.get('days'), 'days', { min: 1, max: 366, dflt: 30 });
  if (!days.ok) return days;
  return ok({ days: days.value });
}

/** The statistics, `now` in seconds. */
export async function networkStats(
  sql: Sql,
  q: StatsQuery,
  opts: { readonly now: number; readonly signal?: AbortSignal },
): Promise<NetworkStats> {
  const s = opts.signal;
  const [byNetwork, events, perDay, software, nips, countries, withNip11] = await Promise.all([
    cancellable(
      sql`SELECT r.network, count(*)::int AS relays,
          count(*) FILTER (WHERE t.data -> 'logs' -> 'open_success' = 'true'::jsonb)::int AS online,
          count(*) FILTER (WHERE t.relay_url IS NULL)::int AS unchecked,
          max(ns.event_count) AS event_count
        FROM relay r
        LEFT JOIN relay_metadata_latest t ON t.relay_url = r.url AND t.metadata_type = 'nip66_rtt'
        LEFT JOIN network_stats ns ON ns.network = r.network
        GROUP BY r.network ORDER BY relays DESC, r.network`,
      s,
    ),
    cancellable(sql`SELECT ${sql(EVENT_STATS_FIELDS as unknown as string[])} FROM event_stats LIMIT 1`, s),
    eventsPerDay(sql, q.days, opts),
    cancellable(
      sql`SELECT software, sum(relay_count)::int AS relays FROM relay_software_counts
        GROUP BY software ORDER BY relays DESC, software LIMIT 100`,
      s,
    ),
    cancellable(sql`SELECT nip, relay_count::int AS relays FROM supported_nip_counts ORDER BY nip LIMIT 1000`, s),
    cancellable(
      sql`SELECT x.country, count(*)::int AS relays FROM relay r
        LEFT JOIN relay_metadata_latest g ON g.relay_url = r.url AND g.metadata_type = 'nip66_geo'
        LEFT JOIN relay_metadata_latest n ON n.relay_url = r.url AND n.metadata_type = 'nip11_info'
        CROSS JOIN LATERAL (SELECT ${countryOf(sql)} AS country) x
        WHERE x.country IS NOT NULL GROUP BY 1 ORDER BY relays DESC, country LIMIT 300`,
      s,
    ),
    cancellable(
      sql<{ n: number }[]>`SELECT count(*)::int AS n FROM relay_metadata_latest
        WHERE metadata_type = 'nip11_info' AND data -> 'logs' -> 'success' = 'true'::jsonb`,
      s,
    ),
  ]);
  const networks = byNetwork.map((r) => {
    const relays = toNumber(r.relays) ?? 0;
    const online = toNumber(r.online) ?? 0;
    const unchecked = toNumber(r.unchecked) ?? 0;
    return {
      network: String(r.network),
      relays,
      online,
      offline: relays - online - unchecked,
      unchecked,
      event_count: toNumber(r.event_count),
    };
  });
  const sum = (k: 'relays' | 'online' | 'offline' | 'unchecked'): number => networks.reduce((a, n) => a + n[k], 0);
  const nip11 = withNip11[0]?.n ?? 0;
  const share = (n: number): number => (nip11 === 0 ? 0 : round(Math.min(1, n / nip11)));
  const row: Record<string, unknown> = events[0] ?? {};
  return {
    relays: {
      total: sum('relays'),
      online: sum('online'),
      offline: sum('offline'),
      unchecked: sum('unchecked'),
      with_nip11: nip11,
      by_network: networks,
    },
    events: Object.fromEntries(EVENT_STATS_FIELDS.map((k) => [k, toNumber(row[k])])),
    events_per_day: perDay,
    software: software.map((r) => ({
      software: String(r.software),
      relays: toNumber(r.relays) ?? 0,
      share: share(toNumber(r.relays) ?? 0),
    })),
    nips: nips.map((r) => ({
      nip: toNumber(r.nip) ?? 0,
      relays: toNumber(r.relays) ?? 0,
      share: share(toNumber(r.relays) ?? 0),
    })),
    countries: countries.map((r) => ({ country: String(r.country), relays: toNumber(r.relays) ?? 0 })),
  };
}

/** Events per UTC day for the `days` days ending today (UTC), zeros where the view has no row. */
async function eventsPerDay(
  sql: Sql,
  days: number,
  opts: { readonly now: number; readonly signal?: AbortSignal },
): Promise<{ day: string; event_count: number; unique_pubkeys: number }[]> {
  const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
  const last = isoDay(opts.now);
  const first = isoDay(opts.now - (days - 1) * DAY);
  const rows = await cancellable(
    sql`SELECT to_char(d.day, 'YYYY-MM-DD') AS day, COALESCE(c.event_count, 0) AS event_count,
        COALESCE(c.unique_pubkeys, 0) AS unique_pubkeys
      FROM (SELECT generate_series(${first}::date, ${last}::date, interval '1 day')::date AS day) d
      LEFT JOIN event_daily_counts c ON c.day = d.day
      ORDER BY d.day`,
    opts.signal,
  );
  return rows.map((r) => ({
    day: String(r.day),
    event_count: toNumber(r.event_count) ?? 0,
    unique_pubkeys: toNumber(r.unique_pubkeys) ?? 0,
  }));
}
