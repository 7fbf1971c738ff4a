/**
 * Uptime and latency history per relay (beyond the reference): from the stored nip66_rtt documents, the
 * share of checks whose WebSocket opened and the p50/p95 of the open/read/write round trips, over 24 h, 7 d or
 * 30 d. A query rather than a stored function, so it also works on a database made by the reference.
 */
import type { Sql } from './sql.js';

/** The windows the API and dashboard show. */
export type HealthWindow = '24h' | '7d' | '30d';

/** Seconds in each window. */
export const WINDOW_SECONDS: Readonly<Record<HealthWindow, number>> = {
  '24h': 86_400,
  '7d': 604_800,
  '30d': 2_592_000,
};

/** One relay's health over a window; latencies in ms, null when no check measured them. */
export interface RelayHealth {
  readonly url: string;
  readonly checks: number;
  /** Share of checks whose WebSocket opened, 0–1. */
  readonly uptime: number;
  readonly openP50: number | null;
  readonly openP95: number | null;
  readonly readP50: number | null;
  readonly readP95: number | null;
  readonly writeP50: number | null;
  readonly writeP95: number | null;
}

/** Health of every relay (or of `url`) over the window ending at `now`, ordered by URL. */
export async function relayHealth(
  sql: Sql,
  opts: { window: HealthWindow; now: number; url?: string },
): Promise<RelayHealth[]> {
  const since = opts.now - WINDOW_SECONDS[opts.window];
  const rows = await sql<Record<string, string | number | null>[]>`
    SELECT rm.relay_url AS url, count(*)::int AS checks,
      avg(CASE WHEN (m.data -> 'logs' ->> 'open_success')::boolean THEN 1 ELSE 0 END)::float8 AS uptime,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY (m.data -> 'data' ->> 'rtt_open')::float8) AS open_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY (m.data -> 'data' ->> 'rtt_open')::float8) AS open_p95,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY (m.data -> 'data' ->> 'rtt_read')::float8) AS read_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY (m.data -> 'data' ->> 'rtt_read')::float8) AS read_p95,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY (m.data -> 'data' ->> 'rtt_write')::float8) AS write_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY (m.data -> 'data' ->> 'rtt_write')::float8) AS write_p95
    FROM relay_metadata rm
    JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
    WHERE rm.metadata_type = 'nip66_rtt' AND rm.generated_at > ${since}::bigint AND rm.generated_at <= ${opts.now}::bigint
      AND (${opts.url ?? null}::text IS NULL OR rm.relay_url = ${opts.url ?? null}::text)
    GROUP BY rm.relay_url
    ORDER BY rm.relay_url`;
  const num = (v: string | number | null | undefined): number | null =>
    v === null || v === undefined ? null : Number(v);
  return rows.map((r) => ({
    url: String(r.url),
    checks: Number(r.checks),
    uptime: Number(r.uptime),
    openP50: num(r.open_p50),
    openP95: num(r.open_p95),
    readP50: num(r.read_p50),
    readP95: num(r.read_p95),
    writeP50: num(r.write_p50),
    writeP95: num(r.write_p95),
  }));
}
